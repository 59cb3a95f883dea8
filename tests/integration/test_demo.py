"""The demo workload end to end (poolgate_test/demo_workload.py, run by
poolgate_test/demo_world.py), with assertions on every row: clean mail over IPv4
and IPv6, GTUBE spam (real spamd), an NDR, a sender domain without A/MX, a
sender over its hourly limit, a recipient whose MX answers 550 and the DSN
poolgate sends about it. For each row: the pool and first reason expected,
the trace header the MX received agrees with the log, and the source address
the MX saw belongs to that pool. Then: nothing accepted is lost or doubled,
the kernel's counters agree with what the MX hosts saw, the world leaves
nothing behind, and `make demo`'s script itself prints the table and exits 0.
"""
import os
import re
import subprocess
import unittest

import pgtest

from poolgate_test import demo_workload as wl
from poolgate_test.demo_world import POOL_ADDRESSES, DemoRun, Row, trace_header
from poolgate_test.dsn import parse_dsn

SCRIPTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts")


def pool_of(address):
    return next((p for p, addrs in POOL_ADDRESSES.items() if address in addrs), None)


class DemoWorkload(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        run = cls.run_ = DemoRun(pgtest.poolgate(), tag="tdemo")
        try:
            run.start()
            cls.rows = run.run()
            cls.messages = [(n, m) for n in run.mw.peers for m in run.mw.peer_messages(n)]
            cls.connections = [(n, c) for n in run.mw.peers for c in run.mw.peer_connections(n)]
            cls.stats = run.mw.world.stats()
            cls.bpftool = run.bpftool_pools()
            cls.log = run.mw.relay_log()
            cls.probes = cls.wrong_expectations(run, cls.rows)
        finally:
            run.close()
        cls.left = run.leftovers()

    @staticmethod
    def wrong_expectations(run, rows):
        """The checker itself, fed a wrong expectation against the live world:
        each must produce a problem (so an all-ok table means something)."""
        gtube = next(r for r in rows if r.item and r.item.key == "gtube")
        wrong_pool = Row("probe", gtube.sender, gtube.rcpt, "normal", "spam:", gtube.mx)
        wrong_pool.qid, wrong_pool.item = gtube.qid, gtube.item
        run._classified(wrong_pool)
        run._delivered(wrong_pool)
        wrong_reason = Row("probe", gtube.sender, gtube.rcpt, "high-risk", "clean", gtube.mx)
        wrong_reason.qid, wrong_reason.item = gtube.qid, gtube.item
        run._classified(wrong_reason)
        return {"pool": wrong_pool.problems, "reason": wrong_reason.problems}

    def row(self, key):
        return next(r for r in self.rows if r.item and r.item.key == key)

    def copies(self, row):
        marker = row.item.message_id.encode()
        return [(n, m) for n, m in self.messages if marker in m["data"]]

    # --- every row ------------------------------------------------------------------
    def test_every_row_as_expected(self):
        self.assertEqual(len(self.rows), len(wl.workload()) + 1)
        for n, row in enumerate(self.rows, 1):
            with self.subTest(row=n, label=row.label):
                self.assertEqual(row.pool, row.expected_pool)
                first = row.reasons.split(", ")[0]
                if row.expected_reason == "clean":
                    self.assertEqual(row.reasons, "clean")
                else:
                    self.assertTrue(first.startswith(row.expected_reason),
                                    f"{row.reasons!r} vs {row.expected_reason!r}")
                self.assertIsNotNone(row.source, "the MX saw no connection")
                self.assertEqual(pool_of(row.source), row.expected_pool, row.source)
                self.assertEqual(row.problems, [])

    def test_each_category_gets_its_pool_and_reason(self):
        self.assertEqual((self.row("clean-v4").pool, self.row("clean-v4").reasons),
                         ("normal", "clean"))
        self.assertIn(":", self.row("clean-v6").source)  # the IPv6-only MX, over IPv6
        self.assertEqual(pool_of(self.row("clean-v6").source), "normal")
        spam = self.row("gtube")
        self.assertEqual(spam.pool, "high-risk")
        score = float(re.match(r"spam:spamd score=([\d.]+) required=5\.0", spam.reasons)[1])
        self.assertGreaterEqual(score, 900)  # GTUBE is 1000 points
        self.assertEqual(self.row("ndr").reasons, "ndr:null-sender")
        self.assertIn("sender-domain:no-a-no-mx ghost.example", self.row("no-a-mx").reasons)
        for n in range(1, wl.HOURLY_LIMIT + 3):
            row = self.row(f"limit-{n}")
            with self.subTest(n=n):
                if n <= wl.HOURLY_LIMIT:
                    self.assertEqual((row.pool, row.reasons), ("normal", "clean"))
                else:
                    self.assertEqual(row.pool, "high-risk")
                    self.assertEqual(row.reasons,
                                     f"limit:external-per-hour {n}>{wl.HOURLY_LIMIT}")
                self.assertEqual(pool_of(row.source), row.pool)

    def test_trace_header_at_the_mx_matches_the_log(self):
        for row in self.rows:
            if not row.item or row.item.rejected:
                continue
            with self.subTest(label=row.label):
                (name, message), = self.copies(row)
                self.assertEqual(trace_header(message["data"]), (row.pool, row.reasons))
                logged = [l for l in self.log.splitlines()
                          if f" {row.qid}: classified pool=" in l]
                self.assertEqual(len(logged), 1, logged)
                self.assertTrue(logged[0].endswith(f"pool={row.pool} reasons={row.reasons}"))

    # --- the 5xx recipient and poolgate's bounce ---------------------------------------
    def test_rejected_recipient_bounces_via_high_risk_to_the_sender_mx(self):
        rejected = self.row("rejected")
        self.assertTrue(rejected.outcome.startswith("bounced: 550 5.1.1"), rejected.outcome)
        oldcorp = [c for n, c in self.connections if n == "mx.oldcorp.example"]
        self.assertTrue(oldcorp)
        self.assertTrue(all(pool_of(c["peer"]) == "normal" for c in oldcorp), oldcorp)
        self.assertFalse([m for n, m in self.messages if n == "mx.oldcorp.example"])
        dsns = [(n, m) for n, m in self.messages if m["mail_from"] in ("", "<>")
                and wl.DSN["rcpt"] in m["rcpt_tos"]]
        self.assertEqual(len(dsns), 1, dsns)
        name, dsn = dsns[0]
        self.assertEqual(name, "mx.example.com")  # example.com's MX: the sender's own
        self.assertEqual(pool_of(dsn["peer"]), "high-risk")
        report = parse_dsn(dsn["data"])
        self.assertEqual(len(report), 1, report)
        self.assertEqual((report[0]["action"], report[0]["status"]), ("failed", "5.1.1"))
        self.assertIn("jane@oldcorp.example", report[0]["final-recipient"])
        self.assertIn(rejected.item.message_id.encode(), dsn["data"])  # whose bounce it is
        row = self.rows[-1]
        self.assertEqual((row.pool, row.reasons, row.source), ("high-risk", "ndr:generated",
                                                               dsn["peer"]))

    # --- the whole run -------------------------------------------------------------------
    def test_no_accepted_message_lost_or_doubled(self):
        self.assertEqual(self.run_.problems, [])
        delivered = [r for r in self.rows if r.item and not r.item.rejected]
        for row in delivered:
            with self.subTest(label=row.label):
                got = self.copies(row)
                self.assertEqual(len(got), 1, got)
                self.assertEqual(got[0][0], row.mx)
                self.assertEqual(got[0][1]["rcpt_tos"], [row.rcpt])
        self.assertEqual(len(self.messages), len(delivered) + 1)  # + the DSN

    def test_kernel_counters_agree_with_the_mx_hosts(self):
        seen = {}
        for _, c in self.connections:
            seen[pool_of(c["peer"])] = seen.get(pool_of(c["peer"]), 0) + 1
        self.assertNotIn(None, seen, "a connection from outside the pools")
        by_pool = self.stats["by_pool"]
        for pool in ("normal", "high-risk"):
            with self.subTest(pool=pool):
                self.assertGreaterEqual(by_pool[pool]["connections"], seen[pool])
                self.assertGreater(seen[pool], 0)
                self.assertEqual(by_pool[pool]["leak_drops"], 0)
                self.assertEqual(self.bpftool[pool]["connections"], by_pool[pool]["connections"])
        self.assertEqual(self.stats["unmarked_smtp_drops"], 0)

    def test_the_checks_catch_a_wrong_expectation(self):
        self.assertTrue(any("classified high-risk, expected normal" in p
                            for p in self.probes["pool"]), self.probes)
        self.assertTrue(any("not a normal pool address" in p for p in self.probes["pool"]),
                        self.probes)
        self.assertTrue(any("expected 'clean...'" in p for p in self.probes["reason"]),
                        self.probes)

    def test_nothing_left_behind(self):
        self.assertEqual(self.left, [])


class DemoScript(unittest.TestCase):
    def test_demo_prints_the_table_and_exits_0(self):
        result = subprocess.run(["/usr/bin/python3", os.path.join(SCRIPTS, "demo.py"),
                                 "--poolgate", pgtest.poolgate()],
                                capture_output=True, text=True, timeout=240)
        out = result.stdout
        self.assertEqual(result.returncode, 0, out[-3000:] + result.stderr[-2000:])
        self.assertRegex(out, r"(?m)^#\s+message\s+pool\s+reasons\s+recipient's MX\s+"
                              r"source the MX saw\s+result\s+check$")
        rows = re.findall(r"(?m)^(\d+)\s{2,}(.+?)\s{2,}(normal|high-risk)\s.*\s(ok|FAIL)$", out)
        self.assertEqual(len(rows), len(wl.workload()) + 1, out)
        self.assertEqual({r[3] for r in rows}, {"ok"})
        self.assertIn("$ ip rule show", out)
        self.assertIn("pg1_pool_stats", out)
        self.assertRegex(out, r"(?m)^high-risk\s+\d+\s+\d+\s+[1-9]\d*\s+0\s")  # poolgate stats
        self.assertIn(": all removed", out)
        rows = len(wl.workload()) + 1
        self.assertIn(f"demo ok: {rows} rows as expected, nothing left behind", out)


if __name__ == "__main__":
    pgtest.main()

"""Faults at poolgate's peers: the recipient's only MX goes down and comes
back; the spam scanner (Debian's real spamd) is killed -9 mid-run.

    MX down (aiosmtpd peer stopped: connections refused), then back:
        mail keeps its 250, waits deferred (4.4.x), never bounced, no DSN;
        recipients of the same message at a live MX go out meanwhile; after
        the restart `queue retry` (half the messages) or the retry schedule
        (the other half) delivers every recipient once, from its pool.
    spamd killed, on_scanner_failure = "tempfail":
        every submission gets 250 (scanned) or 451 4.7.1; a refused message
        is neither queued nor sent; spamd restarted, the client's retries are
        accepted and scanned again (GTUBE high-risk, clean normal).
    spamd killed, on_scanner_failure = "high-risk":
        everything is accepted; what arrived after the kill goes high-risk
        (spam:scanner-failed), clean or not; spamd restarted, later mail is
        scanned again.

Each test ends with the fault invariants (faults.py): no message that got a
250 is lost, and every message a peer got came from an address of the pool
decided for it. Every recipient is IPv4 (mx1 / mx6 for the split messages).
"""
import collections
import threading
import time
import unittest

import pgtest
from poolgate_test.delivery_checks import dsns_to, recipient_entry, wait_for, wait_log
from poolgate_test.faults import (arrivals, assert_no_accepted_lost, assert_sources_in_decided_pools,
                    bounced_ids, decisions, queue_id_of, start_peer_again, stop_peer, submit,
                    wait_all_delivered)
from poolgate_test.spamd import Spamd
from poolgate_test.mailworld import DEFAULT_DNS, MailWorld

GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
SPAMD_PORT = 7784  # inside this test's gateway namespace only


def body(marker, sender, text="Hello, this is an ordinary message about lunch.\r\n"):
    return (f"Subject: fault {marker}\r\nFrom: <{sender or 'MAILER-DAEMON@example.com'}>\r\n"
            f"To: <someone@example.net>\r\n"
            f"Date: {time.strftime('%a, %d %b %Y %H:%M:%S +0000', time.gmtime())}\r\n"
            f"Message-ID: <{marker}@client.example.com>\r\n\r\n{text}{marker}\r\n")


def invariants(tc, mw, accepted):
    assert_no_accepted_lost(tc, mw, accepted)
    checked = assert_sources_in_decided_pools(tc, mw)
    tc.assertEqual(bounced_ids(mw.relay_log()) & set(accepted), set(), "bounced")
    got = arrivals(mw)
    for qid, rcpts in accepted.items():
        for rcpt in rcpts:
            tc.assertEqual(got[(qid, rcpt)], 1, f"{qid} <{rcpt}>: copies at the peers")
    return checked


class MxOutage(unittest.TestCase):
    def setUp(self):
        zone = {kind: list(records) for kind, records in DEFAULT_DNS.items()}
        zone["mx"].append(("solo.example", 10, "mx1.example.net"))  # mx1 and nothing else
        self.mw = MailWorld(pgtest.poolgate(), tag="fmx", dns=zone,
                            classify={"add_header": True},
                            delivery={"retry_intervals_s": [3], "max_lifetime_s": 3600},
                            limits={"messages_per_minute": 0})
        self.addCleanup(self.mw.close)

    def test_mx_down_then_back(self):
        mw, accepted = self.mw, {}

        def send(sender, rcpts, marker):
            qid, error = submit(mw, sender, rcpts, body(marker, sender))
            self.assertIsNotNone(qid, f"{marker}: {error}")
            accepted[qid] = rcpts
            return qid

        # Warm-up: delivered, and its connection waits idle when mx1 dies.
        send("warm@example.com", ["warm@solo.example"], "MX-WARM")
        wait_all_delivered(mw, accepted, 15)
        stop_peer(mw, "mx1")

        kinds = ["normal", "nxdomain-sender", "null-sender", "split"]
        batch = {}
        for n in range(8):
            kind = kinds[n % 4]
            sender = {"normal": f"alice{n}@example.com", "nxdomain-sender": f"u{n}@ghost.example",
                      "null-sender": "", "split": f"bob{n}@example.com"}[kind]
            rcpts = [f"down{n}@solo.example"] + ([f"up{n}@example.org"] if kind == "split" else [])
            batch[send(sender, rcpts, f"MX-{n}")] = (kind, sender, rcpts)

        # Down: every solo.example recipient deferred, tried again (3 s) and deferred again.
        def all_deferred_twice():
            for qid, (_, _, rcpts) in batch.items():
                r = recipient_entry(mw, qid, rcpts[0])
                if not (r and r["state"] == "deferred" and r["attempts"] >= 2):
                    return False
            return True
        wait_for(all_deferred_twice, 25, "every recipient at the dead MX deferred twice")
        for qid, (kind, sender, rcpts) in batch.items():
            r = recipient_entry(mw, qid, rcpts[0])
            self.assertRegex(r["last_reply"], r"^4\d\d 4\.4\.\d ", (qid, kind))
        # The split messages' other recipients did not wait for the dead MX.
        wait_for(lambda: all(arrivals(mw)[(qid, rcpts[1])] for qid, (k, _, rcpts)
                             in batch.items() if k == "split"), 15, "the live MX's recipients")
        got = arrivals(mw)
        self.assertEqual([(q, r[0]) for q, (_, _, r) in batch.items() if got[(q, r[0])]], [],
                         "delivered while the MX was down")
        self.assertEqual(bounced_ids(mw.relay_log()) & set(batch), set())
        for qid, (kind, sender, rcpts) in batch.items():
            if sender:
                self.assertEqual(dsns_to(mw, sender), [], f"{kind}: a DSN while deferred")

        down_for = time.monotonic()
        start_peer_again(mw, "mx1", "mx1-back")
        retried = [qid for n, qid in enumerate(batch) if n % 2 == 0]
        for qid in retried:
            mw.world.pg("queue", "retry", qid)
        wait_all_delivered(mw, accepted, 25)
        print(f"\n  MX back to all delivered: {time.monotonic() - down_for:.1f}s")
        for qid in retried:
            wait_log(mw, qid, "retry requested by operator", 5)
        back = {(queue_id_of(m), m["rcpt_tos"][0].lower())
                for m in mw.peer_messages("mx1-back")}
        for qid, (kind, sender, rcpts) in batch.items():
            self.assertIn((qid, rcpts[0]), back, f"{kind}: not delivered by the restarted MX")
        decided = decisions(mw.relay_log())
        for qid, (kind, _, _) in batch.items():
            want = "normal" if kind in ("normal", "split") else "high-risk"
            self.assertEqual(decided[qid].pool, want, kind)
        checked = invariants(self, mw, accepted)
        self.assertTrue(checked["normal"] and checked["high-risk"], checked)


Result = collections.namedtuple("Result", "n kind sender rcpt qid error started finished")


class SpamdKilled(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.mw = MailWorld(pgtest.poolgate(), tag="fspm", classify={"add_header": True},
                           spam={"scanner": "spamd", "address": f"127.0.0.1:{SPAMD_PORT}",
                                 "timeout_ms": 20000, "on_scanner_failure": "tempfail"},
                           limits={"messages_per_minute": 0})

    @classmethod
    def tearDownClass(cls):
        cls.mw.close()

    def setUp(self):
        self.spamd = None
        self.accepted = {}
        self.addCleanup(self.stop_spamd)

    def stop_spamd(self):
        if self.spamd:
            self.spamd.close()
            self.spamd = None

    def start_spamd(self):
        self.stop_spamd()
        self.spamd = Spamd(self.mw.gw, self.mw.world.dir, SPAMD_PORT)

    def failure_mode(self, mode):
        mw = self.mw
        if mw.settings["spam"]["on_scanner_failure"] != mode:
            mw.relay.stop()
            mw.settings["spam"]["on_scanner_failure"] = mode
            mw.write_delivery_config()
            mw.relay.start()

    def send(self, tag, n, kind):
        sender, rcpt = f"{tag}-{kind}-{n}@example.com", f"{tag}-{n}@example.net"
        text = GTUBE + "\r\n" if kind == "gtube" else "Lunch on Friday at noon?\r\n"
        started = time.monotonic()
        qid, error = submit(self.mw, sender, [rcpt], body(f"{tag}-{n}", sender, text))
        if qid:
            self.accepted[qid] = [rcpt]
        return Result(n, kind, sender, rcpt, qid, error, started, time.monotonic())

    def burst_with_kill(self, tag, count=10, kill_after=3):
        """One client submits `count` messages (clean, GTUBE, ...) back to back;
        spamd is killed -9 once `kill_after` have their 250. Returns (results,
        kill time)."""
        done = []  # appended as each submission ends, read while the client runs

        def submit_all():
            for n in range(count):
                done.append(self.send(tag, n, "gtube" if n % 2 else "clean"))
        client = threading.Thread(target=submit_all, daemon=True)
        client.start()
        wait_for(lambda: sum(1 for r in done if r.qid) >= kill_after or not client.is_alive(),
                 60, f"{kill_after} scanned messages")
        killed = time.monotonic()
        self.spamd.kill()
        client.join(60)
        self.assertFalse(client.is_alive(), "the client hung")
        results = list(done)
        self.assertEqual(len(results), count)
        self.assertLess(sum(1 for r in results if r.finished < killed), count, "killed too late")
        return results, killed

    def assert_scanned(self, result):
        """Accepted and classified on spamd's verdict."""
        decided = decisions(self.mw.relay_log())[result.qid]
        if result.kind == "gtube":
            self.assertEqual(decided.pool, "high-risk", result)
            self.assertRegex(decided.reasons, r"spam:spamd score=\d", result)
        else:
            self.assertEqual((decided.pool, decided.reasons), ("normal", "clean"), result)

    def test_killed_with_tempfail_refuses_then_scans_again(self):
        mw = self.mw
        self.failure_mode("tempfail")
        self.start_spamd()
        results, killed = self.burst_with_kill("tf")
        for r in results:
            if r.qid:
                self.assertLess(r.started, killed, f"{r}: accepted unscanned after the kill")
                self.assert_scanned(r)
            else:
                self.assertEqual(r.error[0], 451, r)
                self.assertIn("4.7.1", r.error[1], r)
            if r.started > killed:
                self.assertIsNone(r.qid, r)
        refused = [r for r in results if not r.qid]
        print(f"\n  {len(results) - len(refused)} scanned and accepted, {len(refused)} refused 451")
        self.assertTrue(refused, "nothing was refused after the kill")
        wait_all_delivered(mw, self.accepted, 20)
        queued = {m["sender"] for m in mw.queue()}
        log = mw.relay_log()
        for r in refused:
            self.assertNotIn(r.sender, queued)
            lines = [l for l in log.splitlines() if f"refused from=<{r.sender}>" in l]
            self.assertEqual(len(lines), 1, lines)
            self.assertIn("spam:scanner-failed", lines[0])

        # spamd back: the client's retries are accepted and scanned.
        self.start_spamd()
        for r in refused:
            again = self.send("tf", r.n, r.kind)
            self.assertIsNotNone(again.qid, again)
            self.assert_scanned(again)
        wait_all_delivered(mw, self.accepted, 20)
        time.sleep(0.5)
        got = arrivals(mw)
        for r in refused:  # exactly one copy: the retry's, never the refused one
            self.assertEqual(sum(c for (q, rcpt), c in got.items() if rcpt == r.rcpt), 1, r)
        invariants(self, mw, self.accepted)

    def test_killed_with_high_risk_accepts_high_risk_then_scans_again(self):
        mw = self.mw
        self.failure_mode("high-risk")
        self.start_spamd()
        results, killed = self.burst_with_kill("hr")
        after = []
        for r in results:
            self.assertIsNotNone(r.qid, f"{r}: refused with on_scanner_failure high-risk")
            decided = decisions(mw.relay_log())[r.qid]
            if "spam:scanner-failed" in decided.reasons:
                self.assertEqual(decided.pool, "high-risk", r)
                after.append(r)
            else:
                self.assertLess(r.started, killed, f"{r}: scanned after the kill?")
                self.assert_scanned(r)
            if r.started > killed:
                self.assertIn(r, after)
        print(f"\n  {len(results) - len(after)} scanned, {len(after)} high-risk unscanned")
        self.assertTrue([r for r in after if r.kind == "clean"], "no clean message after the kill")

        self.start_spamd()
        later = [self.send("hr-later", n, kind) for n, kind in enumerate(["clean", "gtube",
                                                                           "clean"])]
        for r in later:
            self.assertIsNotNone(r.qid, r)
            self.assert_scanned(r)
        wait_all_delivered(mw, self.accepted, 20)
        checked = invariants(self, mw, self.accepted)
        self.assertTrue(checked["normal"] and checked["high-risk"], checked)
        for r in after:  # clean or not: high-risk addresses only
            copies = [m for name in mw.peers for m in mw.peer_messages(name)
                      if r.rcpt in m["rcpt_tos"]]
            self.assertEqual([m["peer"] for m in copies], ["203.0.113.66"], r)


if __name__ == "__main__":
    pgtest.main()

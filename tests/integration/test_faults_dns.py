"""Fault: the DNS server dies mid-run and comes back (real dnsmasq in the peer
namespace, stopped by its pid; its address stays, so queries get ICMP port
unreachable as from a resolver host whose daemon died).

While it is down, mail keeps getting its 250 and nothing is bounced:
  - a sender domain that cannot be checked holds the message (hold_for_dns):
    nothing goes out, and never through the normal pool unverified;
  - a message that needs no sender check (a bounce, null sender) and one that
    was already queued wait with 451 4.4.3 on the MX lookup.
Short outage (back before dns_unknown_after_s): the held mail is checked again,
verified and delivered from the normal pool; `queue retry` sends the deferred.
Long outage (past dns_unknown_after_s): the held mail goes high-risk
(sender-domain:unverified), waits on the MX lookup, and after the restart is
delivered from the high-risk pool only.

Every test ends with the two fault invariants (faults.py): every message that
got a 250 reached a peer, and every message a peer got came from an address of
the pool decided for it.
"""
import json
import time
import unittest

import pgtest
from poolgate_test.delivery_checks import dsns_to, recipient_entry, wait_for, wait_log
from poolgate_test.faults import (assert_no_accepted_lost, assert_sources_in_decided_pools, arrivals,
                    bounced_ids, decisions, pool_addresses, start_dns, stop_dns, submit,
                    wait_all_delivered)
from poolgate_test.mailworld import MailWorld

# The engine checks a held message again at arrival, then every
# dns_unknown_after_s / 2; once this old and still unknown, it goes high-risk.
UNKNOWN_AFTER_S = 10
POOL = pool_addresses()


def body(marker, sender=None):
    sender_line = f"From: <{sender}>\r\n" if sender else ""  # none: no From: check
    return (f"{sender_line}To: <someone@example.net>\r\nSubject: dns fault {marker}\r\n"
            f"Message-ID: <{marker}@client.example.com>\r\n\r\n{marker}\r\n")


class DnsOutage(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.mw = MailWorld(pgtest.poolgate(), tag="fdns",
                           classify={"dns_unknown_after_s": UNKNOWN_AFTER_S, "add_header": True},
                           # No retry by itself during the test: `queue retry` sends
                           # the deferred; a long lifetime, so nothing expires (4.4.7).
                           # No idle connections: one left open to mx1 would carry
                           # mail without the MX lookup this test takes away.
                           delivery={"retry_intervals_s": [120], "max_lifetime_s": 3600,
                                     "connection_idle_ms": 0},
                           limits={"messages_per_minute": 0})

    @classmethod
    def tearDownClass(cls):
        cls.mw.close()

    def setUp(self):
        self.accepted = {}
        self.addCleanup(start_dns, self.mw.dns)  # the next test needs DNS, whatever happens

    def send(self, sender, rcpt, marker, from_header=True):
        qid, error = submit(self.mw, sender, [rcpt], body(marker, sender if from_header else None))
        self.assertIsNotNone(qid, f"{marker}: not accepted during the outage: {error}")
        self.accepted[qid] = [rcpt]
        return qid

    def show(self, qid):
        return json.loads(self.mw.world.pg("queue", "show", qid, "--json").stdout)

    def wait_dns_deferred(self, qid, rcpt, min_attempts=1):
        def check():
            r = recipient_entry(self.mw, qid, rcpt)
            return (r if r and r["state"] == "deferred" and r["attempts"] >= min_attempts
                    and r["last_reply"].startswith("451 4.4.3") else None)
        return wait_for(check, 15, f"{qid} <{rcpt}> deferred with 451 4.4.3")

    def assert_not_out_yet(self, qids):
        got = arrivals(self.mw)
        self.assertEqual([k for k in got if k[0] in qids], [], "delivered during the outage")
        self.assertEqual(bounced_ids(self.mw.relay_log()) & set(qids), set(), "bounced")

    def assert_invariants(self):
        assert_no_accepted_lost(self, self.mw, self.accepted)
        checked = assert_sources_in_decided_pools(self, self.mw)
        self.assertEqual(bounced_ids(self.mw.relay_log()) & set(self.accepted), set())
        for qid, (rcpt,) in self.accepted.items():
            self.assertEqual(arrivals(self.mw)[(qid, rcpt)], 1, f"{qid} <{rcpt}> copies")
        return checked

    def retry(self, qid):
        self.mw.world.pg("queue", "retry", qid)

    # ------------------------------------------------------------------------------
    def test_short_outage_holds_then_delivers_verified_from_normal(self):
        mw = self.mw
        # Before: a clean message and a high-risk one (sender domain NXDOMAIN) go
        # out; one the peer defers once ("tempfirst") is still queued at the stop.
        before_normal = self.send("alice@example.com", "s-before@example.net", "S-BEFORE")
        before_hr = self.send("user@ghost.example", "s-before-hr@example.net", "S-BEFORE-HR")
        queued = self.send("bob@example.com", "tempfirst-s@example.net", "S-QUEUED")
        wait_for(lambda: not {before_normal, before_hr} - {k[0] for k in arrivals(mw)}, 15,
                 "the messages sent before the outage")
        wait_for(lambda: (recipient_entry(mw, queued, "tempfirst-s@example.net") or {})
                 .get("attempts", 0) >= 1, 15, "the first (refused) attempt of S-QUEUED")

        stop_dns(mw.dns)
        stopped = time.monotonic()
        held = [self.send(f"held{n}@example.com", f"s-held{n}@example.net", f"S-HELD-{n}")
                for n in range(4)]
        ndrs = [self.send("", f"s-ndr{n}@example.net", f"S-NDR-{n}", from_header=False)
                for n in range(2)]
        for qid in held:
            entry = self.show(qid)
            self.assertTrue(entry["hold_for_dns"], entry)
            self.assertIn("sender-domain:unknown example.com", entry["reasons"])
            self.assertIn("(held: sender domain unverified)",
                          wait_log(mw, qid, ": classified pool=", 5)[0])
        for n, qid in enumerate(ndrs):
            self.wait_dns_deferred(qid, f"s-ndr{n}@example.net")
            self.assertEqual(decisions(mw.relay_log())[qid].pool, "high-risk")
        self.retry(queued)  # its next attempt, now, without DNS
        self.wait_dns_deferred(queued, "tempfirst-s@example.net", min_attempts=2)
        self.assert_not_out_yet(held + ndrs + [queued])

        start_dns(mw.dns)
        restarted = time.monotonic()
        print(f"\n  outage {restarted - stopped:.1f}s")
        for qid in ndrs + [queued]:
            self.retry(qid)
        # `queue retry` of a held message looks its sender domain up again now
        # rather than at the next periodic re-check.
        for qid in held:
            self.retry(qid)
            wait_log(mw, qid, "held: sender domains checked again now", 5)
        wait_all_delivered(mw, self.accepted, 30)
        # Back before dns_unknown_after_s: the held mail was verified, so normal.
        decided = decisions(mw.relay_log())
        for qid in held:
            self.assertTrue(decided[qid].rechecked, decided[qid])
            if restarted - stopped < UNKNOWN_AFTER_S - 3:  # else a slow machine's race
                self.assertEqual(decided[qid].pool, "normal", decided[qid])
        for qid in ndrs + [before_hr]:
            self.assertEqual(decided[qid].pool, "high-risk", decided[qid])
        self.assertEqual(decided[queued].pool, "normal")
        checked = self.assert_invariants()
        self.assertTrue(checked["normal"] and checked["high-risk"], checked)
        for n in range(4):
            self.assertEqual(dsns_to(mw, f"held{n}@example.com"), [])

    def test_long_outage_goes_high_risk_unverified_never_normal(self):
        mw = self.mw
        stop_dns(mw.dns)
        stopped = time.monotonic()
        held = {self.send(f"long{n}@example.com", f"l-held{n}@example.net", f"L-HELD-{n}"):
                f"l-held{n}@example.net" for n in range(3)}
        for qid in held:
            self.assertTrue(self.show(qid)["hold_for_dns"])
        # Still unknown at dns_unknown_after_s: high-risk, then the MX lookup fails.
        for qid, rcpt in held.items():
            line = wait_log(mw, qid, "sender domain checked again:", UNKNOWN_AFTER_S + 15)[0]
            self.assertIn("pool=high-risk", line)
            self.assertIn("sender-domain:unverified example.com", line)
            self.wait_dns_deferred(qid, rcpt)
        self.assertGreaterEqual(time.monotonic() - stopped, UNKNOWN_AFTER_S - 1.5,
                                "left the hold before dns_unknown_after_s")
        self.assert_not_out_yet(list(held))
        # The decision is durable: the spool has it, and a restart (with DNS
        # back, so a fresh check would now find the domain) keeps it.
        for qid in held:
            entry = self.show(qid)
            self.assertEqual((entry["pool"], entry["hold_for_dns"]), ("high-risk", False), entry)
            self.assertIn("sender-domain:unverified example.com", " ".join(entry["reasons"]))
        mw.relay.stop()

        start_dns(mw.dns)
        mw.relay.start()
        print(f"\n  outage {time.monotonic() - stopped:.1f}s")
        for qid in held:
            self.retry(qid)
        wait_all_delivered(mw, self.accepted, 30)
        for qid, rcpt in held.items():
            self.assertEqual(decisions(mw.relay_log())[qid].pool, "high-risk")
            copies = [m for name in mw.peers for m in mw.peer_messages(name)
                      if rcpt in m["rcpt_tos"]]
            self.assertEqual(len(copies), 1)
            self.assertIn(copies[0]["peer"], POOL["high-risk"], f"{qid}: unverified, not high-risk")
            self.assertNotIn(copies[0]["peer"], POOL["normal"])
        self.assert_invariants()


if __name__ == "__main__":
    pgtest.main()

"""kill -9 of `poolgate run` under load, with classification in the path:
several clients submit a bounded burst (200 messages, 5 threads) of mixed
mail while deliveries run; the daemon is killed mid-burst and restarted on
the same spool, and the clients retry what got no 250 (as an MTA would).

    n % 4 == 0, 1   slowdata-c<n>@example.com     clean            -> normal
    n % 4 == 2      slowdata-u<n>@ghost.example   no A, no MX      -> high-risk
    n % 4 == 3      <> (a bounce)                 ndr:null-sender  -> high-risk

Then:
  - every message that got a 250 reached a peer, under that queue id, at
    least once (faults.assert_no_accepted_lost);
  - a queue id arrived twice only if it was at a peer before the kill, at
    most one per connection then open, never three times; one at a peer but
    not yet logged sent (poolgate never saw the 250) must arrive again; a
    message arrived under a second queue id only if its client had to submit
    it again (no 250 the first time);
  - each message came from an address of its decided pool (the log's
    `classified` line and the X-Poolgate-Classification: field agree), and
    that pool is the one its kind must get.

test_delivery_crash.py kills during delivery of one queued batch; this one
kills while sessions are classifying and committing as well.
"""
import signal
import threading
import time
import unittest

import pgtest
from poolgate_test.delivery_checks import wait_for
from poolgate_test.faults import (arrivals, assert_no_accepted_lost, assert_sources_in_decided_pools,
                    decisions, queue_id_of, sent_lines, submit, wait_all_delivered)
from poolgate_test.mailworld import MailWorld

MESSAGES, THREADS = 200, 5
KILL_AFTER = 70        # acknowledged submissions before the kill
CONNECTIONS = 4        # connections_per_destination; two destinations (the pools)
SLOW = 0.1             # the peers wait this long at RCPT and after DATA: in flight
DEADLINE_S = 60        # clients stop retrying after this
PACE_S = 0.06          # each client's pause between messages: a ~3 s burst, not 0.3 s


class Item:
    def __init__(self, n):
        self.n = n
        self.kind = ("normal", "normal", "nxdomain-sender", "null-sender")[n % 4]
        # "slowdata": the peer records the message, then waits SLOW before its
        # 250, so deliveries are in the peer's hands without poolgate knowing.
        self.sender = {"normal": f"slowdata-c{n}@example.com",
                       "nxdomain-sender": f"slowdata-u{n}@ghost.example",
                       "null-sender": ""}[self.kind]
        self.rcpt = f"slow-{n}@example.net"
        from_addr = self.sender or "MAILER-DAEMON@example.com"
        self.text = (f"From: <{from_addr}>\r\nTo: <{self.rcpt}>\r\nSubject: burst {n}\r\n"
                     f"Message-ID: <burst.{n}@client.example.com>\r\n\r\nmessage {n}\r\n")
        self.attempts, self.errors, self.qid, self.acked_at = 0, [], None, None

    def want_pool(self):
        return "normal" if self.kind == "normal" else "high-risk"


class CrashUnderLoad(unittest.TestCase):
    def setUp(self):
        peers = [{"name": name, "address": address, "args": ["--slow", str(SLOW)]}
                 for name, address in [("mx1", "203.0.113.25"), ("mx2", "203.0.113.26")]]
        self.mw = MailWorld(pgtest.poolgate(), tag="fcr", peers=peers,
                            classify={"add_header": True},
                            delivery={"connections_per_destination": CONNECTIONS,
                                      "max_lifetime_s": 3600},
                            limits={"messages_per_minute": 0})
        self.addCleanup(self.mw.close)
        self.stop = threading.Event()
        self.addCleanup(self.stop.set)  # clients end even if the test fails

    def client(self, items):
        for item in items:
            while not self.stop.is_set():
                item.attempts += 1
                qid, error = submit(self.mw, item.sender, [item.rcpt], item.text, timeout=15)
                if qid:
                    item.qid, item.acked_at = qid, time.monotonic()
                    time.sleep(PACE_S)
                    break
                item.errors.append(error)
                time.sleep(0.05)

    def settled_arrivals(self):
        """Peer records once they stop changing (a message whose data poolgate
        wrote just before dying may still be read by the peer)."""
        last, since = arrivals(self.mw), time.monotonic()
        while time.monotonic() - since < 2 * SLOW + 0.5:
            time.sleep(0.1)
            now = arrivals(self.mw)
            if now != last:
                last, since = now, time.monotonic()
        return last

    def test_kill_9_mid_burst_loses_nothing_and_keeps_pools(self):
        mw = self.mw
        items = [Item(n) for n in range(MESSAGES)]
        clients = [threading.Thread(target=self.client, args=(items[t::THREADS],), daemon=True)
                   for t in range(THREADS)]
        start = time.monotonic()
        for thread in clients:
            thread.start()
        wait_for(lambda: sum(1 for i in items if i.qid) >= KILL_AFTER
                 and len(sent_lines(mw.relay_log())) >= 5, 40,
                 "a third of the burst acknowledged and deliveries under way", interval=0.01)
        mw.relay.process.send_signal(signal.SIGKILL)
        mw.relay.process.wait(timeout=10)
        killed = time.monotonic()
        acked_before = {i.qid for i in items if i.qid}
        sent_before = {qid for qid, *_ in sent_lines(mw.relay_log())}  # the daemon is dead
        at_peer = {qid for qid, _ in self.settled_arrivals()}
        in_flight = at_peer - sent_before
        print(f"\n  kill at {killed - start:.1f}s: {len(acked_before)} acknowledged, "
              f"{len(sent_before)} logged sent, {len(at_peer)} at the peers, "
              f"in flight past DATA: {len(in_flight)}")
        self.assertLess(len(acked_before), MESSAGES, "killed after the burst")
        self.assertLessEqual(len(in_flight), 2 * CONNECTIONS)

        mw.relay.start()
        for thread in clients:
            thread.join(max(1, DEADLINE_S - (time.monotonic() - start)))
        self.stop.set()
        self.assertEqual([i.n for i in items if not i.qid], [], "never acknowledged")
        accepted = {i.qid: [i.rcpt] for i in items}
        wait_all_delivered(mw, accepted, 60)
        wait_for(lambda: not mw.queue_ids(), 30, "an empty queue", interval=0.25)
        got = self.settled_arrivals()
        retried = [i for i in items if i.attempts > 1]
        duplicates = {qid for (qid, _), count in got.items() if count > 1}
        print(f"  restart to all delivered: {time.monotonic() - killed:.1f}s; "
              f"{len(retried)} submissions retried, queue ids delivered twice: "
              f"{len(duplicates)}")
        self.assertTrue(retried, "no client noticed the kill")
        self.assertRegex(mw.relay_log(), r"spool \S+: [1-9]\d* unfinished messages")

        # No loss, and duplicates only where a delivery or submission was in flight.
        assert_no_accepted_lost(self, mw, accepted)
        self.assertLessEqual(max(got.values()), 2, "a message arrived three times")
        # A delivery logged sent just before the kill may not have its status
        # on disk yet (the log line comes first): it may repeat too, but only
        # something at the peers before the kill, and one per open connection.
        self.assertLessEqual(duplicates, at_peer, "a duplicate not delivered before the kill")
        self.assertLessEqual(len(duplicates), 2 * CONNECTIONS)
        # At the peer but never logged sent: poolgate did not see the 250, so
        # it must have delivered it again.
        self.assertLessEqual(in_flight, duplicates, "an in-flight delivery not repeated")
        by_rcpt = {}
        for (qid, rcpt), count in got.items():
            by_rcpt.setdefault(rcpt, set()).add(qid)
        for item in items:
            qids = by_rcpt.get(item.rcpt, set())
            self.assertIn(item.qid, qids)
            if len(qids) > 1:
                self.assertGreater(item.attempts, 1, f"{item.n}: stored twice, submitted once")

        # Pools: what each kind must get, decided, logged and used.
        decided = decisions(mw.relay_log())
        for item in items:
            self.assertEqual(decided[item.qid].pool, item.want_pool(), (item.n, item.kind))
        for qid in {qid for qid, _ in got}:
            self.assertIn(qid, decided, f"{qid} delivered without a logged decision")
        checked = assert_sources_in_decided_pools(self, mw)
        self.assertGreaterEqual(checked["normal"], MESSAGES // 2)
        self.assertGreaterEqual(checked["high-risk"], MESSAGES // 2)
        for name in mw.peers:
            for m in mw.peer_messages(name):
                self.assertIsNotNone(queue_id_of(m), m["data"][:200])


if __name__ == "__main__":
    pgtest.main()

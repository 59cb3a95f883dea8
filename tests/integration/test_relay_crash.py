"""Durability: a bounded load of concurrent sessions, kill -9 of the daemon in
the middle, restart. Every message that got a 250 is in the queue exactly once
and byte-identical; SIGTERM lets an in-flight transaction finish and exits 0."""
import hashlib
import re
import signal
import threading
import time
import unittest

import pgtest
from poolgate_test.relay import RawSession, Relay

SESSIONS, MESSAGES_PER_SESSION = 20, 40


def body(session, n):
    filler = f"line {n} of session {session} with some text to make it longer\r\n" * 40
    return f"Subject: crash test {session}/{n}\r\nMessage-Id: <{session}.{n}@example.com>\r\n\r\n{filler}"


class Crash(unittest.TestCase):
    def setUp(self):
        self.relay = Relay(pgtest.poolgate(), tag="crash")

    def tearDown(self):
        self.relay.close()

    def sender(self, index, acknowledged, lock, stop):
        try:
            session = RawSession(self.relay.connect())
            session.reply()
            session.command("EHLO load.example.com")
            for n in range(MESSAGES_PER_SESSION):
                if stop.is_set():
                    return
                text = body(index, n)
                session.send(f"MAIL FROM:<s{index}@example.com>\r\nRCPT TO:<r@example.org>\r\n"
                             "DATA\r\n")
                codes = [session.reply()[0] for _ in range(3)]
                if codes != [250, 250, 354]:
                    return
                session.send(text + ".\r\n")
                code, reply = session.reply()
                if code != 250:
                    return
                queue_id = re.search(r"queued as (\S+)", reply).group(1)
                with lock:
                    acknowledged[queue_id] = hashlib.sha256(text.encode()).hexdigest()
        except OSError:
            return  # the daemon died under us: expected

    def test_kill_9_mid_load_loses_no_acknowledged_message(self):
        acknowledged, lock, stop = {}, threading.Lock(), threading.Event()
        threads = [threading.Thread(target=self.sender, args=(i, acknowledged, lock, stop))
                   for i in range(SESSIONS)]
        for t in threads:
            t.start()
        deadline = time.time() + 20
        while time.time() < deadline and len(acknowledged) < SESSIONS * MESSAGES_PER_SESSION // 3:
            time.sleep(0.01)
        self.relay.process.send_signal(signal.SIGKILL)
        self.relay.process.wait()
        stop.set()
        for t in threads:
            t.join(10)
        with lock:
            acked = dict(acknowledged)
        self.assertGreater(len(acked), 20, "the load did not get going")
        self.assertLess(len(acked), SESSIONS * MESSAGES_PER_SESSION, "killed too late")

        self.relay.start()
        self.assertIn("unfinished messages", self.relay.log())
        queued = self.relay.queue()
        ids = [m["queue_id"] for m in queued]
        self.assertEqual(len(ids), len(set(ids)), "a message is queued twice")
        missing = set(acked) - set(ids)
        self.assertEqual(missing, set(), f"{len(missing)} acknowledged messages lost")
        for queue_id, digest in acked.items():
            stored = self.relay.content(queue_id)
            content = stored.split("\r\n", 4)[4]  # after poolgate's 4-line Received: header
            self.assertEqual(hashlib.sha256(content.encode()).hexdigest(), digest, queue_id)

    def test_sigterm_finishes_in_flight_transaction(self):
        session = RawSession(self.relay.connect())
        session.reply()
        session.command("EHLO term.example.com")
        session.send(f"MAIL FROM:<term@example.com>\r\nRCPT TO:<r@example.org>\r\nDATA\r\n")
        self.assertEqual([session.reply()[0] for _ in range(3)], [250, 250, 354])
        session.send("Subject: half\r\n\r\nfirst half\r\n")
        idle = RawSession(self.relay.connect())
        self.assertEqual(idle.reply()[0], 220)
        self.relay.process.send_signal(signal.SIGTERM)
        self.assertEqual(idle.reply()[0], 421)  # idle sessions are told at once
        time.sleep(0.3)
        session.send("second half\r\n.\r\n")
        self.assertEqual(session.reply()[0], 250)  # the in-flight message is accepted
        self.assertEqual(session.command("MAIL FROM:<more@example.com>")[0], 421)
        self.assertEqual(self.relay.process.wait(timeout=10), 0)
        self.relay.start()
        self.assertEqual([m["sender"] for m in self.relay.queue()], ["term@example.com"])


if __name__ == "__main__":
    pgtest.main()

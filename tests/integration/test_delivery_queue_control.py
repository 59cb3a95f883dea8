"""`poolgate queue retry|bounce|delete|suspend|resume` against the running
daemon's delivery engine (its control socket), and what survives a restart.

Retries are 600 s apart here, so a deferred message that is delivered within
the test was sent because an operator asked, not because its time came.
Senders whose DSNs a test reads live at implicit.example (its A is mx2);
hold.example and held.example have mx2 as MX and are only ever suspended by
the test that uses them.
"""
import time
import unittest

import pgtest
from poolgate_test.delivery_checks import (HIGH_RISK_POOL, NORMAL_POOL, dsns_to, log_lines, messages_to,
                             recipient_entry, wait_for, wait_gone, wait_log, wait_recipient)
from poolgate_test.mailworld import DEFAULT_DNS, MailWorld, dsn_report

DNS = dict(DEFAULT_DNS, mx=DEFAULT_DNS["mx"] + [("hold.example", 10, "mx2.example.net"),
                                                ("held.example", 10, "mx2.example.net")])
DELIVERY = {"retry_intervals_s": [600], "max_lifetime_s": 3600, "delay_warning_s": 0}
BODY = "Subject: queue control\r\n\r\n{marker}\r\n"


class QueueControlBase(unittest.TestCase):
    TAG = "dqc"

    @classmethod
    def setUpClass(cls):
        cls.mw = MailWorld(pgtest.poolgate(), tag=cls.TAG, dns=DNS, delivery=DELIVERY)

    @classmethod
    def tearDownClass(cls):
        cls.mw.close()

    def queue_cmd(self, *args, check=True):
        return self.mw.world.pg("queue", *args, check=check)

    def restart(self):
        self.assertEqual(self.mw.relay.stop(), 0, self.mw.relay_log()[-2000:])
        self.mw.relay.start()

    def deferred(self, sender, rcpt):
        """A message whose only recipient was tried once and deferred (600 s)."""
        qid = self.mw.submit(sender, [rcpt], BODY.format(marker=rcpt))
        r = wait_recipient(self.mw, qid, rcpt, "deferred", 10, min_attempts=1)
        self.assertEqual(r["attempts"], 1)
        self.assertTrue(r["last_reply"].startswith("451"), r)
        self.assertGreater(r["next_attempt"] - time.time(), 500)
        return qid

    def assert_held(self, qid, rcpt, state, attempts, seconds):
        """For `seconds`: the recipient stays `state` with `attempts`, and
        nothing arrives for it."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            r = recipient_entry(self.mw, qid, rcpt)
            self.assertIsNotNone(r, f"{qid} left the queue")
            self.assertEqual((r["state"], r["attempts"]), (state, attempts), r)
            self.assertEqual(messages_to(self.mw, rcpt), [])
            time.sleep(0.25)


class QueueControl(QueueControlBase):
    def tearDown(self):
        wait_for(lambda: self.mw.queue() == [], 10, "an empty queue after the test")

    # --- retry ---------------------------------------------------------------------
    def test_retry_sends_a_deferred_message_now(self):
        rcpt = "tempfirst-r1@example.net"
        qid = self.deferred("retrier@example.com", rcpt)
        self.assert_held(qid, rcpt, "deferred", 1, 1.5)
        out = self.queue_cmd("retry", qid).stdout
        self.assertIn("scheduled for delivery now", out)
        got = wait_for(lambda: messages_to(self.mw, rcpt), 5, f"delivery to {rcpt} after retry")
        self.assertIn(got[0][1]["peer"], NORMAL_POOL)
        wait_gone(self.mw, qid, 5)
        lines = log_lines(self.mw, qid)
        asked = [i for i, l in enumerate(lines) if "retry requested by operator (1 jobs" in l]
        sent = [i for i, l in enumerate(lines) if "status=sent" in l]
        self.assertTrue(asked and sent and asked[0] < sent[0], lines)

    def test_retry_time_survives_restart_and_offline_retry_applies_at_start(self):
        rcpt = "tempfirst-r2@example.net"
        qid = self.deferred("retrier2@example.com", rcpt)
        self.restart()
        # The spool kept the retry time: no attempt at start.
        self.assert_held(qid, rcpt, "deferred", 1, 2)
        self.assertEqual(self.mw.relay.stop(), 0)
        self.assertIn("scheduled for delivery now", self.queue_cmd("retry", qid).stdout)
        self.mw.relay.start()
        got = wait_for(lambda: messages_to(self.mw, rcpt), 5, f"delivery to {rcpt} at start")
        self.assertIn(got[0][1]["peer"], NORMAL_POOL)
        wait_gone(self.mw, qid, 5)

    # --- bounce and delete -----------------------------------------------------------
    def test_bounce_fails_the_message_with_a_dsn(self):
        sender, rcpt = "bouncer@implicit.example", "temp-b1@example.net"
        qid = self.deferred(sender, rcpt)
        self.assertIn("bounced", self.queue_cmd("bounce", qid).stdout)
        dsns = wait_for(lambda: dsns_to(self.mw, sender), 5, f"a DSN to {sender}")
        wait_gone(self.mw, qid, 5)
        time.sleep(0.5)
        dsns = dsns_to(self.mw, sender)
        self.assertEqual(len(dsns), 1)
        self.assertIn(dsns[0][1]["peer"], HIGH_RISK_POOL)
        report = dsn_report(dsns[0][1]["data"])
        self.assertEqual(report.per_message["x-poolgate-queue-id"], qid)
        r = report.recipients[0]
        self.assertEqual(r["final-recipient"], f"rfc822; {rcpt}")
        self.assertEqual((r["action"], r["status"]), ("failed", "5.0.0"))
        # poolgate's decision, not the peer's: no smtp diagnostic, no Remote-MTA.
        self.assertEqual(r["diagnostic-code"],
                         "X-Poolgate; 550 5.0.0 message bounced by the administrator")
        self.assertNotIn("remote-mta", r)
        self.assertEqual(messages_to(self.mw, rcpt), [])
        missing = self.queue_cmd("bounce", qid, check=False)
        self.assertEqual(missing.returncode, 1)
        self.assertIn(f"no message {qid}", missing.stderr)

    def test_delete_drops_the_message_without_a_dsn(self):
        sender, rcpt = "deleter@implicit.example", "temp-d1@example.net"
        qid = self.deferred(sender, rcpt)
        self.assertIn("deleted", self.queue_cmd("delete", qid).stdout)
        wait_gone(self.mw, qid, 5)
        wait_log(self.mw, qid, "deleted by operator", 5)
        # Nothing is left to retry, and no DSN comes.
        missing = self.queue_cmd("retry", qid, check=False)
        self.assertEqual(missing.returncode, 1)
        self.assertIn(f"no message {qid}", missing.stderr)
        time.sleep(1.5)
        self.assertEqual(dsns_to(self.mw, sender), [])
        self.assertFalse([l for l in log_lines(self.mw, qid) if "notification" in l])

    # --- suspend and resume ------------------------------------------------------------
    def test_suspend_holds_a_domain_across_restart_until_resume(self):
        held, other = "user-s1@hold.example", "other-s1@example.net"
        # Through the daemon, which normalizes the name (case, trailing dot).
        self.assertIn("suspended", self.queue_cmd("suspend", "Hold.Example.").stdout)
        try:
            qid = self.mw.submit("suspender@example.com", [held, other],
                                 BODY.format(marker="SUSPEND-1"))
            # Only the suspended domain waits; the other recipient goes.
            wait_for(lambda: messages_to(self.mw, other), 10, f"delivery to {other}")
            self.assert_held(qid, held, "queued", 0, 2)

            self.restart()
            wait_for(lambda: "delivery to hold.example is suspended" in self.mw.relay_log(), 5,
                     "the suspension reported at start")
            self.assert_held(qid, held, "queued", 0, 2)
        finally:
            self.assertIn("resumed", self.queue_cmd("resume", "hold.example").stdout)
        got = wait_for(lambda: messages_to(self.mw, held), 5, f"delivery to {held} on resume")
        self.assertEqual(len(got), 1)
        self.assertEqual(got[0][0], "mx2")
        self.assertIn(got[0][1]["peer"], NORMAL_POOL)
        wait_gone(self.mw, qid, 5)
        again = self.queue_cmd("resume", "hold.example", check=False)
        self.assertEqual(again.returncode, 1)
        self.assertIn("not suspended", again.stderr)


class OfflineSuspend(QueueControlBase):
    """`queue suspend` with no daemon running writes the spool itself."""
    TAG = "dqo"

    # Domains are compared lower case without a trailing dot, whether the
    # suspension was written by the daemon or offline by the CLI.
    def test_offline_suspend_is_case_insensitive(self):
        self.check_offline_suspend("Held.Example", "user-o1@held.example")

    def test_offline_suspend_holds_until_resume(self):
        self.check_offline_suspend("hold.example", "user-o2@hold.example")

    def check_offline_suspend(self, typed, rcpt):
        self.assertEqual(self.mw.relay.stop(), 0)
        self.assertIn("delivery suspended", self.queue_cmd("suspend", typed).stdout)
        self.mw.relay.start()
        try:
            qid = self.mw.submit("offline@example.com", [rcpt], BODY.format(marker=rcpt))
            self.assert_held(qid, rcpt, "queued", 0, 2)
            # The running daemon knows the suspension: resuming releases the mail.
            domain = rcpt.split("@")[1]
            self.assertIn("resumed", self.queue_cmd("resume", domain).stdout)
            got = wait_for(lambda: messages_to(self.mw, rcpt), 5, f"delivery to {rcpt}")
            self.assertIn(got[0][1]["peer"], NORMAL_POOL)
            wait_gone(self.mw, qid, 5)
        finally:
            # Whatever happened, leave nothing suspended or queued behind.
            self.mw.relay.stop()
            self.queue_cmd("resume", typed, check=False)
            for entry in self.mw.queue():
                self.queue_cmd("delete", entry["queue_id"], check=False)
            self.mw.relay.start()


if __name__ == "__main__":
    pgtest.main()

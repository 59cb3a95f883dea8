"""What the delivery engine does with each kind of answer, end to end: mail in
at `poolgate run` (gateway netns), out through the real data plane to aiosmtpd
peers (peer netns) that record the client address they saw.

    delivered            -> from a normal-pool address, content intact, queue empty
    451 once, then 250   -> deferred (attempts 1, 451 kept), delivered on retry
    550                  -> RFC 3464 DSN to the sender's MX, MAIL FROM:<>, high-risk pool
    NOTIFY=NEVER, <>     -> no DSN (no bounce loop)
    5xx/4xx reply class  -> class= in the log, `queue show`, the DSN, the metric
    451 until expiry     -> failed 4.4.7, DSN; delay warning (Action: delayed) once

Senders whose DSNs a test reads live at implicit.example (no MX; its A is
mx2, IPv4) or example.org (mx6, IPv6); recipients at example.net (mx1).
Every test has its own addresses, so the tests of a class share one world.
"""
import datetime
import email.utils
import time
import unittest

import pgtest
from poolgate_test.delivery_checks import (HIGH_RISK_POOL, NORMAL_POOL, dsns_to, log_lines, messages_to,
                             queue_entry, split_received, wait_for, wait_gone, wait_log,
                             wait_recipient)
from poolgate_test.admin_http import scrape, value
from poolgate_test.mailworld import MailWorld, dsn_report


def message_body(subject, marker):
    return (f"Subject: {subject}\r\nFrom: <someone@example.com>\r\n"
            f"Message-ID: <{marker}@client.example.com>\r\n\r\n"
            f"{marker}\r\nsecond line\r\n")


def date_of(value):
    return email.utils.parsedate_to_datetime(value).timestamp()


class Outcomes(unittest.TestCase):
    """Default harness delivery settings: retries after 2 s, lifetime 60 s, no
    delay warnings. A block (the reply-class test's "listed" recipient) rests
    the normal addresses at example.net's MX for a second or two only, so the
    other tests' mail there does not wait for it."""

    @classmethod
    def setUpClass(cls):
        cls.mw = MailWorld(pgtest.poolgate(), tag="dout",
                           reputation={"block_suspend_s": 1, "block_suspend_max_s": 2})

    @classmethod
    def tearDownClass(cls):
        cls.mw.close()

    def tearDown(self):
        # Every test finishes its messages (DSNs included); a leftover means an
        # outcome never became final.
        wait_for(lambda: self.mw.queue() == [], 10, "an empty queue after the test")

    def one_dsn(self, sender, timeout=15):
        dsns = wait_for(lambda: dsns_to(self.mw, sender), timeout, f"a DSN to {sender}")
        time.sleep(0.5)  # a second one would come at once
        dsns = dsns_to(self.mw, sender)
        self.assertEqual(len(dsns), 1, [m["data"][:300] for _, m in dsns])
        return dsns[0][1]

    # --- 1. delivered ----------------------------------------------------------
    def test_delivered_from_normal_pool_content_intact(self):
        # Lines starting with "." (one of them a lone ".", which would end DATA
        # if the relay forgot to stuff it again on the way out).
        body = ("Subject: deliver\r\nMessage-ID: <deliver@client.example.com>\r\n\r\n"
                "first line\r\n.leading dot\r\n..two dots\r\n.\r\nafter a lone dot\r\n"
                ". dot space\r\nlast line\r\n")
        for rcpt, peer, family in [("deliver-v4@example.net", "mx1", 4),
                                   ("deliver-v6@example.org", "mx6", 6)]:
            with self.subTest(rcpt=rcpt):
                qid = self.mw.submit("deliverer@example.com", [rcpt], body)
                got = wait_for(lambda: messages_to(self.mw, rcpt), 15, f"delivery to {rcpt}")
                self.assertEqual(len(got), 1)
                name, m = got[0]
                self.assertEqual(name, peer)
                self.assertIn(m["peer"], NORMAL_POOL)
                self.assertEqual(":" in m["peer"], family == 6)
                self.assertEqual(m["mail_from"], "deliverer@example.com")
                self.assertEqual(m["rcpt_tos"], [rcpt])
                received, rest = split_received(m["data"])
                self.assertTrue(received.startswith(b"Received: from client.example.com "),
                                received)
                self.assertIn(f"by relay.example.com (poolgate) with ESMTP id {qid}".encode(),
                              received)
                self.assertIn(f"for <{rcpt}>;".encode(), received)
                self.assertEqual(rest, body.encode())
                wait_gone(self.mw, qid, 5)
                sent = wait_log(self.mw, qid, "status=sent", 5)
                self.assertIn("pool=normal", sent[0])
                self.assertIn(f"source={m['peer']} ", sent[0])
                wait_log(self.mw, qid, "removed (all recipients final)", 5)

    # --- 2. 4xx, then 250 on retry ------------------------------------------------
    def test_tempfirst_deferred_then_delivered_on_retry(self):
        rcpt = "tempfirst-o1@example.net"
        qid = self.mw.submit("retrier@example.com", [rcpt], message_body("retry", "RETRY-1"))
        deferred = wait_recipient(self.mw, qid, rcpt, "deferred", 10)
        self.assertEqual(deferred["attempts"], 1)
        self.assertTrue(deferred["last_reply"].startswith("451"), deferred)
        self.assertIn("4.2.0", deferred["last_reply"])
        self.assertGreater(deferred["next_attempt"], 0)

        got = wait_for(lambda: messages_to(self.mw, rcpt), 15, f"the retry to {rcpt}")
        self.assertEqual(len(got), 1)
        self.assertIn(got[0][1]["peer"], NORMAL_POOL)
        wait_gone(self.mw, qid, 5)
        lines = log_lines(self.mw, qid)
        attempts = [l for l in lines if f"to=<{rcpt}>" in l]
        self.assertEqual(len(attempts), 2, lines)
        self.assertIn("status=deferred (451 4.2.0", attempts[0])
        self.assertIn("status=sent", attempts[1])
        # The retry waited for its interval: 2 s, counted in whole seconds from
        # the second the attempt failed in, so a failure at x.99 is retried at
        # x+2.0 by the 1 s ticker: just over 1 s later at the least.
        t0, t1 = (datetime.datetime.fromisoformat(l[:23]).timestamp() for l in attempts)
        self.assertGreaterEqual(t1 - t0, 1.0, attempts)
        # No DSN for a message that was only deferred (no delay warning configured).
        self.assertEqual(dsns_to(self.mw, "retrier@example.com"), [])

    # --- 3. 5xx -> DSN ---------------------------------------------------------------
    def check_dsn_envelope(self, dsn, sender):
        self.assertIn(dsn["peer"], HIGH_RISK_POOL, "a DSN left from outside the high-risk pool")
        self.assertEqual(dsn["rcpt_tos"], [sender])

    def test_perm_failure_dsn_headers_only_with_orcpt(self):
        sender, rcpt = "hdrs-sender@implicit.example", "perm-h@example.net"
        qid = self.mw.submit(sender, [rcpt], message_body("hdrs", "BODY-MARKER-HDRS"),
                             mail_options=["RET=HDRS", "ENVID=envid-hdrs"],
                             rcpt_options=["NOTIFY=FAILURE", "ORCPT=rfc822;orig-h@example.net"])
        dsn = self.one_dsn(sender)
        self.check_dsn_envelope(dsn, sender)
        self.assertFalse(":" in dsn["peer"], "implicit.example has only an A record")

        report = dsn_report(dsn["data"])
        self.assertEqual([a.addr_spec for a in report.message["to"].addresses], [sender])
        self.assertIn("MAILER-DAEMON@relay.example.com", report.message["from"])
        self.assertEqual(report.message["auto-submitted"], "auto-replied")
        self.assertEqual(report.per_message["reporting-mta"], "dns; relay.example.com")
        self.assertEqual(report.per_message["original-envelope-id"], "envid-hdrs")
        self.assertEqual(report.per_message["x-poolgate-queue-id"], qid)
        self.assertEqual(len(report.recipients), 1)
        r = report.recipients[0]
        self.assertEqual(r["final-recipient"], f"rfc822; {rcpt}")
        self.assertEqual(r["original-recipient"].replace(" ", ""), "rfc822;orig-h@example.net")
        self.assertEqual(r["action"], "failed")
        self.assertEqual(r["status"], "5.1.1")
        self.assertEqual(r["remote-mta"], "dns; mx1.example.net")
        self.assertEqual(r["diagnostic-code"], "smtp; 550 5.1.1 No such user")
        # RET=HDRS: the original's headers, not its body.
        parts = [p.get_content_type() for p in report.message.iter_parts()]
        self.assertEqual(parts, ["text/plain", "message/delivery-status", "text/rfc822-headers"])
        self.assertEqual(report.returned["subject"], "hdrs")
        self.assertEqual(report.returned["message-id"], "<BODY-MARKER-HDRS@client.example.com>")
        self.assertNotIn(b"BODY-MARKER-HDRS\r\n", dsn["data"])

        wait_gone(self.mw, qid, 5)
        notice = wait_log(self.mw, qid, "sender non-delivery notification:", 5)[0]
        dsn_id = notice.rsplit(" ", 1)[1]
        sent = wait_log(self.mw, dsn_id, "status=sent", 5)[0]
        self.assertIn("pool=high-risk", sent)
        self.assertEqual(messages_to(self.mw, rcpt), [])

    def test_perm_failure_dsn_full_reports_only_the_failed_recipient(self):
        # The sender's MX is IPv6 only: the DSN leaves from the high-risk IPv6 address.
        sender = "full-sender@example.org"
        failed, delivered = "perm-f@example.net", "ok-f@example.net"
        qid = self.mw.submit(sender, [failed, delivered], message_body("full", "BODY-MARKER-FULL"),
                             mail_options=["RET=FULL"])
        dsn = self.one_dsn(sender)
        self.check_dsn_envelope(dsn, sender)
        self.assertTrue(":" in dsn["peer"], dsn["peer"])
        got = wait_for(lambda: messages_to(self.mw, delivered), 10, f"delivery to {delivered}")
        self.assertIn(got[0][1]["peer"], NORMAL_POOL)

        report = dsn_report(dsn["data"])
        self.assertEqual([r["final-recipient"] for r in report.recipients], [f"rfc822; {failed}"])
        r = report.recipients[0]
        self.assertEqual((r["action"], r["status"]), ("failed", "5.1.1"))
        self.assertNotIn("original-recipient", r)  # no ORCPT given
        self.assertTrue(r["diagnostic-code"].startswith("smtp; 550"), r)
        self.assertNotIn("original-envelope-id", report.per_message)  # no ENVID given
        # RET=FULL: the whole original, as message/rfc822.
        parts = [p.get_content_type() for p in report.message.iter_parts()]
        self.assertEqual(parts, ["text/plain", "message/delivery-status", "message/rfc822"])
        self.assertEqual(report.returned["subject"], "full")
        self.assertIn("BODY-MARKER-FULL", report.returned.get_content())
        self.assertIn(f"id {qid}", report.returned["received"])
        wait_gone(self.mw, qid, 5)

    # --- 4. no DSN -------------------------------------------------------------------
    def test_notify_never_sends_no_dsn(self):
        sender, control = "never-sender@implicit.example", "never-control@implicit.example"
        qid = self.mw.submit(sender, ["perm-n@example.net"], message_body("never", "NEVER-1"),
                             rcpt_options=["NOTIFY=NEVER"])
        # The same failure without NOTIFY=NEVER, sent right after: once its DSN
        # has arrived, the other's would have too.
        control_qid = self.mw.submit(control, ["perm-n2@example.net"],
                                     message_body("never-control", "NEVER-2"))
        self.one_dsn(control)
        wait_gone(self.mw, qid, 5)
        wait_gone(self.mw, control_qid, 5)
        self.assertTrue([l for l in log_lines(self.mw, qid) if "status=bounced (550" in l])
        time.sleep(1)
        self.assertEqual(dsns_to(self.mw, sender), [])
        self.assertFalse([l for l in log_lines(self.mw, qid) if "notification" in l])
        self.assertFalse([m for _, m in self.all() if qid.encode() in m["data"]])

    def test_null_sender_failure_sends_no_dsn(self):
        qid = self.mw.submit("", ["perm-null@example.net"], message_body("null", "NULL-MARKER"))
        wait_gone(self.mw, qid, 10)
        attempt = wait_log(self.mw, qid, "status=bounced (550", 5)[0]
        # A null-sender message is a bounce: it goes out through the high-risk pool.
        self.assertIn("pool=high-risk", attempt)
        self.assertTrue(any(f"source={a} " in attempt for a in HIGH_RISK_POOL), attempt)
        time.sleep(1.5)
        self.assertFalse([l for l in log_lines(self.mw, qid) if "notification" in l])
        arrived = [(n, m["rcpt_tos"]) for n, m in self.all()
                   if b"NULL-MARKER" in m["data"] or qid.encode() in m["data"]]
        self.assertEqual(arrived, [])

    def test_dsn_that_bounces_is_dropped_not_bounced(self):
        # The sender's own mailbox answers 550: its DSN fails in turn, and that
        # failure (of a null-sender message) must end there.
        sender = "perm-sender@implicit.example"
        qid = self.mw.submit(sender, ["perm-dbl@example.net"], message_body("dbl", "DOUBLE-1"))
        notice = wait_log(self.mw, qid, "sender non-delivery notification:", 10)[0]
        dsn_id = notice.rsplit(" ", 1)[1]
        attempt = wait_log(self.mw, dsn_id, "status=bounced (550", 10)[0]
        self.assertIn("pool=high-risk", attempt)
        self.assertIn(f"to=<{sender}>", attempt)
        wait_gone(self.mw, qid, 5)
        wait_gone(self.mw, dsn_id, 5)
        time.sleep(1)
        self.assertFalse([l for l in log_lines(self.mw, dsn_id) if "notification" in l])
        self.assertFalse([m for _, m in self.all() if dsn_id.encode() in m["data"]])

    # --- 5. reply classes ---------------------------------------------------------
    def test_reply_class_in_log_queue_show_dsn_and_metric(self):
        # mx1 answers RCPT with "550 5.1.1 No such user", a blocklist's
        # "554 5.7.1 ... blocked using zen.spamhaus.org" and "451 4.2.0
        # Mailbox temporarily unavailable": the shipped rules' classes
        # everywhere the outcome shows. The blocklisted one is deferred, not
        # bounced: a block is about our address (it rests; the recipient waits).
        sender = "class-sender@implicit.example"
        unknown, listed, later = ("perm-cls@example.net", "listed-cls@example.net",
                                  "temp-cls@example.net")
        before = scrape(self.mw.gw)
        qid = self.mw.submit(sender, [unknown, listed, later], message_body("cls", "CLASS-1"))
        try:
            self.check_reply_classes(sender, qid, before, unknown, listed, later)
        finally:
            # temp-cls waits for its lifetime; the empty queue tearDown wants
            # needs it gone.
            self.mw.world.pg("queue", "delete", qid, check=False)

    def check_reply_classes(self, sender, qid, before, unknown, listed, later):
        expected = {unknown: ("failed", "invalid-recipient", "550 5.1.1"),
                    listed: ("deferred", "reputation-block", "451 4.7.1"),
                    later: ("deferred", "other", "451 4.2.0")}

        # The DSN: per recipient as X-Poolgate-Reply-Class, and for the human.
        report = dsn_report(self.one_dsn(sender)["data"])
        classes = {r["final-recipient"]: r.get("x-poolgate-reply-class") for r in report.recipients}
        self.assertEqual(classes, {f"rfc822; {unknown}": "invalid-recipient"})
        self.assertIn("Reply class: invalid-recipient", report.text)

        # The delivery log: class= before status=, one line per recipient; the
        # block shown in its deferred form, the next hop's words kept.
        for rcpt, (_, cls, reply) in expected.items():
            line = wait_log(self.mw, qid, f"to=<{rcpt}>", 5)[0]
            status = "bounced" if reply.startswith("5") else "deferred"
            self.assertIn(f" stage=rcpt class={cls} status={status} ({reply} ", line)
        self.assertIn("(was 554 5.7.1)", wait_log(self.mw, qid, f"to=<{listed}>", 5)[0])

        # `queue list --json` and `queue show`, the recipient status as stored
        # (written once the DSN is durable).
        for rcpt, (state, cls, _) in expected.items():
            entry = wait_recipient(self.mw, qid, rcpt, state, 5)
            self.assertEqual(entry["last_class"], cls, entry)

        def rows():
            shown = self.mw.world.pg("queue", "show", qid).stdout
            found = {rcpt: [l for l in shown.splitlines() if f"<{rcpt}> {state} " in l]
                     for rcpt, (state, _, _) in expected.items()}
            return found if all(found.values()) else None
        shown = wait_for(rows, 5, f"`queue show {qid}` with every recipient's outcome")
        for rcpt, (_, cls, reply) in expected.items():
            self.assertIn(f" class={cls} last reply: {reply} ", shown[rcpt][0])

        # The metric, per pool and class, moved by these outcomes.
        after = scrape(self.mw.gw)
        for cls in ("invalid-recipient", "reputation-block", "other"):
            was = value(before, "poolgate_remote_replies", pool="normal", **{"class": cls}) or 0
            now = value(after, "poolgate_remote_replies", pool="normal", **{"class": cls})
            self.assertIsNotNone(now, cls)
            self.assertGreaterEqual(now - was, 1, cls)
        self.assertEqual(after["poolgate_remote_replies"]["type"], "counter")

    def all(self):
        return [(n, m) for n in self.mw.peers for m in self.mw.peer_messages(n)]


class Expiry(unittest.TestCase):
    """max_lifetime_s 6, delay_warning_s 3, retries every 2 s, recipients that
    always answer 451: all three messages are submitted at once and age
    together (about 8 s)."""
    LIFETIME, WARNING = 6, 3

    @classmethod
    def setUpClass(cls):
        cls.mw = MailWorld(pgtest.poolgate(), tag="dexp",
                           delivery={"max_lifetime_s": cls.LIFETIME,
                                     "delay_warning_s": cls.WARNING,
                                     "retry_intervals_s": [2, 2]})
        cls.ids = {}
        try:
            for key, sender, rcpt, options in [
                    ("fail", "exp-fail@implicit.example", "temp-x1@example.net",
                     ["NOTIFY=FAILURE"]),
                    ("default", "exp-dly@implicit.example", "temp-x2@example.net", []),
                    ("delay", "exp-dlyonly@implicit.example", "temp-x3@example.net",
                     ["NOTIFY=DELAY"])]:
                qid = cls.mw.submit(sender, [rcpt], message_body(key, f"EXPIRY-{key}"),
                                    rcpt_options=options)
                cls.ids[key] = (qid, sender, rcpt)
        except BaseException:
            cls.mw.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.mw.close()

    def finished(self, key):
        """Waits until the message is gone and its DSNs had time to arrive;
        returns (qid, sender, rcpt, [parsed DSNs in arrival order])."""
        qid, sender, rcpt = self.ids[key]
        wait_gone(self.mw, qid, 25)
        time.sleep(1)
        dsns = dsns_to(self.mw, sender)
        for _, m in dsns:
            self.assertIn(m["peer"], HIGH_RISK_POOL)
        return qid, sender, rcpt, [dsn_report(m["data"]) for _, m in dsns]

    def check_expired(self, report, qid, rcpt):
        self.assertEqual(report.per_message["x-poolgate-queue-id"], qid)
        self.assertEqual(report.message["subject"], "Undelivered Mail Returned to Sender")
        r = report.recipients[0]
        self.assertEqual(r["final-recipient"], f"rfc822; {rcpt}")
        self.assertEqual((r["action"], r["status"]), ("failed", "4.4.7"))
        self.assertIn("expired", r["diagnostic-code"])
        self.assertIn("Mailbox temporarily unavailable", r["diagnostic-code"])
        self.assertNotIn("will-retry-until", r)
        waited = date_of(r["last-attempt-date"]) - date_of(report.per_message["arrival-date"])
        self.assertGreaterEqual(waited, self.LIFETIME)

    def check_delayed(self, report, qid, rcpt):
        self.assertEqual(report.per_message["x-poolgate-queue-id"], qid)
        self.assertEqual(report.message["subject"], "Delayed Mail (still being retried)")
        r = report.recipients[0]
        self.assertEqual(r["final-recipient"], f"rfc822; {rcpt}")
        self.assertEqual((r["action"], r["status"]), ("delayed", "4.2.0"))
        self.assertEqual(r["diagnostic-code"], "smtp; 451 4.2.0 Mailbox temporarily unavailable")
        self.assertEqual(r["remote-mta"], "dns; mx1.example.net")
        arrival = date_of(report.per_message["arrival-date"])
        self.assertEqual(date_of(r["will-retry-until"]) - arrival, self.LIFETIME)
        self.assertGreaterEqual(date_of(r["last-attempt-date"]) - arrival, self.WARNING)

    # --- 5. expiry -------------------------------------------------------------------
    def test_expired_recipient_fails_with_4_4_7_and_a_dsn(self):
        qid, _, rcpt, reports = self.finished("fail")
        # NOTIFY=FAILURE: the expiry's DSN, and no delay warning.
        self.assertEqual(len(reports), 1, [r.recipients for r in reports])
        self.check_expired(reports[0], qid, rcpt)
        lines = log_lines(self.mw, qid)
        self.assertGreaterEqual(len([l for l in lines if "status=deferred" in l]), 2, lines)
        self.assertEqual(len([l for l in lines if "sender non-delivery notification" in l]), 1)
        self.assertEqual(messages_to(self.mw, rcpt), [])

    # RFC 3464 2.3.6 / dsn.h: "smtp;" is only for what the remote server said;
    # an expiry is poolgate's decision ("X-Poolgate;"), the next hop's last
    # reply kept in the text, the age said in a unit that fits.
    def test_expiry_diagnostic_is_poolgates_not_smtp(self):
        _, _, _, reports = self.finished("fail")
        code = reports[-1].recipients[0]["diagnostic-code"]
        self.assertTrue(code.startswith("X-Poolgate; "), code)
        self.assertIn("seconds in the queue; last error: 451 4.2.0", code)

    # --- 6. delay warning ------------------------------------------------------------
    def test_delay_dsn_once_then_failure_with_default_notify(self):
        qid, _, rcpt, reports = self.finished("default")
        # In the order poolgate wrote them (their last attempts): arrival order
        # at the peer can differ when the two go out on separate connections.
        reports.sort(key=lambda r: date_of(r.recipients[0]["last-attempt-date"]))
        actions = [r.recipients[0]["action"] for r in reports]
        self.assertEqual(actions, ["delayed", "failed"])
        self.check_delayed(reports[0], qid, rcpt)
        self.check_expired(reports[1], qid, rcpt)

    def test_delay_dsn_once_with_notify_delay(self):
        qid, _, rcpt, reports = self.finished("delay")
        # NOTIFY=DELAY alone: the warning, but no notice of the final failure.
        self.assertEqual([r.recipients[0]["action"] for r in reports], ["delayed"])
        self.check_delayed(reports[0], qid, rcpt)
        lines = log_lines(self.mw, qid)
        self.assertEqual(len([l for l in lines if "sender delay notification" in l]), 1, lines)
        self.assertIsNone(queue_entry(self.mw, qid))


if __name__ == "__main__":
    pgtest.main()

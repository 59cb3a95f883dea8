"""Classification end to end, DNS and NDR rules: mail in at `poolgate run`
(gateway netns), classified before its 250, out through the real data plane
to aiosmtpd peers that record the source address they saw.

    sender domain with A / MX / both        -> normal pool, no reason
    sender domain NXDOMAIN / NODATA         -> high-risk, sender-domain:no-a-no-mx D
    From: domain NXDOMAIN (envelope fine)   -> high-risk, from-domain:no-a-no-mx D
    sender domain DNS timeout / SERVFAIL    -> 250, held (hold_for_dns), then
                                               high-risk sender-domain:unverified D
                                               once dns_unknown_after_s has passed
    MAIL FROM:<>                            -> high-risk, ndr:null-sender
    multipart/report delivery-status        -> high-risk, ndr:delivery-status

Every recipient is at example.net (mx1, IPv4), so the source address the peer
saw tells the pool: 198.51.100.10/.11 normal, 203.0.113.66 high-risk. The
spam scanner and the sender limits are in test_classify_spam_limits.py.
Every test has its own senders, so the tests share one world.
"""
import json
import time
import unittest

import pgtest
from poolgate_test.delivery_checks import (HIGH_RISK_POOL, NORMAL_POOL, dsns_to, log_lines, messages_to,
                             wait_for, wait_gone, wait_log)
from poolgate_test.mailworld import DEFAULT_DNS, MailWorld

# dns_unknown_after_s: long enough to see the hold (the arrival check of a
# timeout domain itself takes ~1 s: MX and A each wait timeout_ms 500), short
# enough for the test. The engine re-checks every dns_unknown_after_s / 2.
UNKNOWN_AFTER_S = 4

SENDER_DOMAINS = {
    "mx": [("mxonly.example", 10, "mx1.example.net"), ("both.example", 10, "mx1.example.net"),
           ("parked.example", 10, "mx1.example.net")],
    "a": [("aonly.example", "192.0.2.10"), ("both.example", "192.0.2.11")],
    # NODATA: the name exists (a TXT record) but has neither MX nor A.
    "txt": [("txtonly.example", "v=spf1 -all")],
    # ghost.example, ghost-from.example: not in the zone, so NXDOMAIN.
}


def zone():
    spec = {k: list(v) for k, v in DEFAULT_DNS.items()}
    for key, records in SENDER_DOMAINS.items():
        spec.setdefault(key, []).extend(records)
    return spec


def body(subject, from_addr, marker, extra_headers=""):
    return (f"Subject: {subject}\r\nFrom: <{from_addr}>\r\nTo: <rcpt@example.net>\r\n"
            f"Message-ID: <{marker}@client.example.com>\r\n{extra_headers}\r\n"
            f"{marker}\r\n")


def classified_line(mw, qid, timeout=5):
    return wait_log(mw, qid, ": classified pool=", timeout)[0]


class DnsAndNdrRules(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.mw = MailWorld(pgtest.poolgate(), tag="ccls", dns=zone(),
                           classify={"dns_unknown_after_s": UNKNOWN_AFTER_S})

    @classmethod
    def tearDownClass(cls):
        cls.mw.close()

    def delivered(self, rcpt, timeout=15):
        # messages_to leaves out null-sender messages (DSNs); dsns_to has them.
        got = wait_for(lambda: messages_to(self.mw, rcpt) or dsns_to(self.mw, rcpt), timeout,
                       f"delivery to {rcpt}")
        self.assertEqual(len(got), 1, got)
        return got[0][1]

    def check_sent(self, qid, rcpt, pool):
        """The one message to `rcpt` came from `pool`'s addresses, and the log says so."""
        m = self.delivered(rcpt)
        self.assertIn(m["peer"], NORMAL_POOL if pool == "normal" else HIGH_RISK_POOL,
                      f"{rcpt}: expected the {pool} pool")
        sent = wait_log(self.mw, qid, "status=sent", 5)[0]
        self.assertIn(f"pool={pool}", sent)
        self.assertIn(f"source={m['peer']} ", sent)
        return m

    # --- 1. sender domain with / without A and MX -----------------------------------
    def test_sender_domain_with_a_or_mx_goes_normal(self):
        for domain in ("aonly.example", "mxonly.example", "both.example"):
            with self.subTest(domain=domain):
                sender, rcpt = f"user@{domain}", f"ok-{domain.split('.')[0]}@example.net"
                qid = self.mw.submit(sender, [rcpt], body("ok", sender, f"OK-{domain}"))
                line = classified_line(self.mw, qid)
                self.assertIn("pool=normal reasons=clean", line)
                m = self.check_sent(qid, rcpt, "normal")
                self.assertEqual(m["mail_from"], sender)

    def test_sender_domain_nxdomain_and_nodata_go_high_risk(self):
        # The harness's zone really answers the way the test names it.
        self.assertEqual(self.mw.dns_query("ghost.example", "MX").rcode, "NXDOMAIN")
        for qtype in ("MX", "A"):
            nodata = self.mw.dns_query("txtonly.example", qtype)
            self.assertEqual((nodata.rcode, nodata.records), ("NOERROR", []), nodata)
        for domain in ("ghost.example", "txtonly.example"):
            with self.subTest(domain=domain):
                sender, rcpt = f"user@{domain}", f"hr-{domain.split('.')[0]}@example.net"
                qid = self.mw.submit(sender, [rcpt], body("no a no mx", sender, f"HR-{domain}"))
                line = classified_line(self.mw, qid)
                self.assertIn("pool=high-risk", line)
                self.assertIn(f"sender-domain:no-a-no-mx {domain}", line)
                self.assertNotIn("(held", line)
                self.check_sent(qid, rcpt, "high-risk")

    def test_queue_show_carries_the_decision(self):
        # Delivery to parked.example suspended, so the message stays queued
        # long enough for `queue show` to read its stored decision.
        self.mw.world.pg("queue", "suspend", "parked.example")
        resumed = False
        try:
            sender, rcpt = "user@ghost.example", "show@parked.example"
            qid = self.mw.submit(sender, [rcpt], body("show", sender, "SHOW-1"))
            entry = json.loads(self.mw.world.pg("queue", "show", qid, "--json").stdout)
            self.assertEqual(entry["pool"], "high-risk")
            self.assertEqual(entry["reasons"], ["sender-domain:no-a-no-mx ghost.example"])
            self.assertFalse(entry["hold_for_dns"])
            text = self.mw.world.pg("queue", "show", qid).stdout
            self.assertRegex(text, r"pool:\s+high-risk")
            self.assertIn("sender-domain:no-a-no-mx ghost.example", text)
            self.mw.world.pg("queue", "resume", "parked.example")
            resumed = True
            self.check_sent(qid, rcpt, "high-risk")
            wait_gone(self.mw, qid, 5)
        finally:
            if not resumed:
                self.mw.world.pg("queue", "resume", "parked.example", check=False)

    def test_from_domain_without_a_or_mx_goes_high_risk(self):
        sender, rcpt = "fromrule@example.com", "from-rule@example.net"
        qid = self.mw.submit(sender, [rcpt],
                             body("from rule", "someone@ghost-from.example", "FROM-1"))
        line = classified_line(self.mw, qid)
        self.assertIn("pool=high-risk", line)
        self.assertIn("from-domain:no-a-no-mx ghost-from.example", line)
        self.assertNotIn("sender-domain:", line)  # the envelope sender's domain exists
        self.check_sent(qid, rcpt, "high-risk")

    def test_from_domain_that_exists_stays_normal(self):
        # Control for the rule above: a different, existing From: domain.
        sender, rcpt = "fromok@example.com", "from-ok@example.net"
        qid = self.mw.submit(sender, [rcpt], body("from ok", "someone@both.example", "FROM-2"))
        self.assertIn("pool=normal reasons=clean", classified_line(self.mw, qid))
        self.check_sent(qid, rcpt, "normal")

    # --- 2. DNS cannot tell: held, then high-risk unverified ----------------------------
    def test_dns_timeout_or_servfail_holds_then_high_risk_unverified(self):
        cases = [("slow.example", "timeout"), ("broken.example", "servfail")]
        submitted = {}
        for domain, kind in cases:
            sender, rcpt = f"user@{domain}", f"held-{kind}@example.net"
            t0 = time.monotonic()
            qid = self.mw.submit(sender, [rcpt], body("held", sender, f"HELD-{kind}"))
            submitted[domain] = (qid, sender, rcpt, t0)
            # Accepted (submit raises on anything but 250), queued and held.
            entry = json.loads(self.mw.world.pg("queue", "show", qid, "--json").stdout)
            self.assertTrue(entry["hold_for_dns"], (domain, entry))
            self.assertIn(f"sender-domain:unknown {domain}", entry["reasons"])
            self.assertEqual(messages_to(self.mw, rcpt), [], f"{domain}: delivered while held")
            self.assertIn("(held: sender domain unverified)", classified_line(self.mw, qid))
        for domain, kind in cases:
            with self.subTest(domain=domain, kind=kind):
                qid, sender, rcpt, t0 = submitted[domain]
                m = self.check_sent(qid, rcpt, "high-risk")
                self.assertGreaterEqual(time.monotonic() - t0, UNKNOWN_AFTER_S - 1.5,
                                        "left the hold before dns_unknown_after_s")
                again = wait_log(self.mw, qid, "sender domain checked again:", 5)[0]
                self.assertIn("pool=high-risk", again)
                self.assertIn(f"sender-domain:unverified {domain}", again)
                sent_lines = [l for l in log_lines(self.mw, qid) if "status=sent" in l]
                self.assertEqual(len(sent_lines), 1, sent_lines)
                self.assertEqual(m["mail_from"], sender)
                wait_gone(self.mw, qid, 5)

    # --- 4. NDRs -------------------------------------------------------------------------
    def test_null_sender_goes_high_risk_with_reason(self):
        rcpt = "ndr-null@example.net"
        qid = self.mw.submit("", [rcpt], body("bounce", "MAILER-DAEMON@example.com", "NDR-1"))
        line = classified_line(self.mw, qid)
        self.assertIn("pool=high-risk", line)
        self.assertIn("reasons=ndr:null-sender", line)
        m = self.check_sent(qid, rcpt, "high-risk")
        self.assertIn(m["mail_from"], ("", "<>"))

    def test_delivery_status_report_goes_high_risk_with_reason(self):
        sender, rcpt = "dsn-sender@example.com", "ndr-ds@example.net"
        report = (
            "Subject: Undelivered Mail\r\nFrom: <postmaster@example.com>\r\n"
            "To: <ndr-ds@example.net>\r\nMessage-ID: <NDR-2@client.example.com>\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: multipart/report; report-type=delivery-status;\r\n"
            "\tboundary=\"b1\"\r\n\r\n"
            "--b1\r\nContent-Type: text/plain\r\n\r\nNot delivered.\r\n"
            "--b1\r\nContent-Type: message/delivery-status\r\n\r\n"
            "Reporting-MTA: dns; mail.example.com\r\n\r\n"
            "Final-Recipient: rfc822; gone@example.org\r\nAction: failed\r\n"
            "Status: 5.1.1\r\n\r\n--b1--\r\n")
        qid = self.mw.submit(sender, [rcpt], report)
        line = classified_line(self.mw, qid)
        self.assertIn("pool=high-risk", line)
        self.assertIn("reasons=ndr:delivery-status", line)
        m = self.check_sent(qid, rcpt, "high-risk")
        self.assertEqual(m["mail_from"], sender)

    def test_plain_multipart_is_not_an_ndr(self):
        # Control: multipart/mixed from the same kind of sender stays normal.
        sender, rcpt = "mixed-sender@example.com", "not-ndr@example.net"
        msg = ("Subject: mixed\r\nFrom: <mixed-sender@example.com>\r\n"
               "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b2\"\r\n\r\n"
               "--b2\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b2--\r\n")
        qid = self.mw.submit(sender, [rcpt], msg)
        self.assertIn("pool=normal reasons=clean", classified_line(self.mw, qid))
        self.check_sent(qid, rcpt, "normal")


if __name__ == "__main__":
    pgtest.main()

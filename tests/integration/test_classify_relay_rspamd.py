"""Classification end to end with the optional relay pool and rspamd as the
scanner (real rspamd in the gateway namespace, real dnsmasq, aiosmtpd MX):

    internal sender (example.com), clean     -> normal     (198.51.100.10/.11)
    external sender (outside.example), clean -> relay      (198.51.100.12),
                                                relay:external-sender outside.example
    internal sender, GTUBE                   -> high-risk  (203.0.113.66), spam:rspamd
    external sender, GTUBE                   -> high-risk: a higher-risk rule wins over relay
    null sender                              -> high-risk, ndr:null-sender

Every recipient is at example.net (mx1, IPv4), so the source address mx1 saw
tells the pool.
"""
import unittest

import pgtest
from poolgate_test.delivery_checks import dsns_to, messages_to, wait_for, wait_log
from poolgate_test.mailworld import DEFAULT_DNS, MailWorld
from poolgate_test.rspamd import Rspamd
from poolgate_test.world import POOLS

RELAY_POOL = {"name": "relay", "fwmark": 0x300, "table": 300, "ehlo": "relay.example.com",
              "addresses": ["198.51.100.12"]}
SOURCES = {"normal": {"198.51.100.10", "198.51.100.11"}, "high-risk": {"203.0.113.66"},
           "relay": {"198.51.100.12"}}
GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
RSPAMD_PORT = 11333


def zone():
    spec = {k: list(v) for k, v in DEFAULT_DNS.items()}
    spec["a"].append(("outside.example", "203.0.113.26"))
    return spec


def body(sender, marker, text=None):
    return (f"Subject: {marker}\r\nFrom: <{sender or 'mailer-daemon@example.com'}>\r\n"
            f"To: <x@example.net>\r\nMessage-ID: <{marker}@client.example.com>\r\n\r\n"
            f"{text or 'An ordinary note about the meeting on Thursday.'}\r\n")


class RelayPoolAndRspamd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.mw = MailWorld(pgtest.poolgate(), tag="crr", dns=zone(), relay=False,
                           pools=POOLS + [RELAY_POOL], classify={"add_header": True},
                           spam={"scanner": "rspamd", "address": f"127.0.0.1:{RSPAMD_PORT}",
                                 "on_scanner_failure": "tempfail"})
        try:
            cls.rspamd = Rspamd(cls.mw.gw, RSPAMD_PORT)
            cls.mw.start_relay()
        except BaseException:
            cls.mw.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.mw.close()
        cls.rspamd.close()

    def sent_from(self, qid, rcpt, pool, reason, dsn=False):
        line = wait_log(self.mw, qid, ": classified pool=", 10)[0]
        self.assertIn(f"pool={pool}", line)
        self.assertIn(reason, line)
        find = dsns_to if dsn else messages_to
        got = wait_for(lambda: find(self.mw, rcpt), 20, f"delivery to {rcpt}")
        self.assertEqual(len(got), 1, got)
        self.assertIn(got[0][1]["peer"], SOURCES[pool], got[0][1])

    def test_internal_clean_goes_normal(self):
        qid = self.mw.submit("a@example.com", ["int-clean@example.net"], body("a@example.com", "ic"))
        self.sent_from(qid, "int-clean@example.net", "normal", "reasons=clean")

    def test_external_clean_goes_through_the_relay_pool(self):
        qid = self.mw.submit("b@outside.example", ["ext-clean@example.net"],
                             body("b@outside.example", "ec"))
        self.sent_from(qid, "ext-clean@example.net", "relay", "relay:external-sender outside.example")

    def test_gtube_is_spam_by_rspamd_and_high_risk(self):
        qid = self.mw.submit("a@example.com", ["int-spam@example.net"],
                             body("a@example.com", "is", GTUBE))
        self.sent_from(qid, "int-spam@example.net", "high-risk", "spam:rspamd")

    def test_external_spam_is_high_risk_not_relay(self):
        qid = self.mw.submit("b@outside.example", ["ext-spam@example.net"],
                             body("b@outside.example", "es", GTUBE))
        self.sent_from(qid, "ext-spam@example.net", "high-risk", "spam:rspamd")

    def test_external_bounce_is_high_risk(self):
        qid = self.mw.submit("", ["ext-ndr@example.net"], body("", "en"))
        self.sent_from(qid, "ext-ndr@example.net", "high-risk", "ndr:null-sender", dsn=True)


if __name__ == "__main__":
    pgtest.main()

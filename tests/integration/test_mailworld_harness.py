"""The delivery world's harness on its own, without the delivery engine: dnsmasq
answers every record type the engine will ask for (and fails as told), the SMTP
peers accept marked connections from the gateway through the real data plane
and record the pool address, the stateful tempfirst rule, next hops that are
down, the relay config the engine will read, and the DSN parser."""
import smtplib
import socket
import time
import tomllib
import unittest

import pgtest
from poolgate_test.mailworld import MailWorld, parse_dsn, dsn_report


class Harness(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.mw = MailWorld(pgtest.poolgate(), tag="mwh", relay=False)

    @classmethod
    def tearDownClass(cls):
        cls.mw.close()

    # --- DNS ---------------------------------------------------------------
    def test_mx_with_preferences(self):
        answer = self.mw.dns_query("example.net", "MX")
        self.assertEqual(answer.rcode, "NOERROR")
        self.assertEqual(sorted(data for kind, data in answer.records if kind == "MX"),
                         [(10, "mx1.example.net"), (20, "mx2.example.net")])

    def test_a_and_aaaa(self):
        self.assertEqual(self.mw.dns_query("mx1.example.net", "A").records,
                         [("A", "203.0.113.25")])
        self.assertEqual(self.mw.dns_query("mx6.example.org", "AAAA").records,
                         [("AAAA", "2001:db8:25::25")])
        # A name with only an A record: NOERROR, no AAAA (NODATA), not NXDOMAIN.
        nodata = self.mw.dns_query("mx1.example.net", "AAAA")
        self.assertEqual((nodata.rcode, nodata.records), ("NOERROR", []))
        self.assertEqual(self.mw.dns_query("implicit.example", "A").records,
                         [("A", "203.0.113.26")])

    def test_null_mx(self):
        answer = self.mw.dns_query("nomail.example", "MX")
        self.assertEqual((answer.rcode, answer.records), ("NOERROR", [("MX", (0, "."))]))

    def test_unknown_names_are_nxdomain(self):
        for name in ("nope.example.net", "nope.example", "unknown.invalid", "example.xyz"):
            for qtype in ("MX", "A"):
                with self.subTest(name=name, qtype=qtype):
                    answer = self.mw.dns_query(name, qtype)
                    self.assertEqual((answer.rcode, answer.records), ("NXDOMAIN", []))

    def test_servfail_domain(self):
        self.assertEqual(self.mw.dns_query("broken.example", "MX").rcode, "SERVFAIL")
        self.assertEqual(self.mw.dns_query("mx.broken.example", "A").rcode, "SERVFAIL")

    def test_slow_domain_times_out(self):
        start = time.monotonic()
        with self.assertRaises(TimeoutError):
            self.mw.dns_query("slow.example", "MX", timeout=1.5)
        self.assertGreaterEqual(time.monotonic() - start, 1.4)
        self.assertIn("query[MX] slow.example", self.mw.dns.log())

    # --- SMTP peers through the data plane ------------------------------------
    def marked_smtp(self, address, mark, timeout=5):
        """smtplib from the gateway with SO_MARK set before connect, as the relay."""
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        with self.mw.gw.entered():
            sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, mark)
            sock.settimeout(timeout)
            sock.connect((address, 25))
        except OSError:
            sock.close()
            raise
        smtp = smtplib.SMTP(local_hostname="harness.example.com", timeout=timeout)
        smtp.sock, smtp.file = sock, None
        code, _ = smtp.getreply()
        self.assertEqual(code, 220)
        return smtp

    def test_peer_records_the_pool_address(self):
        before = self.mw.world.stats()["by_pool"]["normal"]["connections"]
        for name, address, mark, source in [("mx1", "203.0.113.25", 0x100, "198.51.100.10"),
                                            ("mx2", "203.0.113.26", 0x101, "198.51.100.11"),
                                            ("mx6", "2001:db8:25::25", 0x102, "2001:db8:100::10")]:
            with self.subTest(peer=name):
                smtp = self.marked_smtp(address, mark)
                smtp.sendmail("harness@example.com", [f"user@{name}.example.net"],
                              b"Subject: harness\r\n\r\nhello from the pool\r\n")
                smtp.quit()
                messages = self.mw.wait_for(lambda: self.mw.peer_messages(name), 5,
                                            f"a message at {name}")
                self.assertEqual(messages[-1]["peer"], source)
                self.assertEqual(messages[-1]["rcpt_tos"], [f"user@{name}.example.net"])
                self.assertIn(b"hello from the pool", messages[-1]["data"])
        after = self.mw.world.stats()["by_pool"]["normal"]["connections"]
        self.assertGreaterEqual(after - before, 3, "the tc program did not count them")

    def test_unmarked_smtp_is_dropped_by_strict_smtp(self):
        with self.mw.gw.entered():
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        with sock:
            sock.settimeout(1)
            with self.assertRaises(OSError):
                sock.connect(("203.0.113.25", 25))

    def test_tempfirst_is_451_then_250(self):
        smtp = self.marked_smtp("203.0.113.25", 0x100)
        smtp.ehlo("harness.example.com")
        self.assertEqual(smtp.mail("harness@example.com")[0], 250)
        code, text = smtp.rcpt("tempfirst-1@example.net")
        self.assertEqual((code, text[:5]), (451, b"4.2.0"))
        self.assertEqual(smtp.rcpt("tempfirst-1@example.net")[0], 250)
        self.assertEqual(smtp.rcpt("TempFirst-1@Example.NET")[0], 250)  # same address
        self.assertEqual(smtp.rcpt("tempfirst-2@example.net")[0], 451)  # another one
        self.assertEqual(smtp.rcpt("temp@example.net")[0], 451)  # plain temp: always
        self.assertEqual(smtp.rcpt("temp@example.net")[0], 451)
        smtp.quit()

    def test_down_next_hops(self):
        for address, fast in [("203.0.113.27", True), ("203.0.113.28", False)]:
            with self.subTest(address=address):
                start = time.monotonic()
                with self.assertRaises(OSError):
                    self.marked_smtp(address, 0x100, timeout=1.5)
                elapsed = time.monotonic() - start
                if fast:
                    self.assertLess(elapsed, 1.0, "unreachable should fail at once")
                else:
                    self.assertGreaterEqual(elapsed, 1.4, "blackhole should time out")

    # --- config and DSN ---------------------------------------------------------
    def test_delivery_config(self):
        with open(self.mw.world.config, "rb") as f:
            config = tomllib.load(f)
        self.assertEqual(config["dns"], {"servers": ["203.0.113.53"], "timeout_ms": 500,
                                         "attempts": 1})
        self.assertEqual(config["delivery"]["retry_intervals_s"], [2, 2])
        self.assertEqual(config["delivery"]["port"], 25)
        self.assertEqual(config["classify"]["default_pool"], "normal")
        self.assertIn("spool", config["relay"])
        self.assertEqual({p["name"] for p in config["pool"]}, {"normal", "high-risk"})

    def test_parse_dsn(self):
        raw = (b"From: MAILER-DAEMON@relay.example.com\r\nTo: sender@example.com\r\n"
               b"Subject: Undelivered Mail Returned to Sender\r\nMIME-Version: 1.0\r\n"
               b"Content-Type: multipart/report; report-type=delivery-status;\r\n"
               b" boundary=\"B\"\r\n\r\n"
               b"--B\r\nContent-Type: text/plain\r\n\r\nCould not be delivered.\r\n"
               b"--B\r\nContent-Type: message/delivery-status\r\n\r\n"
               b"Reporting-MTA: dns; relay.example.com\r\n\r\n"
               b"Final-Recipient: rfc822; perm@example.net\r\nAction: failed\r\n"
               b"Status: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1\r\n No such user\r\n\r\n"
               b"Final-Recipient: rfc822; temp@example.net\r\nAction: delayed\r\n"
               b"Status: 4.2.0\r\n\r\n"
               b"--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
               b"Subject: the original\r\n\r\n--B--\r\n")
        recipients = parse_dsn(raw)
        self.assertEqual([r["final-recipient"] for r in recipients],
                         ["rfc822; perm@example.net", "rfc822; temp@example.net"])
        self.assertEqual([(r["action"], r["status"]) for r in recipients],
                         [("failed", "5.1.1"), ("delayed", "4.2.0")])
        self.assertEqual(recipients[0]["diagnostic-code"], "smtp; 550 5.1.1 No such user")
        report = dsn_report(raw)
        self.assertEqual(report.per_message["reporting-mta"], "dns; relay.example.com")
        self.assertEqual(report.returned["subject"], "the original")
        self.assertIn("Could not be delivered", report.text)
        with self.assertRaises(AssertionError):
            parse_dsn(b"Subject: not a report\r\n\r\nhello\r\n")


if __name__ == "__main__":
    pgtest.main()

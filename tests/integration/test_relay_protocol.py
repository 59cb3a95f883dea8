"""The inbound ESMTP service against real clients (Python's smtplib) and scripted
raw sessions: every command and extension, pipelined and not, STARTTLS, what
lands in the spool."""
import json
import os
import re
import subprocess
import unittest

import pgtest
from poolgate_test.relay import RawSession, Relay


def greet(relay, ehlo="client.example.com"):
    session = RawSession(relay.connect())
    code, text = session.reply()
    assert code == 220, text
    if ehlo:
        session.command(f"EHLO {ehlo}")
    return session


class RelayProtocol(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.relay = Relay(pgtest.poolgate(), tag="proto", max_message_size=1048576)

    @classmethod
    def tearDownClass(cls):
        cls.relay.close()

    def test_greeting_and_ehlo_capabilities(self):
        session = RawSession(self.relay.connect())
        code, text = session.reply()
        self.assertEqual(code, 220)
        self.assertIn("relay.example.com ESMTP", text)
        code, text = session.command("EHLO client.example.com")
        self.assertEqual(code, 250)
        for keyword in ("PIPELINING", "SIZE 1048576", "8BITMIME", "ENHANCEDSTATUSCODES", "DSN",
                        "SMTPUTF8"):
            self.assertIn(keyword, text)
        self.assertNotIn("STARTTLS", text)  # no certificate configured
        self.assertNotIn("CHUNKING", text)
        self.assertEqual(session.command("QUIT")[0], 221)
        self.assertTrue(session.closed())

    def test_smtplib_transaction_is_queued_with_received_header(self):
        client = self.relay.smtp()
        client.ehlo("client.example.com")
        body = "Subject: hello\r\n\r\nfirst line\r\n.dot line\r\n..two dots\r\n"
        client.sendmail("alice@example.com", ["bob@example.org"], body)
        code, text = client.docmd("NOOP")
        self.assertEqual(code, 250)
        client.quit()
        queued = [m for m in self.relay.queue() if m["sender"] == "alice@example.com"]
        self.assertEqual(len(queued), 1)
        message = queued[0]
        self.assertEqual([r["address"] for r in message["recipients"]], ["bob@example.org"])
        self.assertEqual(message["client_address"], "127.0.0.1")
        self.assertEqual(message["client_helo"], "client.example.com")
        stored = self.relay.content(message["queue_id"])
        self.assertRegex(stored, r"^Received: from client\.example\.com \(127\.0\.0\.1 "
                                 r"\[127\.0\.0\.1\]\)\r\n\tby relay\.example\.com \(poolgate\) "
                                 r"with ESMTP id " + message["queue_id"])
        self.assertIn("\tfor <bob@example.org>;", stored)
        # dot-unstuffed on input, CRLF kept
        self.assertTrue(stored.endswith("first line\r\n.dot line\r\n..two dots\r\n"), stored)

    def test_reply_carries_queue_id(self):
        session = greet(self.relay)
        self.assertEqual(session.command("MAIL FROM:<q@example.com>")[0], 250)
        self.assertEqual(session.command("RCPT TO:<r@example.org>")[0], 250)
        self.assertEqual(session.command("DATA")[0], 354)
        code, text = session.command("Subject: x\r\n\r\nhi\r\n.")
        self.assertEqual(code, 250)
        match = re.search(r"250 2\.0\.0 Ok: queued as ([0-9A-Z]+)", text)
        self.assertTrue(match, text)
        self.assertIn(match.group(1), [m["queue_id"] for m in self.relay.queue()])

    def test_pipelined_transaction_replies_in_order(self):
        session = greet(self.relay)
        session.send("MAIL FROM:<p@example.com>\r\nRCPT TO:<a@example.org>\r\n"
                     "RCPT TO:<bad address>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n")
        codes = [session.reply()[0] for _ in range(5)]
        self.assertEqual(codes, [250, 250, 501, 250, 354])
        session.send("Subject: p\r\n\r\nbody\r\n.\r\nRSET\r\nNOOP\r\n")
        self.assertEqual([session.reply()[0] for _ in range(3)], [250, 250, 250])
        ids = [m for m in self.relay.queue() if m["sender"] == "p@example.com"]
        self.assertEqual([r["address"] for r in ids[0]["recipients"]],
                         ["a@example.org", "b@example.org"])

    def test_dsn_parameters_are_stored(self):
        session = greet(self.relay)
        self.assertEqual(session.command("MAIL FROM:<dsn@example.com> RET=HDRS ENVID=abc+2Bx")[0],
                         250)
        self.assertEqual(session.command("RCPT TO:<one@example.org> NOTIFY=SUCCESS,DELAY "
                                         "ORCPT=rfc822;orig+40example.org")[0], 250)
        self.assertEqual(session.command("RCPT TO:<two@example.org> NOTIFY=NEVER")[0], 250)
        session.command("DATA")
        self.assertEqual(session.command("Subject: d\r\n\r\n.")[0], 250)
        message = [m for m in self.relay.queue() if m["sender"] == "dsn@example.com"][0]
        self.assertEqual(message["ret"], "HDRS")
        self.assertEqual(message["envid"], "abc+x")
        one, two = message["recipients"]
        self.assertEqual(one["notify"], "SUCCESS,DELAY")
        self.assertEqual(one["orcpt"], "rfc822;orig@example.org")
        self.assertEqual(two["notify"], "NEVER")

    def test_smtputf8_and_8bitmime(self):
        session = greet(self.relay)
        self.assertEqual(session.command("MAIL FROM:<jörg@example.com> SMTPUTF8 BODY=8BITMIME")[0],
                         250)
        self.assertEqual(session.command("RCPT TO:<müller@example.org>")[0], 250)
        session.command("DATA")
        self.assertEqual(session.command("Subject: ü\r\n\r\nGrüße\r\n.".encode())[0], 250)
        message = [m for m in self.relay.queue() if m["sender"] == "jörg@example.com"][0]
        self.assertTrue(message["smtputf8"])
        self.assertTrue(message["body_8bitmime"])
        self.assertIn("with UTF8SMTP id", self.relay.content(message["queue_id"]))
        # without SMTPUTF8 a non-ASCII address is refused (RFC 6531 3.5)
        self.assertEqual(session.command("MAIL FROM:<jörg@example.com>")[0], 550)

    def test_postfix_smtputf8_orcpt_is_accepted_and_stored(self):
        # Postfix 3.7 relaying to a UTF-8 recipient without a client ORCPT sends
        # exactly this RCPT: the address as rfc822 xtext of its UTF-8 octets.
        session = greet(self.relay)
        self.assertEqual(session.command("MAIL FROM:<pfx@example.com> SMTPUTF8")[0], 250)
        code, text = session.command("RCPT TO:<zoë@example.net> "
                                     "ORCPT=rfc822;zo+C3+AB@example.net")
        self.assertEqual(code, 250, text)
        session.command("DATA")
        self.assertEqual(session.command("Subject: utf8\r\n\r\nbody\r\n.")[0], 250)
        message = [m for m in self.relay.queue() if m["sender"] == "pfx@example.com"][0]
        (rcpt,) = message["recipients"]
        self.assertEqual(rcpt["address"], "zoë@example.net")
        self.assertEqual(rcpt["orcpt"], "rfc822;zoë@example.net")

    def test_other_commands(self):
        session = greet(self.relay)
        self.assertEqual(session.command("VRFY postmaster")[0], 252)
        self.assertEqual(session.command("HELP")[0], 214)
        self.assertEqual(session.command("NOOP")[0], 250)
        self.assertEqual(session.command("RSET")[0], 250)
        self.assertEqual(session.command("EXPN staff")[0], 502)
        self.assertEqual(session.command("BDAT 10 LAST")[0], 502)
        self.assertEqual(session.command("STARTTLS")[0], 502)  # not offered
        self.assertEqual(session.command("MAIL FROM:<a@example.com> SIZE=2000000")[0], 552)
        self.assertEqual(session.command("MAIL FROM:<>")[0], 250)  # null sender
        self.assertEqual(session.command("MAIL FROM:<b@example.com>")[0], 503)  # nested
        code, text = session.command("HELO again.example.com")  # resets, no extensions
        self.assertEqual(code, 250)
        self.assertNotIn("PIPELINING", text)
        self.assertEqual(session.command("MAIL FROM:<a@example.com> BODY=8BITMIME")[0], 555)

    def test_every_reply_has_an_enhanced_status_code(self):
        session = greet(self.relay)
        for line in ("NOOP", "RSET", "VRFY x", "MAIL FROM:<a@example.com>", "RCPT TO:<b@example.org>",
                     "RSET", "XYZZY", "MAIL FROM:bad", "QUIT"):
            code, text = session.command(line)
            self.assertRegex(text, rf"^{code} [245]\.\d{{1,3}}\.\d{{1,3}} ", line)

    def test_ipv6_listener(self):
        session = RawSession(self.relay.connect("::1"))
        self.assertEqual(session.reply()[0], 220)
        self.assertEqual(session.command("EHLO v6.example.com")[0], 250)
        self.assertEqual(session.command("QUIT")[0], 221)


class RelayStartTls(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = os.path.join("/tmp", f"pgtls-{os.getpid()}")
        os.makedirs(cls.tmp, exist_ok=True)
        cls.cert, cls.key = os.path.join(cls.tmp, "cert.pem"), os.path.join(cls.tmp, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=relay.example.com", "-keyout", cls.key, "-out", cls.cert],
                       check=True, capture_output=True)
        cls.relay = Relay(pgtest.poolgate(), tag="tls", tls_certificate=f'"{cls.cert}"',
                          tls_key=f'"{cls.key}"')

    @classmethod
    def tearDownClass(cls):
        cls.relay.close()
        subprocess.run(["rm", "-rf", cls.tmp])

    def test_starttls_then_transaction(self):
        import ssl
        client = self.relay.smtp()
        code, text = client.ehlo("tls.example.com")
        self.assertIn(b"STARTTLS", text)
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        self.assertEqual(client.starttls(context=context)[0], 220)
        code, text = client.ehlo("tls.example.com")
        self.assertNotIn(b"STARTTLS", text)  # not offered twice
        client.sendmail("tls@example.com", ["x@example.org"], "Subject: t\r\n\r\nsecret\r\n")
        client.quit()
        message = [m for m in self.relay.queue() if m["sender"] == "tls@example.com"][0]
        self.assertTrue(message["tls"])
        self.assertRegex(message["tls_cipher"], r"TLSv1\.[23]")
        self.assertIn("with ESMTPS id", self.relay.content(message["queue_id"]))

    def test_state_is_reset_after_starttls(self):
        session = greet(self.relay)
        session.command("MAIL FROM:<before@example.com>")
        self.assertEqual(session.command("STARTTLS")[0], 220)
        import ssl
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        tls = context.wrap_socket(session.sock)
        secure = RawSession(tls)
        # RFC 3207 4.2: the MAIL before TLS is forgotten, and EHLO is needed again
        self.assertEqual(secure.command("RCPT TO:<x@example.org>")[0], 503)
        self.assertEqual(secure.command("MAIL FROM:<after@example.com>")[0], 503)
        self.assertEqual(secure.command("EHLO again.example.com")[0], 250)
        self.assertEqual(secure.command("MAIL FROM:<after@example.com>")[0], 250)

    def test_plaintext_injected_after_starttls_is_refused(self):
        # CVE-2011-0411 family: commands sent with STARTTLS must not run after it.
        session = greet(self.relay)
        session.send("STARTTLS\r\nRSET\r\n")
        code, text = session.reply()
        self.assertEqual(code, 554, text)
        self.assertTrue(session.closed())


if __name__ == "__main__":
    pgtest.main()

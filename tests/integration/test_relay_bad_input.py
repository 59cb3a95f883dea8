"""Bad input: every case gets the right reply, the daemon never crashes, no
partial or smuggled message reaches the spool, and a bystander session opened
before the first case still works after the last."""
import os
import threading
import time
import unittest

import pgtest
from poolgate_test.relay import RawSession, Relay

MAX_SIZE = 1048576
MAX_RCPT = 100
SYNC_ERROR = 554  # 554 5.5.0 Error: SMTP protocol synchronization


def lines(*parts):
    return "".join(p + "\r\n" for p in parts)


def transaction(sender):
    return lines(f"MAIL FROM:<{sender}>", "RCPT TO:<rcpt@example.org>", "DATA")


# (name, ehlo first?, [(bytes to send, [expected reply codes])], session closed after?)
# Each case's sender is bad-<name>@example.com: none of them may end up queued.
def cases():
    big_line = "X" * 600
    data_lead = lines("Subject: probe", "")
    smuggle = "MAIL FROM:<smuggled@example.com>\r\nRCPT TO:<victim@example.org>\r\nDATA\r\n"
    probes = {
        "smuggle-lf-dot-lf": "\n.\n",
        "smuggle-crlf-dot-lf": "\r\n.\n",
        "smuggle-lf-dot-crlf": "\n.\r\n",
        "smuggle-cr-dot-cr": "\r.\r",
        "smuggle-cr-dot-crlf": "\r.\r\n",
        "smuggle-crlf-dot-cr": "\r\n.\r",
    }
    table = [
        ("command-line-513", True, [("NOOP " + "x" * 508 + "\r\n", [500]), ("NOOP\r\n", [250])], False),
        ("command-line-5000", True, [("MAIL FROM:<" + "a" * 5000 + ">\r\n", [500]),
                                     ("NOOP\r\n", [250])], False),
        ("binary-garbage", True, [(bytes(range(1, 10)) + bytes(range(14, 255)) + b"\r\n", [500])],
         False),
        ("nul-in-command", True, [(b"NO\x00OP\r\n", [500])], False),
        ("unknown-command", True, [("XYZZY\r\n", [500])], False),
        ("empty-line", True, [("\r\n", [500])], False),
        ("rcpt-before-mail", True, [("RCPT TO:<x@example.org>\r\n", [503])], False),
        ("data-before-mail", True, [("DATA\r\n", [503])], False),
        ("data-without-rcpt", True, [("MAIL FROM:<bad-data-without-rcpt@example.com>\r\n", [250]),
                                     ("DATA\r\n", [554])], False),
        ("mail-before-ehlo", False, [("MAIL FROM:<bad-mail-before-ehlo@example.com>\r\n", [503])],
         False),
        ("ehlo-without-name", False, [("EHLO\r\n", [501])], False),
        ("ehlo-too-long", False, [("EHLO " + "h" * 1100 + "\r\n", [500])], False),
        ("mail-no-brackets", True, [("MAIL FROM:bad@example.com\r\n", [501])], False),
        ("mail-unknown-param", True, [("MAIL FROM:<bad@example.com> FOO=BAR\r\n", [555])], False),
        ("mail-size-not-number", True, [("MAIL FROM:<bad@example.com> SIZE=lots\r\n", [501])],
         False),
        ("mail-size-over-limit", True, [(f"MAIL FROM:<bad@example.com> SIZE={MAX_SIZE + 1}\r\n",
                                         [552])], False),
        ("envid-too-long", True, [("MAIL FROM:<bad@example.com> ENVID=" + "e" * 101 + "\r\n",
                                   [501])], False),
        ("notify-never-plus", True, [("MAIL FROM:<bad@example.com>\r\n", [250]),
                                     ("RCPT TO:<x@example.org> NOTIFY=NEVER,SUCCESS\r\n", [501])],
         False),
        ("rcpt-bad-literal", True, [("MAIL FROM:<bad@example.com>\r\n", [250]),
                                    ("RCPT TO:<u@[300.1.1.1]>\r\n", [501])], False),
        ("rcpt-utf8-without-smtputf8", True, [("MAIL FROM:<bad@example.com>\r\n", [250]),
                                              ("RCPT TO:<ü@example.org>\r\n".encode(), [553])],
         False),
        ("nested-mail", True, [("MAIL FROM:<bad@example.com>\r\n", [250]),
                               ("MAIL FROM:<bad@example.com>\r\n", [503])], False),
        ("data-with-argument", True, [("MAIL FROM:<bad@example.com>\r\nRCPT TO:<x@example.org>\r\n",
                                       [250, 250]), ("DATA now\r\n", [501])], False),
        ("rset-then-data", True, [("MAIL FROM:<bad@example.com>\r\nRCPT TO:<x@example.org>\r\n"
                                   "RSET\r\n", [250, 250, 250]), ("DATA\r\n", [503])], False),
        ("bdat-not-offered", True, [("BDAT 5 LAST\r\n", [502])], False),
        ("starttls-not-offered", True, [("STARTTLS\r\n", [502])], False),
        ("too-many-recipients", True,
         [("MAIL FROM:<bad-too-many@example.com>\r\n" +
           "".join(f"RCPT TO:<r{i}@example.org>\r\n" for i in range(MAX_RCPT + 5)),
           [250] + [250] * MAX_RCPT + [452] * 5), ("RSET\r\n", [250])], False),
        ("ten-thousand-rcpts", True,
         [("MAIL FROM:<bad-10k@example.com>\r\n" +
           "".join(f"RCPT TO:<r{i}@example.org>\r\n" for i in range(10000)) + "RSET\r\n",
           [250] + [250] * MAX_RCPT + [452] * (10000 - MAX_RCPT) + [250])], False),
        ("oversized-message", True,
         [(transaction("bad-oversized@example.com"), [250, 250, 354]),
          (data_lead + ("y" * 998 + "\r\n") * (MAX_SIZE // 1000 + 50) + ".\r\n", [552]),
          ("NOOP\r\n", [250])], False),
        ("text-line-1001", True,
         [(transaction("bad-line@example.com"), [250, 250, 354]),
          (data_lead + "z" * 999 + "\r\n.\r\n", [552])], False),
        ("bare-lf-in-data", True,
         [(transaction("bad-bare-lf@example.com"), [250, 250, 354]),
          (data_lead + "one\ntwo\r\n.\r\n", [550])], False),
        ("bare-cr-in-data", True,
         [(transaction("bad-bare-cr@example.com"), [250, 250, 354]),
          (data_lead + "one\rtwo\r\n.\r\n", [550])], False),
        ("nul-in-data", True,
         [(transaction("bad-nul@example.com"), [250, 250, 354]),
          (data_lead.encode() + b"a\x00b\r\n.\r\n", [554])], False),
        ("binary-garbage-in-data", True,
         [(transaction("bad-garbage@example.com"), [250, 250, 354]),
          # random octets always hold a bare LF or CR somewhere: that is reported first
          (data_lead.encode() + (os.urandom(4096) + b"\n").replace(b"\r\n.\r\n", b"xxxxx") +
           b"\r\n.\r\n", [550])], False),
        ("pipelining-before-greeting", None,
         [("EHLO early.example.com\r\nMAIL FROM:<bad@example.com>\r\n", [220, SYNC_ERROR])], True),
        ("pipelining-after-helo", False,
         [("HELO old.example.com\r\n", [250]),
          ("MAIL FROM:<bad-helo-pipe@example.com>\r\nRCPT TO:<x@example.org>\r\n", [SYNC_ERROR])],
         True),
        ("data-then-content-without-354", True,
         [("MAIL FROM:<bad-early-data@example.com>\r\nRCPT TO:<x@example.org>\r\nDATA\r\n"
           "Subject: early\r\n\r\n.\r\n", [250, 250, SYNC_ERROR])], True),
        ("noop-not-last-in-group", True, [("NOOP\r\nNOOP\r\n", [SYNC_ERROR])], True),
        ("quit-with-trailing-garbage", True, [("QUIT\r\ngarbage\r\n", [221])], True),
    ]
    for name, probe in probes.items():
        # The probe must not end the data: the smuggled MAIL is content, and the
        # bare CR/LF in it gets the message rejected at the real terminator.
        table.append((name, True,
                      [(transaction(f"bad-{name}@example.com"), [250, 250, 354]),
                       (data_lead + "hello" + probe + smuggle + "smuggled body\r\n.\r\n", [550]),
                       ("NOOP\r\n", [250])], False))
    return table


class BadInput(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.relay = Relay(pgtest.poolgate(), tag="bad", max_message_size=MAX_SIZE,
                          max_recipients=MAX_RCPT, max_connections=40,
                          max_connections_per_client=30, command_timeout_s=10,
                          data_timeout_s=10)

    @classmethod
    def tearDownClass(cls):
        cls.relay.close()

    def open_session(self, ehlo):
        session = RawSession(self.relay.connect())
        if ehlo is None:
            return session  # the case sends before reading the greeting
        self.assertEqual(session.reply()[0], 220)
        if ehlo:
            self.assertEqual(session.command("EHLO bad.example.com")[0], 250)
        return session

    def test_bad_input_suite(self):
        bystander = self.open_session(True)
        self.assertEqual(bystander.command("MAIL FROM:<bystander@example.com>")[0], 250)
        table = cases()
        self.assertGreaterEqual(len(table), 40)
        for name, ehlo, steps, closed in table:
            with self.subTest(case=name):
                session = self.open_session(ehlo)
                for data, expected in steps:
                    session.send(data)
                    got = [session.reply(timeout=10)[0] for _ in expected]
                    self.assertEqual(got, expected, name)
                if closed:
                    self.assertTrue(session.closed(), f"{name}: session left open")
                session.close()
                self.assertTrue(self.relay.alive(), f"daemon died on {name}:\n{self.relay.log()}")
                # other sessions are unaffected (and the bystander stays within its timeout)
                self.assertEqual(bystander.command("NOOP")[0], 250, f"bystander after {name}")
        # The bystander's transaction survived every case.
        self.assertEqual(bystander.command("RCPT TO:<fine@example.org>")[0], 250)
        self.assertEqual(bystander.command("DATA")[0], 354)
        self.assertEqual(bystander.command("Subject: fine\r\n\r\nstill here\r\n.")[0], 250)
        queued = self.relay.queue()
        self.assertEqual([m["sender"] for m in queued], ["bystander@example.com"])
        self.assertNotIn("smuggled", " ".join(self.relay.content(m["queue_id"]) for m in queued))

    def test_disconnect_mid_data_stores_nothing(self):
        session = self.open_session(True)
        session.send(transaction("bad-cut@example.com"))
        self.assertEqual([session.reply()[0] for _ in range(3)], [250, 250, 354])
        session.send("Subject: cut\r\n\r\nhalf a message")
        session.close()
        time.sleep(0.3)
        self.assertTrue(self.relay.alive())
        self.assertNotIn("bad-cut@example.com", [m["sender"] for m in self.relay.queue()])

    def test_tls_garbage_after_starttls(self):
        tls = Relay(pgtest.poolgate(), tag="badtls", tls_certificate=f'"{CERT}"',
                    tls_key=f'"{KEY}"')
        try:
            session = RawSession(tls.connect())
            session.reply()
            session.command("EHLO x.example.com")
            self.assertEqual(session.command("STARTTLS")[0], 220)
            session.send(os.urandom(2000))
            self.assertTrue(session.closed(timeout=5))
            self.assertTrue(tls.alive())
            again = RawSession(tls.connect())
            self.assertEqual(again.reply()[0], 220)
        finally:
            tls.close()

    def test_connection_flood_gets_421(self):
        sockets, codes = [], []
        try:
            for _ in range(35):  # per-client limit 30 (max_connections 40)
                session = RawSession(self.relay.connect())
                sockets.append(session)
                codes.append(session.reply()[0])
            self.assertEqual(codes.count(220), 30)
            self.assertEqual(codes.count(421), 5)
            self.assertIn(421, codes)
        finally:
            for session in sockets:
                session.close()
        time.sleep(0.3)
        fresh = self.open_session(True)  # slots come back
        fresh.close()

    def test_slowloris_and_idle_clients_time_out(self):
        results = {}

        def idle():
            session = self.open_session(True)
            start = time.time()
            results["idle"] = (session.reply(timeout=20)[0], time.time() - start)

        def trickle():
            session = self.open_session(True)
            start = time.time()
            try:
                for byte in "NOOP and more and more and more":
                    session.send(byte)
                    time.sleep(1)
            except OSError:
                pass
            results["trickle"] = (session.reply(timeout=20)[0], time.time() - start)

        threads = [threading.Thread(target=f) for f in (idle, trickle)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(40)
        self.assertEqual(results["idle"][0], 421)
        self.assertGreaterEqual(results["idle"][1], 9)
        self.assertEqual(results["trickle"][0], 421)  # trickling does not extend the deadline
        self.assertLess(results["trickle"][1], 15)


CERT = KEY = None


def make_certificate():
    global CERT, KEY
    import subprocess
    import tempfile
    directory = tempfile.mkdtemp(prefix="pgtest-cert-")
    CERT, KEY = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=relay.example.com", "-keyout", KEY, "-out", CERT],
                   check=True, capture_output=True)
    import atexit
    import shutil
    atexit.register(shutil.rmtree, directory, True)


if __name__ == "__main__":
    make_certificate()
    pgtest.main()

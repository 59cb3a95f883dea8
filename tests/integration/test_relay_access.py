"""Not an open relay: a client outside client_networks (the peer namespace,
198.51.100.254) gets 554 5.7.1 at connect and cannot get anything accepted,
while a client inside (loopback) can, over the same listener address."""
import unittest

import pgtest
from poolgate_test.relay import RawSession, Relay


class Access(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.relay = Relay(pgtest.poolgate(), tag="access")

    @classmethod
    def tearDownClass(cls):
        cls.relay.close()

    def test_outside_client_refused_at_connect(self):
        session = RawSession(self.relay.connect("198.51.100.1", netns=self.relay.world.peer))
        code, text = session.reply()
        self.assertEqual(code, 554)
        self.assertRegex(text, r"^554 5\.7\.1 198\.51\.100\.254")
        # RFC 5321 3.1: every command but QUIT gets 503; nothing opens a transaction.
        for line in ("EHLO outside.example.net", "MAIL FROM:<spammer@example.net>",
                     "RCPT TO:<victim@example.org>", "DATA"):
            self.assertEqual(session.command(line)[0], 503, line)
        session.send("Subject: spam\r\n\r\nbuy now\r\n.\r\n")
        self.assertEqual([session.reply()[0] for _ in range(4)], [503] * 4)  # line by line
        self.assertEqual(session.command("QUIT")[0], 221)
        self.assertNotIn("spammer@example.net", self.senders())
        self.assertIn("refused: client not in client_networks", self.relay.log())

    def test_smtplib_from_outside_cannot_send(self):
        import smtplib
        with self.assertRaises(smtplib.SMTPConnectError):
            self.relay.smtp("198.51.100.1", netns=self.relay.world.peer)
        self.assertNotIn("spammer@example.net", self.senders())

    def test_inside_client_accepted_on_same_address(self):
        # The gateway itself connecting to 198.51.100.1 comes from 198.51.100.1,
        # which is not loopback: refused too. Loopback clients are accepted.
        inside = self.relay.smtp("127.0.0.1")
        inside.sendmail("ok@example.com", ["r@example.org"], "Subject: ok\r\n\r\nok\r\n")
        inside.quit()
        self.assertIn("ok@example.com", self.senders())

    def senders(self):
        return [m["sender"] for m in self.relay.queue()]


if __name__ == "__main__":
    pgtest.main()

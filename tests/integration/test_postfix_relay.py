"""A real upstream Postfix relaying through poolgate, set up as README "Putting
poolgate behind Postfix or Exim" says: a private instance of Debian's Postfix
(poolgate_test/postfix.py: its own config, queue and data directories, smtpd on
127.0.0.1:2526, never the system instance) in the gateway namespace with
relayhost = [127.0.0.1]:2525 and SMTPUTF8 on, and poolgate delivering to the
world's MX hosts.

The message: SMTPUTF8 to zoë@example.net. For such a recipient Postfix 3.7
sends the ORCPT as xtext of the rfc822 type,
`RCPT TO:<zoë@example.net> ORCPT=rfc822;zo+C3+AB@example.net`, which poolgate
answered with 501 until issue 12, so Postfix bounced the mail. Checked: the
RCPT line Postfix sent (its SMTP client's debug log), the example.net MX
getting the message for the UTF-8 recipient with that ORCPT passed on, Postfix
logging status=sent and its queue empty, and no bounce anywhere.
"""
import re
import sys
import unittest

import pgtest
from poolgate_test.mailworld import MailWorld
from poolgate_test.postfix import PrivatePostfix, postfix_version
from poolgate_test.relay import RELAY_PORT

RCPT, SENDER = "zoë@example.net", "pfx-sender@example.com"
ORCPT = "ORCPT=rfc822;zo+C3+AB@example.net"
# mx1 (MX of example.net) records each command line as sent; mx2 is where a
# bounce to the sender's domain (example.com: A record, implicit MX) would land.
PEERS = [
    {"name": "mx1", "address": "203.0.113.25", "kind": "scripted",
     "args": ["--extensions", "PIPELINING,8BITMIME,ENHANCEDSTATUSCODES,DSN,SMTPUTF8"]},
    {"name": "mx2", "address": "203.0.113.26"},
]
POSTFIX_MAIN = {
    "myhostname": "postfix-upstream.example.com",
    "relayhost": f"[127.0.0.1]:{RELAY_PORT}",
    "smtputf8_enable": "yes",
    # Logs the SMTP dialogue with poolgate (and with the test's client): the
    # RCPT line Postfix sent.
    "debug_peer_list": "127.0.0.1",
}
BODY = ("From: Pfx Sender <pfx-sender@example.com>\r\nTo: Zoë <zoë@example.net>\r\n"
        "Subject: café through Postfix and poolgate\r\n"
        "Message-ID: <pfx-utf8@example.com>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nbonjour zoë\r\n")


class PostfixRelay(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # Class cleanups run also when setUpClass fails; last added, first run.
        cls.mw = MailWorld(pgtest.poolgate(), tag="pfx", peers=PEERS, unreachable=[],
                           blackhole=[])
        cls.addClassCleanup(cls.mw.close)
        cls.postfix = PrivatePostfix(cls.mw.gw, "127.0.0.1:2526", POSTFIX_MAIN)
        cls.addClassCleanup(cls.postfix.close)
        cls.postfix.start()
        print(f"Postfix {postfix_version()} in {cls.mw.gw.name}", file=sys.stderr)

    def submit(self):
        """The message into Postfix's smtpd, SMTPUTF8, as a mail client would."""
        smtp = self.postfix.smtp()
        try:
            smtp.ehlo("client.example.com")
            self.assertTrue(smtp.has_extn("smtputf8"), "Postfix does not offer SMTPUTF8")
            refused = smtp.sendmail(SENDER, [RCPT], BODY.encode(), mail_options=["SMTPUTF8"])
            self.assertEqual(refused, {})
            smtp.quit()
        finally:
            smtp.close()

    def postfix_outcome(self):
        """Postfix's final log line for the recipient through poolgate, or None."""
        for line in self.postfix.log().splitlines():
            if f"to=<{RCPT}>" in line and re.search(r" status=(sent|bounced|deferred)", line):
                return line
        return None

    def test_smtputf8_recipient_delivered_not_bounced(self):
        self.submit()
        outcome = self.mw.wait_for(self.postfix_outcome, 30, "Postfix's delivery to poolgate")
        print(f"Postfix logged: {outcome}", file=sys.stderr)
        context = (f"\nPostfix log:\n{self.postfix.log_tail(40)}\n"
                   f"poolgate log:\n{self.mw.relay_log()[-3000:]}")
        self.assertIn(f"relay=127.0.0.1[127.0.0.1]:{RELAY_PORT}", outcome, context)
        self.assertIn(" status=sent (250 2.0.0 Ok: queued as ", outcome, context)

        # What Postfix sent: the UTF-8 recipient with its ORCPT as rfc822 xtext.
        sent = [line.split(": ", 3)[-1] for line in self.postfix.log().splitlines()
                if f"> 127.0.0.1[127.0.0.1]:{RELAY_PORT}: RCPT TO:" in line]
        print(f"Postfix sent: {sent}", file=sys.stderr)
        self.assertEqual(sent, [f"RCPT TO:<{RCPT}> {ORCPT}"], context)

        # poolgate delivered it to example.net's MX, recipient and ORCPT as sent.
        messages = self.mw.wait_for(lambda: self.mw.peer_messages("mx1"), 20,
                                    "delivery to mx1.example.net")
        (message,) = messages
        self.assertEqual(message["rcpt_tos"], [RCPT])
        self.assertEqual(message["rcpt_options"], [[ORCPT]])
        self.assertIn("SMTPUTF8", message["mail_options"])
        self.assertIn("bonjour zoë".encode(), message["data"])
        self.assertIn(b"Message-ID: <pfx-utf8@example.com>", message["data"])

        # Nothing bounced or waits: Postfix's queue is empty, no DSN anywhere.
        self.assertEqual(sum(self.postfix.wait_empty(10).values()), 0,
                         f"Postfix's queue: {self.postfix.queue_counts()}")
        self.assertEqual(self.postfix.log_count("status=bounced"), 0, context)
        self.assertEqual(self.postfix.log_count("status=deferred"), 0, context)
        self.mw.wait_for(lambda: self.mw.queue() == [], 20, "poolgate's queue empty")
        self.assertEqual(self.mw.peer_messages("mx2"), [], "a bounce reached the sender")


if __name__ == "__main__":
    pgtest.main()

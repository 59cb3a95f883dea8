"""Classification end to end, spam scanner and sender limits, plus the
offline `poolgate classify`:

    spamd in the gateway netns:  GTUBE -> high-risk, spam:spamd score=...;
                                 a plain message -> normal
    spamd stopped:               on_scanner_failure "tempfail" -> 451 4.7.1 at
                                 the end of DATA, nothing queued;
                                 "high-risk" -> accepted, high-risk
    messages_per_minute = 3:     action "high-risk" -> the 4th goes high-risk,
                                 limit:messages-per-minute 4>3;
                                 "block-for-today" -> 4th and later 550 5.1.8,
                                 `senders list` shows the block, `senders
                                 release` lifts it
    poolgate classify < FILE:    pool and reasons for GTUBE / no-A-no-MX / clean;
                                 a blocked sender's refusal, from the spool's
                                 counters, and nothing counted

Recipients are at example.net (mx1, IPv4): the source address the peer saw
tells the pool. Limits count per sender, so every test has its own senders.
The DNS and NDR rules are in test_classify_e2e.py.
"""
import json
import re
import smtplib
import time
import unittest

import pgtest
from poolgate_test.delivery_checks import HIGH_RISK_POOL, NORMAL_POOL, messages_to, wait_for, wait_log
from poolgate_test.mailworld import MailWorld
from poolgate_test.spamd import Spamd

SPAMD_PORT = 7783  # inside the gateway namespace only
GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"


def body(subject, sender, marker, text="Hello, this is an ordinary message.\r\n"):
    return (f"Subject: {subject}\r\nFrom: <{sender}>\r\nTo: <someone@example.net>\r\n"
            f"Date: {time.strftime('%a, %d %b %Y %H:%M:%S +0000', time.gmtime())}\r\n"
            f"Message-ID: <{marker}@client.example.com>\r\n\r\n{text}{marker}\r\n")


def start_spamd(netns, workdir, port=None):
    return Spamd(netns, workdir, port or SPAMD_PORT, close_at_exit=True)


def submit_refused(mw, sender, rcpt, text):
    """(code, reply) of a submission the relay refuses at DATA; fails if it queues."""
    try:
        qid = mw.submit(sender, [rcpt], text)
    except smtplib.SMTPDataError as e:
        return e.smtp_code, e.smtp_error.decode()
    raise AssertionError(f"{sender}: accepted as {qid}, expected a refusal")


class WorldTest(unittest.TestCase):
    """A MailWorld for the class; restart() applies changed settings."""
    SETTINGS = {}

    @classmethod
    def setUpClass(cls):
        cls.mw = MailWorld(pgtest.poolgate(), tag=cls.TAG, **cls.SETTINGS)

    @classmethod
    def tearDownClass(cls):
        cls.mw.close()

    def restart(self, section, **values):
        mw = self.mw
        if all(mw.settings[section].get(k) == v for k, v in values.items()):
            return
        mw.relay.stop()
        mw.settings[section].update(values)
        mw.write_delivery_config()
        mw.relay.start()

    def classified(self, qid):
        return wait_log(self.mw, qid, ": classified pool=", 5)[0]

    def sent_from(self, qid, rcpt, pool, timeout=15):
        got = wait_for(lambda: messages_to(self.mw, rcpt), timeout, f"delivery to {rcpt}")
        self.assertEqual(len(got), 1, got)
        m = got[0][1]
        self.assertIn(m["peer"], NORMAL_POOL if pool == "normal" else HIGH_RISK_POOL,
                      f"{rcpt}: expected the {pool} pool")
        self.assertIn(f"pool={pool}", wait_log(self.mw, qid, "status=sent", 5)[0])
        return m


class SpamScanner(WorldTest):
    TAG = "cspm"
    spamd = None
    SETTINGS = {"spam": {"scanner": "spamd", "address": f"127.0.0.1:{SPAMD_PORT}",
                         "timeout_ms": 20000, "on_scanner_failure": "tempfail"}}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.spamd = start_spamd(cls.mw.gw, cls.mw.world.dir)
        except BaseException:
            cls.mw.close()
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.spamd:
            cls.spamd.close()
        super().tearDownClass()

    # --- 3. spamd verdicts ---------------------------------------------------------
    def test_gtube_goes_high_risk_with_spamd_score(self):
        sender, rcpt = "gtube@example.com", "spam-gtube@example.net"
        qid = self.mw.submit(sender, [rcpt], body("gtube", sender, "SPAM-1", GTUBE + "\r\n"))
        line = self.classified(qid)
        self.assertIn("pool=high-risk", line)
        self.assertRegex(line, r"reasons=spam:spamd score=\d+(\.\d+)? required=5\.0")
        score = float(re.search(r"score=([\d.]+)", line).group(1))
        self.assertGreaterEqual(score, 900, line)  # GTUBE is 1000 points
        self.sent_from(qid, rcpt, "high-risk")

    def test_plain_message_goes_normal(self):
        sender, rcpt = "plain@example.com", "spam-plain@example.net"
        qid = self.mw.submit(sender, [rcpt], body("lunch on friday", sender, "HAM-1"))
        self.assertIn("pool=normal reasons=clean", self.classified(qid))
        self.sent_from(qid, rcpt, "normal")

    def test_scanner_down_tempfail_then_high_risk(self):
        # Stops the class's spamd; the cleanup brings it (and the settings) back.
        self.addCleanup(self.restore_scanner)
        self.spamd.close()
        type(self).spamd = None
        self.restart("spam", on_scanner_failure="tempfail")

        sender, rcpt = "scanfail-tf@example.com", "scanfail-tf@example.net"
        code, reply = submit_refused(self.mw, sender, rcpt, body("tf", sender, "SCANFAIL-1"))
        self.assertEqual(code, 451, reply)
        self.assertIn("4.7.1", reply)
        # Nothing queued and nothing sent: the client still holds the message.
        self.assertFalse([m for m in self.mw.queue() if m["sender"] == sender])
        refused = [l for l in self.mw.relay_log().splitlines()
                   if f"refused from=<{sender}>" in l]
        self.assertEqual(len(refused), 1, refused)
        self.assertIn("spam:scanner-failed", refused[0])

        self.restart("spam", on_scanner_failure="high-risk")
        sender, rcpt = "scanfail-hr@example.com", "scanfail-hr@example.net"
        qid = self.mw.submit(sender, [rcpt], body("hr", sender, "SCANFAIL-2"))
        line = self.classified(qid)
        self.assertIn("pool=high-risk", line)
        self.assertIn("spam:scanner-failed (spamd", line)
        self.sent_from(qid, rcpt, "high-risk")
        time.sleep(0.5)
        self.assertEqual(messages_to(self.mw, "scanfail-tf@example.net"), [])

    def restore_scanner(self):
        self.restart("spam", on_scanner_failure="tempfail")
        if not type(self).spamd:
            type(self).spamd = start_spamd(self.mw.gw, self.mw.world.dir)

    # --- 6. poolgate classify ---------------------------------------------------------
    def classify(self, sender, text, *extra):
        result = self.mw.world.pg("classify", "--from", sender, "--rcpt", "cli@example.net",
                                  *extra, input=text)
        return result.stdout

    def test_cli_gtube_is_high_risk(self):
        out = self.classify("cli-gtube@example.com",
                            body("gtube", "cli-gtube@example.com", "CLI-1", GTUBE + "\n"))
        self.assertRegex(out, r"(?m)^pool:\s+high-risk$")
        self.assertRegex(out, r"(?m)^reasons:\s+spam:spamd score=\d")
        data = json.loads(self.classify("cli-gtube@example.com",
                                        body("gtube", "cli-gtube@example.com", "CLI-1",
                                             GTUBE + "\n"), "--json"))
        self.assertEqual((data["pool"], data["action"]), ("high-risk", "accept"))
        self.assertTrue(any(r.startswith("spam:spamd score=") for r in data["reasons"]), data)

    def test_cli_sender_without_a_or_mx_is_high_risk(self):
        text = body("hello", "user@ghost.example", "CLI-2")
        out = self.classify("user@ghost.example", text)
        self.assertRegex(out, r"(?m)^pool:\s+high-risk$")
        self.assertIn("sender-domain:no-a-no-mx ghost.example", out)
        data = json.loads(self.classify("user@ghost.example", text, "--json"))
        self.assertEqual(data["pool"], "high-risk")
        self.assertIn("sender-domain:no-a-no-mx ghost.example", data["reasons"])

    def test_cli_clean_message_is_normal_and_not_counted(self):
        sender = "cli-clean@example.com"
        text = body("lunch", sender, "CLI-3")
        out = self.classify(sender, text)
        self.assertRegex(out, r"(?m)^pool:\s+normal$")
        self.assertRegex(out, r"(?m)^reasons:\s+clean$")
        data = json.loads(self.classify(sender, text, "--json"))
        self.assertEqual(data, {"pool": "normal", "action": "accept", "reasons": []})
        # Offline: nothing was sent and nothing queued.
        self.assertEqual(messages_to(self.mw, "cli@example.net"), [])
        self.assertFalse([m for m in self.mw.queue() if m["sender"] == sender])


class SenderLimits(WorldTest):
    TAG = "clim"
    SETTINGS = {"limits": {"messages_per_minute": 3, "action": "high-risk"}}

    # --- 5. limits -----------------------------------------------------------------------
    def test_fourth_message_in_a_minute_goes_high_risk(self):
        self.restart("limits", action="high-risk")
        sender = "lim-hr@example.com"
        for n in range(1, 5):
            rcpt = f"lim-hr-{n}@example.net"
            qid = self.mw.submit(sender, [rcpt], body(f"n{n}", sender, f"LIMHR-{n}"))
            line = self.classified(qid)
            with self.subTest(n=n):
                if n <= 3:
                    self.assertIn("pool=normal reasons=clean", line)
                    self.sent_from(qid, rcpt, "normal")
                else:
                    self.assertIn("pool=high-risk", line)
                    self.assertIn("reasons=limit:messages-per-minute 4>3", line)
                    self.sent_from(qid, rcpt, "high-risk")
        # Another sender is not affected.
        qid = self.mw.submit("lim-other@example.com", ["lim-other@example.net"],
                             body("other", "lim-other@example.com", "LIMHR-O"))
        self.assertIn("pool=normal", self.classified(qid))

    def test_block_for_today_then_release(self):
        self.restart("limits", action="block-for-today")
        sender = "lim-block@example.com"
        for n in range(1, 4):
            self.mw.submit(sender, [f"lim-block-{n}@example.net"],
                           body(f"n{n}", sender, f"LIMBL-{n}"))
        for n in (4, 5):  # over the limit, then blocked
            with self.subTest(n=n):
                code, reply = submit_refused(self.mw, sender, f"lim-block-{n}@example.net",
                                             body(f"n{n}", sender, f"LIMBL-{n}"))
                self.assertEqual(code, 550, reply)
                self.assertIn("5.1.8", reply)
        self.assertFalse([m for m in self.mw.queue()
                          if any(r["address"] in ("lim-block-4@example.net",
                                                  "lim-block-5@example.net")
                                 for r in m["recipients"])])

        def blocked_entry():
            rows = json.loads(self.mw.world.pg("senders", "list", "--json").stdout)
            return [r for r in rows if r["sender"] == sender and r["blocked"]]
        row = wait_for(blocked_entry, 5, f"{sender} blocked in senders list")[0]
        self.assertRegex(row["blocked_until"], r"T00:00:00Z$")
        self.assertIn("messages-per-minute", row["block_reasons"])

        out = self.mw.world.pg("senders", "release", sender).stdout
        self.assertIn("released", out)
        wait_for(lambda: not blocked_entry(), 5, f"{sender} no longer blocked")
        rcpt = "lim-block-6@example.net"
        qid = self.mw.submit(sender, [rcpt], body("n6", sender, "LIMBL-6"))
        self.assertIn("pool=normal", self.classified(qid))
        self.sent_from(qid, rcpt, "normal")
        self.assertEqual(messages_to(self.mw, "lim-block-4@example.net"), [])

    def test_cli_classify_shows_a_block_and_counts_nothing(self):
        self.restart("limits", action="block-for-today")
        sender = "lim-cli@example.com"
        text = body("ask", sender, "LIMCLI")

        def classify():
            return json.loads(self.mw.world.pg("classify", "--from", sender, "--rcpt",
                                               "lim-cli-x@example.net", "--json",
                                               input=text).stdout)
        # Asked more often than the limit allows: never counted, so still clean.
        for _ in range(5):
            self.assertEqual(classify(), {"pool": "normal", "action": "accept", "reasons": []})
        for n in range(1, 4):
            self.mw.submit(sender, [f"lim-cli-{n}@example.net"], body(f"n{n}", sender, f"LIMCLI-{n}"))
        code, reply = submit_refused(self.mw, sender, "lim-cli-4@example.net",
                                     body("n4", sender, "LIMCLI-4"))
        self.assertEqual(code, 550, reply)
        # The daemon's decision, from the spool's counters (written a group
        # commit later, hence the wait).
        blocked = wait_for(lambda: (lambda d: d if d["action"] == "reject" else None)(classify()),
                           5, "classify shows the block")
        self.assertIn("5.1.8", blocked["reply"])
        self.assertTrue(any("blocked" in r or "limit:" in r for r in blocked["reasons"]), blocked)
        self.mw.world.pg("senders", "release", sender)


if __name__ == "__main__":
    pgtest.main()

"""Reputation feedback (issue 13) against a scripted recipient MX that blocks or
rate-limits one source address: a block rests the address for the site and the
mail goes from another address of the same pool (never another pool, never a
bounce); both normal addresses blocked, the mail waits deferred until the block
lifts; a Gmail-style 421-4.7.28 backs the pair off and it recovers after the
quiet period; two domains with the same MX share one connection limit per
source address."""
import json
import os
import tempfile
import time
import unittest

import pgtest
from poolgate_test.admin_http import admin_json, scrape
from poolgate_test.mailworld import MailWorld

MX = "203.0.113.25"
SITE = "mx:mx1.example.net"
A10, A11 = "198.51.100.10", "198.51.100.11"
HIGH_RISK = "203.0.113.66"

# Real texts (the rules file's defaults must know them).
SPAMHAUS_GREETING = ("554 5.7.1 Service unavailable; Client host [198.51.100.10] blocked using "
                     "zen.spamhaus.org; https://www.spamhaus.org/query/ip/198.51.100.10")
OUTLOOK_S3150 = ("550 5.7.1 Unfortunately, messages from [198.51.100.10] weren't sent. Please "
                 "contact your Internet service provider since part of their network is on our "
                 "block list (S3150). You can also refer your provider to "
                 "http://mail.live.com/mail/troubleshooting.aspx#errors.")
YAHOO_BL = ("554 5.7.1 [BL21] Connections will not be accepted from 198.51.100.10, because the "
            "ip is in Spamhaus's list; see http://postmaster.yahoo.com/errors/550-bl23.html")
GMAIL_RATE = ("421-4.7.28 [198.51.100.10] Our system has detected an unusual rate of\r\n"
              "421-4.7.28 unsolicited mail originating from your IP address. To protect our\r\n"
              "421 4.7.28 users from spam, mail sent from your IP address has been temporarily "
              "rate limited. gsmtp")

DNS = {"mx": [("example.net", 10, "mx1.example.net"), ("a.example", 10, "mx1.example.net"),
              ("b.example", 10, "mx1.example.net")],
       "a": [("mx1.example.net", MX), ("example.com", "203.0.113.26")]}


def body(tag):
    return f"Subject: {tag}\r\nFrom: a@example.com\r\n\r\n{tag}\r\n"


class ReputationFeedback(unittest.TestCase):
    def world(self, rules, reputation=None, delivery=None, pools=None, peer_args=()):
        fd, self.rules_path = tempfile.mkstemp(prefix="pgtest-per-source-", suffix=".json")
        os.close(fd)
        self.addCleanup(os.unlink, self.rules_path)
        self.set_rules(rules)
        kwargs = {"pools": pools} if pools else {}
        mw = MailWorld(pgtest.poolgate(), tag="rep", dns=DNS, unreachable=[], blackhole=[],
                       peers=[{"name": "mx1", "address": MX, "kind": "scripted",
                               "args": ["--per-source", self.rules_path, *peer_args]}],
                       delivery=dict({"connection_idle_ms": 200}, **(delivery or {})),
                       relay=False, **kwargs)
        self.addCleanup(mw.close)
        mw.settings["reputation"] = dict(reputation or {})
        mw.write_delivery_config()
        mw.start_relay()
        self.mw = mw
        return mw

    def set_rules(self, rules):
        with open(self.rules_path + ".tmp", "w") as f:
            json.dump(rules, f)
        os.replace(self.rules_path + ".tmp", self.rules_path)

    def addresses(self):
        view = admin_json(self.mw.gw, "/pools")
        return {a["address"]: a for p in view["pools"] for a in p["addresses"]}

    def site(self, address):
        return next(s for s in self.addresses()[address]["sites"] if s["site"] == SITE)

    def no_high_risk_connection(self):
        self.assertNotIn(HIGH_RISK, [c["peer"] for c in self.mw.peer_connections("mx1")])

    def replies_metric(self, cls):
        families = scrape(self.mw.gw)
        family = families.get("poolgate_remote_replies", {"samples": {}})
        return sum(v for (name, labels), v in family["samples"].items()
                   if dict(labels).get("class") == cls and dict(labels).get("pool") == "normal")

    def wait_queue_empty(self, timeout=30):
        self.mw.wait_for(lambda: not self.mw.queue_ids(), timeout, "an empty queue")

    # --- the tests ------------------------------------------------------------
    def test_blocked_greeting_rests_the_address_and_mail_leaves_from_the_other(self):
        mw = self.world({A10: {"GREETING": SPAMHAUS_GREETING}})
        for n in range(50):  # 50 senders: no sending limit sends one to high-risk
            mw.submit(f"user{n}@example.com", [f"r{n}@example.net"], body(f"m{n}"))
        mw.wait_for(lambda: len(mw.peer_messages("mx1")) >= 50, 60, "50 messages at the MX")
        self.wait_queue_empty()  # nothing bounced (a DSN would wait for example.com's MX)
        self.assertEqual({m["peer"] for m in mw.peer_messages("mx1")}, {A11})
        self.assertEqual(len(mw.peer_messages("mx1")), 50)
        self.no_high_risk_connection()
        a10 = self.addresses()[A10]
        self.assertEqual(a10["state"], "suspended")
        self.assertIn("zen.spamhaus.org", a10["last_block_reply"])
        self.assertGreater(self.site(A10)["suspended_until"], time.time() + 3000)
        self.assertEqual(self.addresses()[A11]["state"], "active")
        self.assertGreaterEqual(self.replies_metric("reputation-block"), 1)
        self.assertIn(f"source {A10} rests at site {SITE}", mw.relay_log())
        # Per address, labels {pool, address} only.
        families = scrape(mw.gw)
        def per_address(name, address):
            return families[name]["samples"][(name, frozenset({"pool": "normal",
                                                               "address": address}.items()))]
        self.assertEqual(per_address("poolgate_address_resting_sites", A10), 1)
        self.assertEqual(per_address("poolgate_address_resting_sites", A11), 0)
        blocks = families["poolgate_address_blocks"]["samples"]
        self.assertGreaterEqual(
            blocks[("poolgate_address_blocks_total",
                    frozenset({"pool": "normal", "address": A10}.items()))], 1)

    def test_both_addresses_blocked_mail_waits_then_leaves_from_the_normal_pool(self):
        block = {"GREETING": SPAMHAUS_GREETING}
        mw = self.world({A10: block, A11: block}, reputation={"block_suspend_s": 4})
        ids = [mw.submit("a@example.com", [f"w{n}@example.net"], body(f"w{n}")) for n in range(3)]
        mw.wait_for(lambda: self.addresses()[A11]["state"] == "suspended" and
                    self.addresses()[A10]["state"] == "suspended", 20, "both addresses resting")
        time.sleep(1)
        queued = {m["queue_id"]: m for m in mw.queue()}
        self.assertEqual(set(queued), set(ids))
        for m in queued.values():
            for r in m["recipients"]:
                self.assertIn(r["state"], ("deferred", "queued"), r)
        self.assertEqual(mw.peer_messages("mx1"), [])
        self.assertIn("every address rests at site " + SITE, mw.relay_log())
        # The block lifts; the rests end after 4 s and the mail goes, from the normal pool.
        self.set_rules({})
        mw.wait_for(lambda: len(mw.peer_messages("mx1")) >= 3, 30, "the 3 messages delivered")
        self.wait_queue_empty()
        self.assertTrue({m["peer"] for m in mw.peer_messages("mx1")} <= {A10, A11})
        self.no_high_risk_connection()

    def test_outlook_block_at_rcpt_goes_again_from_the_other_address(self):
        mw = self.world({A10: {"RCPT": OUTLOOK_S3150}})
        for n in range(10):
            mw.submit("a@example.com", [f"o{n}@example.net"], body(f"o{n}"))
        mw.wait_for(lambda: len(mw.peer_messages("mx1")) >= 10, 60, "10 messages at the MX")
        self.wait_queue_empty()
        self.assertEqual({m["peer"] for m in mw.peer_messages("mx1")}, {A11})
        self.assertEqual(self.addresses()[A10]["state"], "suspended")
        self.assertIn("S3150", self.addresses()[A10]["last_block_reply"])
        self.no_high_risk_connection()

    def test_block_at_the_final_reply_goes_again_from_the_other_address(self):
        mw = self.world({A10: {"DOT": YAHOO_BL}})
        for n in range(10):
            mw.submit("a@example.com", [f"y{n}@example.net"], body(f"y{n}"))
        accepted = lambda: [m for m in mw.peer_messages("mx1") if m["reply"].startswith("250")]
        mw.wait_for(lambda: len(accepted()) >= 10, 60, "10 messages accepted")
        self.wait_queue_empty()
        # Every accepted copy came from .11, each message once; what .10 sent
        # was refused at the final dot (one per connection it had open then).
        self.assertEqual({m["peer"] for m in accepted()}, {A11})
        self.assertEqual(len({m["data"] for m in accepted()}), 10)
        refused = [m for m in mw.peer_messages("mx1") if not m["reply"].startswith("250")]
        self.assertTrue(refused)
        self.assertEqual({m["peer"] for m in refused}, {A10})
        self.assertEqual(self.addresses()[A10]["state"], "suspended")
        self.assertIn("[BL21]", self.addresses()[A10]["last_block_reply"])
        self.no_high_risk_connection()

    def test_rate_limit_backs_off_then_recovers_after_the_quiet_period(self):
        mw = self.world({A10: {"DOT": GMAIL_RATE}, A11: {"DOT": GMAIL_RATE}},
                        reputation={"rate_limit_quiet_s": 3},
                        delivery={"connections_per_destination": 4})
        mw.submit("a@example.com", ["g1@example.net"], body("g1"))
        mw.wait_for(lambda: any(s["backing_off"] for a in (A10, A11)
                                for s in self.addresses()[a]["sites"]), 20, "a pair backing off")
        backing = [(a, s) for a in (A10, A11) for s in self.addresses()[a]["sites"]
                   if s["backing_off"]]
        address, site = backing[0]
        self.assertEqual(site["site"], SITE)
        self.assertEqual(site["connection_limit"], 2)  # 4 halved
        self.assertEqual(self.addresses()[address]["state"], "backing-off")
        self.assertGreaterEqual(self.replies_metric("rate-limit"), 1)
        # Quiet (the MX takes mail again): the message goes, and after quiet
        # periods the pair is back at its configured limits.
        self.set_rules({})
        mw.wait_for(lambda: mw.peer_messages("mx1"), 30, "the message delivered")
        mw.wait_for(lambda: not self.site(address)["backing_off"], 30, "the pair recovered")
        self.assertEqual(self.site(address)["connection_limit"], 4)
        self.wait_queue_empty()

    def test_two_domains_with_the_same_mx_share_one_limit_per_source(self):
        pools = [{"name": "normal", "fwmark": 0x100, "table": 100, "ehlo": "mail.example.com",
                  "addresses": [A10, A11, "2001:db8:100::10"], "weights": [1, 0, 1]},
                 {"name": "high-risk", "fwmark": 0x200, "table": 200, "ehlo": "bulk.example.com",
                  "addresses": [HIGH_RISK, "2001:db8:203::66"]}]
        # A connection with nothing left waits connection_idle_ms (10 s here)
        # for more mail to its own domain; the other domain's mail must not
        # wait that out: an idle connection at a full site QUITs for it.
        mw = self.world({}, delivery={"connections_per_destination": 1,
                                      "connection_idle_ms": 10000},
                        pools=pools, peer_args=["--slow", "0.5"])
        started = time.monotonic()
        for n in range(4):
            for domain in ("a.example", "b.example"):
                mw.submit("slowdata@example.com", [f"s{n}@{domain}"], body(f"s{n}"))
        mw.wait_for(lambda: len(mw.peer_messages("mx1")) >= 8, 60, "8 messages at the MX")
        self.assertLess(time.monotonic() - started, 9, "a domain waited out another's idle time")
        connections = [c for c in mw.peer_connections("mx1") if "end" in c]
        self.assertEqual({c["peer"] for c in connections}, {A10})
        events = sorted([(c["start"], 1) for c in connections] + [(c["end"], -1) for c in connections])
        open_now = most = 0
        for _, delta in events:
            open_now += delta
            most = max(most, open_now)
        self.assertEqual(most, 1, connections)
        self.assertEqual(len(self.addresses()[A10]["sites"]), 1)
        self.assertEqual(self.site(A10)["connection_limit"], 1)


if __name__ == "__main__":
    pgtest.main()

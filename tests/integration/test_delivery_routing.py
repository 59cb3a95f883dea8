"""Next-hop routing and DNS failures end to end, through the real delivery
engine: `poolgate run` in the gateway delivers to aiosmtpd peers behind the
data plane, dnsmasq answers (or fails to), and each test checks where the
message went, what the queue says, what the relay logged and which DSNs the
sender got. Also what a next hop is sent of a Postfix SMTPUTF8 ORCPT.

One MailWorld for the class: every test uses its own recipient local part and
sender, and its own domains where a destination's state could leak between
tests. Senders are at example.org, whose MX is the IPv6 peer mx6, so a DSN
(always sent through the high-risk pool) lands somewhere a test can read it.
Local parts avoid peer_rules' magic words ("temp", "perm", "slow").
"""
import json
import re
import time
import unittest

import pgtest
from poolgate_test.mailworld import DEFAULT_DNS, DEFAULT_PEERS, MailWorld, dsn_report

ZONE = {kind: list(records) for kind, records in DEFAULT_DNS.items()}
ZONE["mx"] += [
    # The preferred MX is listed second and has the higher name and address:
    # neither record order nor sorting by name or address picks it by chance.
    ("reversed.example", 20, "mx1.example.net"), ("reversed.example", 10, "mx2.example.net"),
    ("fallback.example", 10, "mx.down.example"), ("fallback.example", 20, "mx2.example.net"),
    ("alldown.example", 10, "mx.down.example"), ("alldown.example", 20, "mx2.down.example"),
    ("mixdown.example", 10, "mx.down.example"),
    # The MX answer is fine; the address lookups of its host fail.
    ("slowhost.example", 10, "mx.slow.example"),
    ("partial.example", 10, "mx.broken.example"), ("partial.example", 20, "mx2.example.net"),
    # Both MX hosts refuse us: a blocklist 554 greeting, then 5xx to EHLO and HELO.
    ("refusing.example", 10, "mx.blocked.example"), ("refusing.example", 20, "mx.noehlo.example"),
    ("utf8.example", 10, "mx.utf8.example"),
]
ZONE["a"] += [("mx2.down.example", "203.0.113.29"),
              # A trap: a relay that took the null MX for "no MX" would fall back
              # to the domain's own address (mx1) and deliver there.
              ("nomail.example", "203.0.113.25"),
              ("mx.blocked.example", "203.0.113.30"), ("mx.noehlo.example", "203.0.113.31"),
              ("mx.utf8.example", "203.0.113.32")]
PEERS = DEFAULT_PEERS + [
    {"name": "blocked", "address": "203.0.113.30", "kind": "scripted",
     "args": ["--greeting", "554 5.7.1 Service unavailable; Client host [198.51.100.10] "
                            "blocked using zen.spamhaus.org"]},
    {"name": "noehlo", "address": "203.0.113.31", "kind": "scripted",
     "args": ["--reply", "EHLO=550 5.7.1 Access denied", "--reply", "HELO=550 5.7.1 Access denied"]},
    # Records each RCPT's parameters as sent.
    {"name": "utf8", "address": "203.0.113.32", "kind": "scripted",
     "args": ["--extensions", "PIPELINING,8BITMIME,ENHANCEDSTATUSCODES,DSN,SMTPUTF8"]},
]
UNREACHABLE = ["203.0.113.27", "203.0.113.29"]  # ICMP unreachable at once
BLACKHOLE = ["203.0.113.28"]                      # silently lost: connect timeout
BODY = "Subject: routing {0}\r\nMessage-ID: <{0}@example.org>\r\n\r\nbody of {0}\r\n"


class DeliveryRouting(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # A long lifetime: a deferred message must never expire (4.4.7 bounce)
        # while the class runs, however loaded the machine is.
        cls.mw = MailWorld(pgtest.poolgate(), tag="dr", dns=ZONE, peers=PEERS,
                           unreachable=UNREACHABLE, blackhole=BLACKHOLE,
                           delivery={"max_lifetime_s": 600})

    @classmethod
    def tearDownClass(cls):
        cls.mw.close()

    # --- helpers ------------------------------------------------------------
    def send(self, local, *domains):
        """Submits from <local>-from@example.org to local@domain for each domain;
        returns (queue id, sender, recipients)."""
        sender = f"{local}-from@example.org"
        rcpts = [f"{local}@{d}" for d in domains]
        qid = self.mw.submit(sender, rcpts, BODY.format(local))
        self.assertTrue(qid, "no queue id in the relay's 250 reply")
        return qid, sender, rcpts

    def log(self, qid):
        return [line for line in self.mw.relay_log().splitlines() if f" {qid}: " in line]

    def show(self, qid):
        """`poolgate queue show ID --json`, or None once the message is gone."""
        result = self.mw.relay.pg("queue", "show", qid, "--json", check=False)
        return json.loads(result.stdout) if result.returncode == 0 else None

    def state(self, qid):
        shown = self.show(qid)
        return {r["address"]: r for r in shown["recipients"]} if shown else None

    def wait(self, qid, predicate, timeout, what):
        """mw.wait_for, with the message's log lines in the failure."""
        try:
            return self.mw.wait_for(predicate, timeout, what)
        except AssertionError as e:
            lines = "\n".join(self.log(qid))
            raise AssertionError(f"{e}; relay log for {qid}:\n{lines}") from None

    def wait_state(self, qid, rcpt, state, attempts=1, timeout=20):
        """Waits until rcpt has `state` after at least `attempts` attempts; fails
        at once if the message is gone or rcpt reached another final state."""
        def done():
            states = self.state(qid)
            recipient = states and states.get(rcpt)
            if not recipient:
                self.fail(f"{rcpt}: wanted {state}, but the message is gone")
            if recipient["state"] in {"delivered", "failed"} - {state}:
                self.fail(f"{rcpt}: wanted {state}, is {recipient['state']} "
                          f"({recipient['last_reply']})")
            ok = recipient["state"] == state and recipient["attempts"] >= attempts
            return recipient if ok else None
        return self.wait(qid, done, timeout, f"{rcpt} {state} after {attempts} attempts")

    def received(self, rcpt):
        """{peer name: [messages for rcpt]} over every peer, non-empty only."""
        out = {}
        for name in self.mw.peers:
            hits = [m for m in self.mw.peer_messages(name) if rcpt in m["rcpt_tos"]]
            if hits:
                out[name] = hits
        return out

    def dsns(self, sender):
        """DSNs (null reverse-path) that reached any peer for `sender`."""
        return [m for ms in self.received(sender).values() for m in ms
                if m["mail_from"] in ("<>", "")]

    def wait_dsn(self, qid, sender, timeout=15):
        found = self.wait(qid, lambda: self.dsns(sender), timeout, f"a DSN to {sender}")
        self.assertEqual(len(found), 1, "more than one DSN")
        return found[0]

    def assert_no_dsn(self, qid, sender):
        self.assertEqual(self.dsns(sender), [], "the sender got a DSN")
        self.assertFalse([line for line in self.log(qid) if "notification" in line])
        queued = [m for m in self.mw.queue() if m["sender"] == ""
                  and any(r["address"] == sender for r in m["recipients"])]
        self.assertEqual(queued, [], "a DSN to the sender is queued")

    def assert_still_queued(self, qid, local):
        self.assertIn(qid, self.mw.queue_ids())
        content = self.mw.relay.content(qid)
        self.assertIn(f"body of {local}", content, "the queued content is gone")

    # --- where mail goes ------------------------------------------------------
    def test_mx_preference(self):
        for local, domain, want, other in [("pref-a", "example.net", "mx1", "mx2"),
                                           ("pref-b", "reversed.example", "mx2", "mx1")]:
            with self.subTest(domain=domain):
                # Several messages: shuffling equal-preference hosts, or ignoring the
                # preference, would send some of them to the other host.
                sent = [self.send(f"{local}{i}", domain) for i in range(3)]
                for qid, _, (rcpt,) in sent:
                    got = self.wait(qid, lambda: self.received(rcpt), 15, f"{rcpt} delivered")
                    self.assertEqual(list(got), [want], f"{rcpt} went to {list(got)}")
                    self.assertEqual(len(got[want]), 1)
                    self.assertEqual(got[want][0]["peer"][:11], "198.51.100.",
                                     "not from a normal-pool address")
                for qid, _, (rcpt,) in sent:
                    self.wait(qid, lambda: self.show(qid) is None, 10, f"{qid} removed")
                    self.assertEqual(self.received(rcpt).get(other), None)

    def test_mx_fallback_to_second_mx(self):
        qid, sender, (rcpt,) = self.send("fallback", "fallback.example")
        got = self.wait(qid, lambda: self.received(rcpt), 15, "delivery to the second MX")
        self.assertEqual(list(got), ["mx2"])
        self.assertIn(b"body of fallback", got["mx2"][0]["data"])
        self.wait(qid, lambda: self.show(qid) is None, 10, "the message removed")
        lines = self.log(qid)
        failed = [i for i, line in enumerate(lines) if "mx=mx.down.example relay=203.0.113.27 "
                  in line and "No route to host" in line]
        sent = [i for i, line in enumerate(lines)
                if re.search(rf"mx=mx2\.example\.net to=<{re.escape(rcpt)}> "
                             r"relay=203\.0\.113\.26:25 .*status=sent", line)]
        self.assertTrue(failed, "no failed attempt at the first MX:\n" + "\n".join(lines))
        self.assertTrue(sent, "no delivery at the second MX in the log:\n" + "\n".join(lines))
        self.assertLess(failed[0], sent[0], "the preferred MX was not tried first")
        self.assertEqual(self.dsns(sender), [])

    def test_implicit_mx(self):
        qid, _, (rcpt,) = self.send("implicit", "implicit.example")
        got = self.wait(qid, lambda: self.received(rcpt), 15, "delivery to the domain's A")
        self.assertEqual(list(got), ["mx2"], "not delivered to implicit.example's A 203.0.113.26")
        self.wait(qid, lambda: self.show(qid) is None, 10, "the message removed")
        self.assertTrue([line for line in self.log(qid) if "mx=implicit.example " in line
                         and "relay=203.0.113.26:25" in line and "status=sent" in line],
                        "\n".join(self.log(qid)))

    # --- permanent failures ---------------------------------------------------
    def test_null_mx_fails_at_once_with_a_dsn(self):
        start = time.monotonic()
        qid, sender, (rcpt,) = self.send("nullmx", "nomail.example")
        dsn = self.wait_dsn(qid, sender)
        self.assertLess(time.monotonic() - start, 10, "a null MX must not be retried")
        lines = self.log(qid)
        self.assertTrue([line for line in lines if f"to=<{rcpt}> relay=none" in line
                         and "status=bounced (556 5.1.10" in line], "\n".join(lines))
        self.assertFalse([line for line in lines if "relay=203." in line or "relay=[" in line],
                         "a connection was attempted for a null MX domain")
        self.assertEqual(self.received(rcpt), {}, "a peer saw the null MX recipient")
        self.assertNotIn("query[A] nomail.example", self.mw.dns.log(),
                         "the null MX domain's own address was looked up (implicit MX)")
        self.wait(qid, lambda: self.show(qid) is None, 10, "the message removed")
        # The DSN: through the high-risk pool to the sender's MX (mx6).
        self.assertEqual(dsn["peer"], "2001:db8:203::66", "DSN not sent from the high-risk pool")
        report = dsn_report(dsn["data"])
        self.assertEqual(len(report.recipients), 1)
        self.assertEqual(report.recipients[0]["final-recipient"], f"rfc822; {rcpt}")
        self.assertEqual((report.recipients[0]["action"], report.recipients[0]["status"]),
                         ("failed", "5.1.10"))
        self.assertIn("556", report.recipients[0].get("diagnostic-code", ""))
        self.assertEqual(report.per_message["reporting-mta"], "dns; relay.example.com")

    def test_nxdomain_is_permanent_5_1_2(self):
        qid, sender, (rcpt,) = self.send("nxd", "nosuchdomain.example")
        dsn = self.wait_dsn(qid, sender)
        lines = self.log(qid)
        self.assertTrue([line for line in lines if f"to=<{rcpt}> relay=none" in line
                         and "status=bounced (550 5.1.2" in line], "\n".join(lines))
        self.wait(qid, lambda: self.show(qid) is None, 10, "the message removed")
        recipients = dsn_report(dsn["data"]).recipients
        self.assertEqual([(r["final-recipient"], r["action"], r["status"]) for r in recipients],
                         [(f"rfc822; {rcpt}", "failed", "5.1.2")])

    # --- temporary failures: queued, retried, never bounced ---------------------
    def test_every_mx_unreachable_stays_deferred(self):
        qid, sender, (rcpt,) = self.send("alldown", "alldown.example")
        recipient = self.wait_state(qid, rcpt, "deferred", attempts=2)
        self.assertRegex(recipient["last_reply"], r"^4\d\d 4\.4\.1 connect to 203\.0\.113\.2[79]")
        lines = self.log(qid)
        # Both MX hosts tried in an attempt, the preferred one first.
        hops = [m.group(1) for line in lines
                for m in [re.search(r" mx=(\S+) relay=(\S+) source=\S+ mark=\S+ class=other: 4",
                                    line)] if m]
        self.assertEqual(hops[:2], ["mx.down.example", "mx2.down.example"], "\n".join(lines))
        # attempts counts attempts (one per recipient outcome line), not connects.
        def outcomes():
            return sum(f"to=<{rcpt}>" in line and "status=deferred" in line
                       for line in self.log(qid))
        before = outcomes()
        attempts = self.state(qid)[rcpt]["attempts"]
        self.assertLessEqual(before - 1, attempts)  # the newest may not be written yet
        self.assertLessEqual(attempts, outcomes())
        self.assertFalse([line for line in lines if "status=bounced" in line])
        self.assert_still_queued(qid, "alldown")
        self.assert_no_dsn(qid, sender)

    def test_every_mx_refusing_at_greeting_or_ehlo_stays_deferred(self):
        # A 5xx greeting (a blocklist) refuses our address, not the recipient:
        # the address rests at the site and the same MX is tried from the
        # pool's other address; when that one is refused too, every address
        # rests and the recipient waits, deferred (shown as a 4xx), until the
        # first rest ends: never a bounce, never another pool.
        qid, sender, (rcpt,) = self.send("refused", "refusing.example")
        recipient = self.wait_state(qid, rcpt, "deferred", attempts=1)
        self.assertRegex(recipient["last_reply"],
                         r"^451 4\.7\.1 every address of pool normal rests at "
                         r"mx:mx\.blocked\.example,mx\.noehlo\.example until .* after a block: "
                         r"554 5\.7\.1 Service unavailable")
        self.assertEqual(recipient["last_class"], "reputation-block")
        lines = self.log(qid)
        hops = [m.groups() for line in lines
                for m in [re.search(r" mx=(\S+) relay=\S+ source=(\S+) mark=\S+ class=(\S+): 5",
                                    line)] if m]
        self.assertEqual(sorted(hops[:2]),
                         [("mx.blocked.example", "198.51.100.10", "reputation-block"),
                          ("mx.blocked.example", "198.51.100.11", "reputation-block")],
                         "\n".join(lines))
        self.assertFalse([line for line in lines if "status=bounced" in line])
        self.assertTrue(self.mw.peer_connections("blocked"), "blocked never tried")
        self.assertEqual(self.mw.peer_messages("blocked"), [])
        self.assertEqual(self.mw.peer_messages("noehlo"), [])
        self.assertNotIn("203.0.113.66", [c["peer"] for c in self.mw.peer_connections("blocked")])
        self.assert_still_queued(qid, "refused")
        self.assert_no_dsn(qid, sender)

    def test_blackholed_mx_times_out_and_stays_deferred(self):
        start = time.monotonic()
        qid, sender, (rcpt,) = self.send("hole", "hole.example")
        recipient = self.wait_state(qid, rcpt, "deferred", attempts=1, timeout=15)
        elapsed = time.monotonic() - start
        connect_timeout = self.mw.settings["delivery"]["connect_timeout_s"]
        self.assertGreaterEqual(elapsed, connect_timeout - 0.5, "gave up before connect_timeout_s")
        self.assertLess(elapsed, connect_timeout + 8, "connect_timeout_s not applied")
        self.assertRegex(recipient["last_reply"], r"^451 4\.4\.1 connect to 203\.0\.113\.28:25: "
                                                  r"timed out")
        self.assertTrue([line for line in self.log(qid)
                         if "mx=mx.hole.example relay=203.0.113.28 " in line
                         and "timed out" in line])
        self.assert_still_queued(qid, "hole")
        self.assert_no_dsn(qid, sender)

    def check_dns_tempfail(self, local, domain, logged):
        qid, sender, (rcpt,) = self.send(local, domain)
        recipient = self.wait_state(qid, rcpt, "deferred", attempts=2)
        self.assertEqual(recipient["last_reply"],
                         f"451 4.4.3 Temporary DNS failure looking up {domain}; will retry")
        lines = self.log(qid)
        self.assertTrue([line for line in lines
                         if f"next hops for {domain}: {logged}" in line], "\n".join(lines))
        self.assertFalse([line for line in lines if "status=bounced" in line or "relay=2" in line])
        self.assertIn(f"query[MX] {domain} ", self.mw.dns.log())
        self.assert_still_queued(qid, local)
        self.assert_no_dsn(qid, sender)

    def test_dns_timeout_defers(self):
        self.check_dns_tempfail("dnstimeout", "slow.example", "MX slow.example: tempfail (Timeout")

    def test_dns_servfail_defers(self):
        self.check_dns_tempfail("servfail", "broken.example", "MX broken.example: tempfail (")

    def test_mx_host_address_timeout_defers(self):
        # Not "no mail exchanger has an address" (550 5.4.4): it could not find out.
        self.check_dns_tempfail("hosttimeout", "slowhost.example",
                                "MX slowhost.example: ok 10 mx.slow.example; "
                                "AAAA mx.slow.example: tempfail (Timeout")

    def test_servfail_for_preferred_mx_host_falls_back(self):
        qid, sender, (rcpt,) = self.send("partial", "partial.example")
        got = self.wait(qid, lambda: self.received(rcpt), 15, "delivery to the second MX")
        self.assertEqual(list(got), ["mx2"])
        self.wait(qid, lambda: self.show(qid) is None, 10, "the message removed")
        self.assertEqual(self.dsns(sender), [])

    # --- what the next hop is sent ----------------------------------------------
    def test_postfix_utf8_orcpt_passes_on_unchanged(self):
        # Postfix 3.7's RCPT for an SMTPUTF8 recipient without a client ORCPT.
        rcpt, orcpt = "zoë@utf8.example", "ORCPT=rfc822;zo+C3+AB@utf8.example"
        qid = self.mw.submit("utf8-from@example.org", [rcpt], BODY.format("utf8"),
                             mail_options=["SMTPUTF8"], rcpt_options=[orcpt])
        got = self.wait(qid, lambda: self.received(rcpt), 15, "delivery to mx.utf8.example")
        (message,) = got["utf8"]
        self.assertEqual(message["rcpt_options"], [[orcpt]])
        self.assertIn("SMTPUTF8", message["mail_options"])

    # --- one message, three fates ----------------------------------------------
    def test_mixed_recipients_each_get_their_outcome(self):
        qid, sender, (ok, later, never) = self.send(
            "mixed", "example.net", "mixdown.example", "nomail.example")
        self.wait(qid, lambda: self.received(ok), 15, "delivery of the example.net recipient")
        dsn = self.wait_dsn(qid, sender)
        self.wait_state(qid, later, "deferred", attempts=2)
        states = self.state(qid)
        self.assertEqual({a: r["state"] for a, r in states.items()},
                         {ok: "delivered", later: "deferred", never: "failed"})
        self.assertEqual(states[ok]["attempts"], 1)
        self.assertRegex(states[ok]["last_reply"], r"^250 ")
        self.assertRegex(states[later]["last_reply"], r"^451 4\.4\.1 ")
        self.assertRegex(states[never]["last_reply"], r"^556 5\.1\.10 ")
        self.assert_still_queued(qid, "mixed")
        # Only the deferred recipient is retried: one copy at mx1, only for ok.
        delivered = self.received(ok)
        self.assertEqual(list(delivered), ["mx1"])
        self.assertEqual([m["rcpt_tos"] for m in delivered["mx1"]], [[ok]])
        self.assertEqual(self.received(later), {})
        self.assertEqual(self.received(never), {})
        lines = self.log(qid)
        self.assertEqual(sum(f"to=<{ok}>" in line for line in lines), 1, "\n".join(lines))
        self.assertEqual(sum(f"to=<{never}>" in line for line in lines), 1, "\n".join(lines))
        # The DSN names the failed recipient only.
        recipients = dsn_report(dsn["data"]).recipients
        self.assertEqual([(r["final-recipient"], r["action"], r["status"]) for r in recipients],
                         [(f"rfc822; {never}", "failed", "5.1.10")])


if __name__ == "__main__":
    pgtest.main()

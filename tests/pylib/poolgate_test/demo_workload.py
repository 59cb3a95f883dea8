"""The demo's world and workload, defined once: `make demo` (scripts/demo.py)
runs it and prints what happened; tests/integration/test_demo.py runs it and
asserts every row. Nothing here starts anything (see demo_world.py).

The simulated internet (peer namespace):

    DNS 203.0.113.53 (dnsmasq)
      example.com   MX mx.example.com   -> 203.0.113.30  the sending company's own MX
                                                         (where bounces to its users go)
      example.net   MX mx1.example.net  -> 203.0.113.25  a mailbox provider (IPv4)
      example.org   MX mx.example.org   -> 2001:db8:25::25  a mailbox provider (IPv6 only)
      oldcorp.example MX mx.oldcorp.example -> 203.0.113.27  rejects every recipient (550)
      ghost.example  (nothing: NXDOMAIN)  a sender domain without A or MX

The gateway's pools are world.py's: normal 198.51.100.10, .11,
2001:db8:100::10; high-risk 203.0.113.66, 2001:db8:203::66.
"""
import time

SPAMD_PORT = 783  # spamd's own default, inside the gateway namespace only
GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
HOURLY_LIMIT = 3  # [limits] external_recipients_per_hour

ZONE = {
    "mx": [("example.com", 10, "mx.example.com"), ("example.net", 10, "mx1.example.net"),
           ("example.org", 10, "mx.example.org"),
           ("oldcorp.example", 10, "mx.oldcorp.example")],
    "a": [("mx.example.com", "203.0.113.30"), ("mx1.example.net", "203.0.113.25"),
          ("mx.oldcorp.example", "203.0.113.27")],
    "aaaa": [("mx.example.org", "2001:db8:25::25")],
}

# The recipient MX hosts, as MailWorld's peers (name, address, kind, args).
PEERS = [
    {"name": "mx.example.com", "address": "203.0.113.30"},
    {"name": "mx1.example.net", "address": "203.0.113.25"},
    {"name": "mx.example.org", "address": "2001:db8:25::25"},
    # A raw server (it records every command, so the rejected RCPT is on record).
    {"name": "mx.oldcorp.example", "address": "203.0.113.27", "kind": "scripted",
     "args": ["--reply", "RCPT=550 5.1.1 Recipient address rejected: User unknown"]},
]

SETTINGS = {
    # The trace header tells every receiving MX the pool and reasons (a
    # debugging aid; off by default in the product).
    "classify": {"add_header": True},
    # One limit small enough to reach with a handful of messages; the
    # others stay at their (high) defaults.
    "limits": {"external_recipients_per_hour": HOURLY_LIMIT, "action": "high-risk"},
    "spam": {"scanner": "spamd", "address": f"127.0.0.1:{SPAMD_PORT}", "timeout_ms": 20000,
             "on_scanner_failure": "tempfail"},
    # The demo's DNS answers at once; no long waits for anything.
    "delivery": {"retry_intervals_s": [2, 2], "max_lifetime_s": 60},
}


class Item:
    """One message of the workload and what should become of it."""

    def __init__(self, key, label, sender, rcpt, subject, text, pool, reason, mx,
                 rejected=False, from_header=None, extra_headers=""):
        self.key, self.label, self.sender, self.rcpt = key, label, sender, rcpt
        self.subject, self.text, self.extra_headers = subject, text, extra_headers
        self.from_header = from_header or sender or "MAILER-DAEMON@example.com"
        self.pool, self.reason, self.mx, self.rejected = pool, reason, mx, rejected
        self.message_id = f"<{key}.{int(time.time())}@client.example.com>"

    def body(self):
        date = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime())
        return (f"From: <{self.from_header}>\r\nTo: <{self.rcpt}>\r\n"
                f"Subject: {self.subject}\r\nDate: {date}\r\n"
                f"Message-ID: {self.message_id}\r\nMIME-Version: 1.0\r\n"
                f"Content-Type: text/plain; charset=us-ascii\r\n{self.extra_headers}\r\n"
                f"{self.text}")


CLEAN_TEXT = ("Hi Bob,\r\n\r\nthe minutes of Tuesday's meeting are below. Please send\r\n"
              "corrections by Friday.\r\n\r\nThanks,\r\nAlice\r\n")
NEWS_TEXT = ("This week: the spring catalogue is out, and the store opens an hour\r\n"
             "earlier on Saturdays. You receive this because you subscribed.\r\n")
BOUNCE_TEXT = ("This is the mail system at host mail.example.com.\r\n\r\n"
               "I'm sorry to have to inform you that your message could not\r\n"
               "be delivered to one or more recipients.\r\n")


def workload():
    """The messages in submission order. Each goes to one recipient, so each
    row of the demo's table is one message and one delivery."""
    items = [
        Item("clean-v4", "clean mail", "alice@example.com", "bob@example.net",
             "Minutes of Tuesday's meeting", CLEAN_TEXT, "normal", "clean", "mx1.example.net"),
        Item("clean-v6", "clean mail (IPv6 MX)", "alice@example.com", "carol@example.org",
             "Re: lunch on Friday", "Friday works for me. 12:30 at the usual place?\r\n",
             "normal", "clean", "mx.example.org"),
        Item("gtube", "spam (GTUBE)", "promo@example.com", "dave@example.org",
             "You have WON", f"Claim your prize now!\r\n{GTUBE}\r\n",
             "high-risk", "spam:spamd score=", "mx.example.org"),
        Item("ndr", "an NDR (null sender)", "", "erin@example.net",
             "Undelivered Mail Returned to Sender", BOUNCE_TEXT,
             "high-risk", "ndr:null-sender", "mx1.example.net"),
        Item("no-a-mx", "sender domain without A/MX", "info@ghost.example", "frank@example.net",
             "Your invoice", "Please find your invoice attached.\r\n",
             "high-risk", "sender-domain:no-a-no-mx ghost.example", "mx1.example.net"),
    ]
    for n in range(1, HOURLY_LIMIT + 3):
        over = n > HOURLY_LIMIT
        items.append(Item(
            f"limit-{n}", f"newsletter {n} (limit {HOURLY_LIMIT}/h)", "news@example.com",
            f"reader{n}@example.net", "Spring catalogue", NEWS_TEXT,
            "high-risk" if over else "normal",
            f"limit:external-per-hour {n}>{HOURLY_LIMIT}" if over else "clean",
            "mx1.example.net"))
    items.append(Item("rejected", "recipient's MX answers 5xx", "billing@example.com",
                      "jane@oldcorp.example", "Your account", "Your statement is ready.\r\n",
                      "normal", "clean", "mx.oldcorp.example", rejected=True))
    return items


# The bounce poolgate itself sends for the rejected message: to its sender,
# billing@example.com, at the sending company's MX, out of the high-risk pool.
DSN = {"label": "poolgate's DSN to billing@", "of": "rejected", "rcpt": "billing@example.com",
       "pool": "high-risk", "reason": "ndr:generated", "mx": "mx.example.com"}

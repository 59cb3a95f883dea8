"""A connection kept open for more mail (connection_idle_ms) that the next hop
closes meanwhile, as receivers do after their own idle timeout ("421 4.4.2
timeout"): the next message must go over a new connection at once, not fail
on the dead one and wait for its retry.

Before the fix the woken connection wrote into a closed socket: the message
was deferred (retry after 2 s here, 5 minutes by default), which also made
every benchmark run that followed another within 2 s start a second late."""
import time
import unittest

import pgtest
from poolgate_test.delivery_checks import log_lines
from poolgate_test.mailworld import MailWorld

MX = "203.0.113.25"
DNS = {"mx": [("example.net", 10, "mx1.example.net")],
       "a": [("mx1.example.net", MX), ("example.com", "203.0.113.26")]}


class ConnectionReuse(unittest.TestCase):
    def test_a_connection_the_peer_closed_while_idle_is_not_reused(self):
        mw = MailWorld(pgtest.poolgate(), tag="reuse", dns=DNS, unreachable=[], blackhole=[],
                       peers=[{"name": "mx1", "address": MX, "kind": "scripted",
                               "args": ["--idle-close", "0.3"]}],
                       delivery={"connection_idle_ms": 5000})
        self.addCleanup(mw.close)
        mw.submit("a@example.com", ["first@example.net"], "Subject: 1\r\n\r\none\r\n")
        mw.wait_for(lambda: mw.peer_messages("mx1"), 10, "the first message")
        # The MX hangs up after 0.3 s of silence; poolgate's connection would
        # wait 5 s for more mail.
        mw.wait_for(lambda: any(c.get("closed_with") for c in mw.peer_connections("mx1")), 5,
                    "the MX closing the idle connection")
        started = time.monotonic()
        qid = mw.submit("a@example.com", ["second@example.net"], "Subject: 2\r\n\r\ntwo\r\n")
        mw.wait_for(lambda: len(mw.peer_messages("mx1")) >= 2, 10, "the second message")
        self.assertLess(time.monotonic() - started, 1.5)
        self.assertFalse([l for l in log_lines(mw, qid) if "status=deferred" in l],
                         log_lines(mw, qid))
        self.assertEqual(len(mw.peer_connections("mx1")), 2)


if __name__ == "__main__":
    pgtest.main()

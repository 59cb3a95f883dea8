"""`poolgate queue list|show|delete` on the spool of a running daemon (read-only
view; delete through the daemon's control socket) and of a stopped one."""
import json
import unittest

import pgtest
from poolgate_test.relay import Relay


class QueueCli(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.relay = Relay(pgtest.poolgate(), tag="queue")
        client = cls.relay.smtp()
        for n in range(3):
            client.sendmail(f"q{n}@example.com", ["a@example.org", "b@example.org"],
                            f"Subject: {n}\r\n\r\nbody {n}\r\n")
        client.quit()

    @classmethod
    def tearDownClass(cls):
        cls.relay.close()

    def ids(self):
        return [m["queue_id"] for m in self.relay.queue()]

    def test_list_show_delete_while_running_and_stopped(self):
        queued = self.relay.queue()
        self.assertEqual([m["sender"] for m in queued], ["q0@example.com", "q1@example.com",
                                                         "q2@example.com"])  # arrival order
        table = self.relay.pg("queue", "list").stdout
        self.assertIn("3 messages", table)
        shown = self.relay.pg("queue", "show", queued[1]["queue_id"]).stdout
        self.assertIn("sender:     <q1@example.com>", shown)
        self.assertIn("<b@example.org> queued", shown)
        detail = json.loads(self.relay.pg("queue", "show", queued[1]["queue_id"], "--json").stdout)
        self.assertEqual(detail["size"], len(self.relay.content(queued[1]["queue_id"])))

        # running daemon: delete goes through it
        out = self.relay.pg("queue", "delete", queued[0]["queue_id"]).stdout
        self.assertIn("deleted", out)
        self.assertNotIn(queued[0]["queue_id"], self.ids())
        self.assertIn("deleted by operator", self.relay.log())
        missing = self.relay.pg("queue", "delete", "NOSUCHID", check=False)
        self.assertEqual(missing.returncode, 1)
        self.assertIn("no message NOSUCHID", missing.stderr)
        # the daemon still accepts mail after all that
        client = self.relay.smtp()
        client.sendmail("after@example.com", ["a@example.org"], "Subject: a\r\n\r\na\r\n")
        client.quit()

        # stopped daemon: the CLI opens the spool itself
        self.assertEqual(self.relay.stop(), 0)
        self.relay.pg("queue", "delete", queued[1]["queue_id"])
        self.assertEqual([m["sender"] for m in self.relay.queue()],
                         ["q2@example.com", "after@example.com"])
        self.relay.start()
        self.assertIn("2 unfinished messages", self.relay.log())


if __name__ == "__main__":
    pgtest.main()

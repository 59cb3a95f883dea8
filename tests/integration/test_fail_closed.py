"""Fail closed: when a pool table or its rules disappear while attached, marked
traffic reaches the peer from no other address; the unreachable route/rule or
the tc leak check says why."""
import unittest

import pgtest
from poolgate_test.peer import RecordingServer, connect_and_send
from poolgate_test.world import PEER_V4, PEER_V6, World

PORT = 8026
MARK, ADDRESS, TABLE = 0x200, "203.0.113.66", 200        # high-risk, first address
MARK6, ADDRESS6, TABLE6 = 0x201, "2001:db8:203::66", 201


class FailClosed(unittest.TestCase):
    def setUp(self):
        self.world = World(pgtest.poolgate(), tag="failc")
        self.world.up()
        self.server = RecordingServer(self.world.peer, PEER_V4, PORT)
        self.server6 = RecordingServer(self.world.peer, PEER_V6, PORT)

    def tearDown(self):
        self.server.close()
        self.server6.close()
        self.world.close()

    def assert_nothing_arrives(self, server, mark, target):
        error = connect_and_send(self.world.gw, target, PORT, b"leak?", mark=mark, timeout=1.5)
        self.assertIsNotNone(error, "a marked connection got through")
        self.assertEqual(server.wait_for(1, timeout=0.5), [])
        return error

    def test_table_routes_deleted_hits_unreachable(self):
        self.world.gw.sh("ip", "route", "flush", "table", TABLE)
        self.world.gw.sh("ip", "-6", "route", "flush", "table", TABLE6)
        error = self.assert_nothing_arrives(self.server, MARK, PEER_V4)
        self.assertIn("unreachable", error.lower())
        self.assert_nothing_arrives(self.server6, MARK6, PEER_V6)
        # apply repairs it
        self.world.pg("routes", "apply")
        self.assertIsNone(connect_and_send(self.world.gw, PEER_V4, PORT, b"ok", mark=MARK))
        self.assertEqual(self.server.wait_for(1)[-1][1], ADDRESS)

    def test_lookup_rule_deleted_hits_unreachable_rule(self):
        self.world.gw.sh("ip", "rule", "del", "fwmark", f"{MARK:#x}/0xfff", "lookup", TABLE)
        error = self.assert_nothing_arrives(self.server, MARK, PEER_V4)
        self.assertIn("unreachable", error.lower())

    def test_all_rules_deleted_leak_is_dropped_and_counted(self):
        # Both rules gone: the kernel falls through to main and picks the main
        # source. Only the tc egress check stands between that and the peer.
        for family in ("-4", "-6"):
            rules = self.world.gw.sh("ip", family, "rule", "show").stdout
            for line in rules.splitlines():
                if "fwmark 0x20" in line:
                    prio = line.split(":")[0]
                    self.world.gw.sh("ip", family, "rule", "del", "priority", prio)
        before = self.world.stats()["by_pool"]["high-risk"]["leak_drops"]
        self.assert_nothing_arrives(self.server, MARK, PEER_V4)
        self.assert_nothing_arrives(self.server6, MARK6, PEER_V6)
        after = self.world.stats()["by_pool"]["high-risk"]["leak_drops"]
        self.assertGreaterEqual(after - before, 2)  # at least one SYN per family


if __name__ == "__main__":
    pgtest.main()

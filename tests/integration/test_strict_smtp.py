"""strict_smtp: unmarked TCP to port 25 is dropped and counted; other ports and
marked port-25 traffic pass. Turned off, port 25 passes unmarked."""
import unittest

import pgtest
from poolgate_test.peer import RecordingServer, connect_and_send
from poolgate_test.world import PEER_V4, PEER_V6, World


class StrictSmtp(unittest.TestCase):
    def start(self, strict):
        self.world = World(pgtest.poolgate(), tag="smtp", strict_smtp=strict)
        self.world.up()
        self.servers = {(fam, port): RecordingServer(self.world.peer, addr, port)
                        for fam, addr in (("4", PEER_V4), ("6", PEER_V6)) for port in (25, 80)}

    def tearDown(self):
        for server in self.servers.values():
            server.close()
        self.world.close()

    def test_unmarked_port_25_dropped_port_80_passes(self):
        self.start(strict=True)
        before = self.world.stats()["unmarked_smtp_drops"]
        for fam, target in (("4", PEER_V4), ("6", PEER_V6)):
            self.assertIsNotNone(connect_and_send(self.world.gw, target, 25, b"HELO", timeout=1.5))
            self.assertEqual(self.servers[(fam, 25)].wait_for(1, timeout=0.3), [])
            self.assertIsNone(connect_and_send(self.world.gw, target, 80, b"GET"))
            self.assertEqual(len(self.servers[(fam, 80)].wait_for(1)), 1)
        self.assertGreaterEqual(self.world.stats()["unmarked_smtp_drops"] - before, 2)
        # The relay's own marked connections to port 25 pass.
        self.assertIsNone(connect_and_send(self.world.gw, PEER_V4, 25, b"EHLO", mark=0x100))
        self.assertEqual(self.servers[("4", 25)].wait_for(1)[0][1], "198.51.100.10")

    def test_not_strict_lets_unmarked_port_25_through(self):
        self.start(strict=False)
        self.assertIsNone(connect_and_send(self.world.gw, PEER_V4, 25, b"HELO"))
        self.assertEqual(len(self.servers[("4", 25)].wait_for(1)), 1)
        self.assertEqual(self.world.stats()["unmarked_smtp_drops"], 0)


if __name__ == "__main__":
    pgtest.main()

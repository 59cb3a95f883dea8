"""Each pool address's mark leaves from that address; unmarked traffic leaves from
the main table's source; the per-pool counters move by what was sent."""
import unittest

import pgtest
from poolgate_test.peer import RecordingServer, connect_and_send
from poolgate_test.world import MAIN_V4, MAIN_V6, PEER_V4, PEER_V6, World, pool_marks

PORT = 8025


class EgressPaths(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.world = World(pgtest.poolgate(), tag="egress")
        cls.world.up()
        cls.servers = [RecordingServer(cls.world.peer, PEER_V4, PORT),
                       RecordingServer(cls.world.peer, PEER_V6, PORT)]

    @classmethod
    def tearDownClass(cls):
        for server in cls.servers:
            server.close()
        cls.world.close()

    def server_for(self, address):
        return self.servers[1] if ":" in address else self.servers[0]

    def test_each_pool_address_mark_arrives_from_that_address(self):
        for pool, address, mark, _table in pool_marks():
            with self.subTest(pool=pool, address=address, mark=hex(mark)):
                target = PEER_V6 if ":" in address else PEER_V4
                server = self.server_for(address)
                before = len(server.seen())
                self.assertIsNone(connect_and_send(self.world.gw, target, PORT, b"x", mark=mark))
                seen = server.wait_for(before + 1)
                self.assertEqual(seen[-1][1], address)

    def test_unmarked_connection_uses_main_table_source(self):
        for target, main in [(PEER_V4, MAIN_V4), (PEER_V6, MAIN_V6)]:
            server = self.server_for(target)
            before = len(server.seen())
            self.assertIsNone(connect_and_send(self.world.gw, target, PORT, b"y"))
            self.assertEqual(server.wait_for(before + 1)[-1][1], main)

    def test_counters_move_by_what_was_sent(self):
        payload = b"z" * 200_000
        connections = 3
        before = self.world.stats()["by_pool"]
        for _ in range(connections):
            self.assertIsNone(connect_and_send(self.world.gw, PEER_V4, PORT, payload, mark=0x200))
        after = self.world.stats()["by_pool"]
        hr_before, hr_after = before["high-risk"], after["high-risk"]
        self.assertEqual(hr_after["connections"] - hr_before["connections"], connections)
        sent = hr_after["tx_bytes"] - hr_before["tx_bytes"]
        # Payload plus headers and handshake; far below double.
        self.assertGreaterEqual(sent, connections * len(payload))
        self.assertLess(sent, connections * len(payload) * 1.2)
        # One packet per wire-sized segment: GSO super-packets must count as the
        # segments they become (veth MTU 1500), not as one.
        self.assertGreaterEqual(hr_after["tx_packets"] - hr_before["tx_packets"],
                                connections * len(payload) // 1500)
        self.assertGreater(hr_after["rx_packets"], hr_before["rx_packets"])  # ACKs came back
        self.assertEqual(after["normal"]["connections"], before["normal"]["connections"])
        self.assertEqual(hr_after["leak_drops"], hr_before["leak_drops"])


if __name__ == "__main__":
    pgtest.main()

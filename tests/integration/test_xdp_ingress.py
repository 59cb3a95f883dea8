"""XDP ingress: per-pool and per-address rx counters by destination address, and
new inbound TCP connections (SYN without ACK) to pool addresses dropped and
counted, while the host's own address still accepts connections."""
import unittest

import pgtest
from poolgate_test.peer import RecordingServer, connect_and_send
from poolgate_test.world import MAIN_V4, World

PORT = 8027


class XdpIngress(unittest.TestCase):
    def start(self, block):
        self.world = World(pgtest.poolgate(), tag="xdp", block_inbound_syn=block)
        self.world.up()
        # Listeners on the gateway: any address, so only XDP decides.
        self.gw_server = RecordingServer(self.world.gw, "0.0.0.0", PORT)

    def tearDown(self):
        self.gw_server.close()
        self.world.close()

    def test_inbound_syn_to_pool_address_dropped_and_counted(self):
        self.start(block=True)
        out = self.world.pg("bpf", "attach").stdout
        self.assertIn("generic", out)  # the output says which XDP mode is in use
        before = self.world.stats()
        self.assertIsNotNone(connect_and_send(self.world.peer, "203.0.113.66", PORT, b"x",
                                              timeout=1.5))
        self.assertIsNone(connect_and_send(self.world.peer, MAIN_V4, PORT, b"x"))
        self.assertEqual([c[1] for c in self.gw_server.wait_for(1)], ["198.51.100.254"])
        after = self.world.stats()
        self.assertGreaterEqual(after["inbound_syn_drops"] - before["inbound_syn_drops"], 1)
        hr = after["by_pool"]["high-risk"]
        self.assertGreaterEqual(hr["inbound_syn_drops"]
                                - before["by_pool"]["high-risk"]["inbound_syn_drops"], 1)
        self.assertEqual(after["by_pool"]["normal"]["inbound_syn_drops"], 0)
        # Per address: only the one the peer tried is counted.
        by_address = after["by_address"]
        self.assertGreaterEqual(by_address["203.0.113.66"]["inbound_syn_drops"]
                                - before["by_address"]["203.0.113.66"]["inbound_syn_drops"], 1)
        for address in ("2001:db8:203::66", "198.51.100.10", "198.51.100.11"):
            self.assertEqual(by_address[address]["inbound_syn_drops"], 0, address)

    def test_rx_counted_per_pool_by_destination(self):
        self.start(block=False)
        stats_before = self.world.stats()
        before = stats_before["by_pool"]
        payload = b"r" * 100_000
        self.assertIsNone(connect_and_send(self.world.peer, "198.51.100.11", PORT, payload))
        self.assertEqual(len(self.gw_server.wait_for(1)), 1)
        stats_after = self.world.stats()
        after = stats_after["by_pool"]
        # Per address: the destination's row, not its pool neighbour's.
        rx = {a: (stats_after["by_address"][a]["rx_bytes"]
                  - stats_before["by_address"][a]["rx_bytes"])
              for a in ("198.51.100.11", "198.51.100.10")}
        self.assertGreaterEqual(rx["198.51.100.11"], len(payload))
        self.assertLess(rx["198.51.100.11"], len(payload) * 1.2)
        self.assertEqual(rx["198.51.100.10"], 0)
        normal_rx = after["normal"]["rx_bytes"] - before["normal"]["rx_bytes"]
        self.assertGreaterEqual(normal_rx, len(payload))
        self.assertLess(normal_rx, len(payload) * 1.2)
        self.assertGreater(after["normal"]["rx_packets"], before["normal"]["rx_packets"])
        self.assertEqual(after["high-risk"]["rx_bytes"], before["high-risk"]["rx_bytes"])


if __name__ == "__main__":
    pgtest.main()

"""Each pool address's mark leaves from that address; unmarked traffic leaves from
the main table's source; the per-pool and per-address counters move by what was
sent."""
import ipaddress
import json
import unittest

import pgtest
from poolgate_test.peer import RecordingServer, connect_and_send
from poolgate_test.world import MAIN_V4, MAIN_V6, PEER_V4, PEER_V6, World, pool_marks

PORT = 8025
COUNTERS = ("tx_packets", "tx_bytes", "connections", "leak_drops", "rx_packets", "rx_bytes",
            "inbound_syn_drops")


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

    def bpftool_addr_stats(self):
        """pg1_addr_stats as `bpftool -j map dump` shows it, per-CPU values
        summed: {address text: {counter: n}}."""
        out = self.world.gw.sh("bpftool", "-j", "map", "dump", "pinned",
                               f"{self.world.pin_path}/pg1_addr_stats").stdout
        dump = {}
        for entry in json.loads(out):
            key = entry["formatted"]["key"]
            raw = bytes(key["addr"][:4] if key["family"] == 4 else key["addr"])
            dump[str(ipaddress.ip_address(raw))] = {
                c: sum(v["value"][c] for v in entry["formatted"]["values"]) for c in COUNTERS}
        return dump

    def test_counters_per_source_address(self):
        # Two addresses of one pool, different traffic: each has its own row.
        sends = {"198.51.100.10": (0x100, 2, 150_000), "198.51.100.11": (0x101, 1, 40_000)}
        before = self.world.stats()
        for address, (mark, connections, size) in sends.items():
            for _ in range(connections):
                self.assertIsNone(connect_and_send(self.world.gw, PEER_V4, PORT, b"a" * size,
                                                   mark=mark))
        after = self.world.stats()
        configured = {a for _pool, a, _mark, _table in pool_marks()}
        self.assertEqual(set(after["by_address"]), configured)
        for address, (_mark, connections, size) in sends.items():
            with self.subTest(address=address):
                row, old = after["by_address"][address], before["by_address"][address]
                delta = {c: row[c] - old[c] for c in COUNTERS}
                self.assertEqual(row["pool"], "normal")
                self.assertEqual(delta["connections"], connections)
                self.assertGreaterEqual(delta["tx_bytes"], connections * size)
                self.assertLess(delta["tx_bytes"], connections * size * 1.2)
                self.assertGreaterEqual(delta["tx_packets"], connections * size // 1500)
                self.assertGreater(delta["rx_packets"], 0)  # the peer's ACKs
                self.assertEqual(delta["leak_drops"], 0)
        for address in configured - set(sends):
            for c in ("tx_packets", "tx_bytes", "connections"):
                self.assertEqual(after["by_address"][address][c], before["by_address"][address][c],
                                 f"{address} {c}")
        # Every marked packet is counted on its pool and on its address alike.
        for pool in ("normal", "high-risk"):
            for c in ("tx_packets", "tx_bytes", "connections", "leak_drops"):
                self.assertEqual(after["by_pool"][pool][c],
                                 sum(a[c] for a in after["addresses"] if a["pool"] == pool),
                                 f"{pool} {c}")

        # bpftool reads the same map (named fields from BTF): the same numbers,
        # taken between two equal `poolgate stats` (a stray packet would move one).
        for _ in range(5):
            first = self.world.stats()["by_address"]
            dump = self.bpftool_addr_stats()
            second = self.world.stats()["by_address"]
            if first == second:
                break
        self.assertEqual(first, second, "counters kept moving")
        self.assertEqual(set(dump), configured)
        for address, row in second.items():
            self.assertEqual(dump[address], {c: row[c] for c in COUNTERS}, address)


if __name__ == "__main__":
    pgtest.main()

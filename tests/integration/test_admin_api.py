"""The admin API of a running `poolgate run` (gateway namespace, 127.0.0.1:8025):

    /metrics   parses with Prometheus' text-format parser; per-pool and
               per-address kernel counters, classification by action/pool
               and by reason, delivery outcomes per pool, queue depth per
               (pool, domain), DNS cache, all moving with the mail this test
               sends
    /queue /senders /pools /routes   JSON of the live state, and the CLI
               (`queue list`, `senders list`, `pools`) shows the same
    errors     404 for an unknown path, 405 for another method
"""
import json
import unittest

import pgtest
from poolgate_test.admin_http import admin_json, admin_request, scrape, value
from poolgate_test.delivery_checks import HIGH_RISK_POOL, NORMAL_POOL, messages_to, dsns_to, wait_for
from poolgate_test.mailworld import MailWorld
from poolgate_test.world import POOLS


def body(marker):
    return (f"Subject: {marker}\r\nFrom: <a@example.com>\r\nTo: <x@example.net>\r\n"
            f"Message-ID: <{marker}@client.example.com>\r\n\r\n{marker}\r\n")


class AdminApi(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.mw = MailWorld(pgtest.poolgate(), tag="adm")
        mw = cls.mw
        # Two clean messages (normal pool) and a bounce (high-risk pool).
        mw.submit("a@example.com", ["m1@example.net"], body("m1"))
        mw.submit("a@example.com", ["m2@example.net"], body("m2"))
        mw.submit("", ["m3@example.net"], body("m3"))
        wait_for(lambda: len(messages_to(mw, "m1@example.net") + messages_to(mw, "m2@example.net")
                             + dsns_to(mw, "m3@example.net")) == 3, 20, "three deliveries")

    @classmethod
    def tearDownClass(cls):
        cls.mw.close()

    def test_metrics_parse_and_follow_the_mail(self):
        m = scrape(self.mw.gw)
        # Classification: by action and pool, and by reason.
        self.assertEqual(value(m, "poolgate_classify_decisions", action="accept", pool="normal"), 2)
        self.assertEqual(value(m, "poolgate_classify_decisions", action="accept", pool="high-risk"), 1)
        self.assertEqual(value(m, "poolgate_classify_reasons", reason="ndr:null-sender"), 1)
        self.assertEqual(value(m, "poolgate_classify_reasons", reason="clean"), 2)
        # Delivery outcomes per pool.
        self.assertEqual(value(m, "poolgate_delivery_recipients", pool="normal", outcome="delivered"), 2)
        self.assertEqual(value(m, "poolgate_delivery_recipients", pool="high-risk", outcome="delivered"), 1)
        self.assertEqual(value(m, "poolgate_queue_messages"), 0)
        # The data plane saw it: per-pool counters from the pinned maps.
        self.assertEqual(value(m, "poolgate_kernel_maps_readable"), 1)
        self.assertGreaterEqual(value(m, "poolgate_kernel_pool_connections", pool="normal"), 1)
        self.assertGreaterEqual(value(m, "poolgate_kernel_pool_connections", pool="high-risk"), 1)
        self.assertGreater(value(m, "poolgate_kernel_pool_tx_bytes", pool="normal"), 0)
        self.assertEqual(value(m, "poolgate_kernel_pool_leak_drops", pool="normal"), 0)
        # Per address, labelled with its pool: every pool address has a series,
        # and a pool's addresses add up to the pool.
        for pool in POOLS:
            connections = [value(m, "poolgate_kernel_address_connections", pool=pool["name"],
                                 address=a) for a in pool["addresses"]]
            self.assertNotIn(None, connections, pool["name"])
            self.assertEqual(sum(connections), value(m, "poolgate_kernel_pool_connections",
                                                     pool=pool["name"]), pool["name"])
        self.assertEqual(len(m["poolgate_kernel_address_tx_bytes"]["samples"]),
                         sum(len(p["addresses"]) for p in POOLS))
        self.assertEqual(m["poolgate_kernel_address_tx_packets"]["type"], "counter")
        # The DNS cache answered the sender-domain and MX lookups.
        self.assertGreater(value(m, "poolgate_dns_cache_misses"), 0)
        self.assertGreater(value(m, "poolgate_dns_cache_hits"), 0)
        self.assertEqual(m["poolgate_kernel_pool_tx_packets"]["type"], "counter")
        self.assertEqual(m["poolgate_queue_recipients"]["type"], "gauge")
        self.assertEqual(value(m, "poolgate_limits_reached", limit="external-per-hour"), 0)

    def test_queue_depth_and_queue_view_match_the_cli(self):
        mw = self.mw
        mw.world.pg("queue", "suspend", "example.net")
        self.addCleanup(mw.world.pg, "queue", "resume", "example.net")
        qid = mw.submit("a@example.com", ["held1@example.net", "held2@example.net"], body("held"))
        view = admin_json(mw.gw, "/queue")
        self.assertEqual([e["queue_id"] for e in view], [qid])
        self.assertEqual(view[0]["pool"], "normal")
        m = scrape(mw.gw)
        self.assertEqual(value(m, "poolgate_queue_recipients", pool="normal", domain="example.net"), 2)
        self.assertEqual(value(m, "poolgate_queue_destination_messages", pool="normal",
                               domain="example.net"), 1)
        cli = json.loads(mw.world.pg("queue", "list", "--json").stdout)
        self.assertEqual(cli, view)
        table = mw.world.pg("queue", "list").stdout
        self.assertIn(qid, table)
        self.assertIn("<held2@example.net> queued", table)
        mw.world.pg("queue", "delete", qid)
        self.assertEqual(admin_json(mw.gw, "/queue"), [])

    def test_pools_and_routes_views(self):
        mw = self.mw
        pools = admin_json(mw.gw, "/pools")["pools"]
        by_name = {p["name"]: p for p in pools}
        self.assertEqual({a["address"] for a in by_name["normal"]["addresses"]}, NORMAL_POOL)
        self.assertEqual({a["address"] for a in by_name["high-risk"]["addresses"]}, HIGH_RISK_POOL)
        self.assertEqual(by_name["normal"]["addresses"][0]["fwmark"], 0x100)
        self.assertGreaterEqual(by_name["normal"]["kernel"]["connections"], 1)
        self.assertEqual(json.loads(mw.world.pg("pools", "--json").stdout)["pools"][0]["name"],
                         "normal")
        self.assertIn("198.51.100.10", mw.world.pg("pools").stdout)
        routes = admin_json(mw.gw, "/routes")
        self.assertTrue(routes["in_sync"], routes["report"])
        self.assertTrue(any("no drift" in line for line in routes["report"]), routes["report"])

    def test_senders_view_matches_the_cli(self):
        mw = self.mw
        live = admin_json(mw.gw, "/senders?all=1")
        self.assertIn("a@example.com", [s["sender"] for s in live])
        cli = json.loads(mw.world.pg("senders", "list", "--all", "--json").stdout)
        self.assertEqual([s["sender"] for s in cli], [s["sender"] for s in live])
        self.assertEqual(admin_json(mw.gw, "/senders"), [])  # nobody restricted

    def test_errors(self):
        status, _, text = admin_request(self.mw.gw, "/nope")
        self.assertEqual(status, 404)
        self.assertIn("/metrics", text)
        status, _, _ = admin_request(self.mw.gw, "/metrics", method="POST")
        self.assertEqual(status, 405)
        self.assertEqual(admin_request(self.mw.gw, "/healthz")[0], 200)


if __name__ == "__main__":
    pgtest.main()

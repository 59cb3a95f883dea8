"""The operator-facing commands in a gateway namespace: check-config exit codes
and messages against a real host (one pass, a warning summary, --strict),
global options after the subcommand, usage errors (64), stats reading the
config's pin path, routes apply/show/flush leaving the host as it was, stats
without pins, and bpftool reading the pinned maps with named fields."""
import json
import re
import unittest

import pgtest
from poolgate_test.world import RELAY_HOSTNAME, World


class Cli(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.world = World(pgtest.poolgate(), tag="cli")

    @classmethod
    def tearDownClass(cls):
        cls.world.close()

    def tearDown(self):
        self.world.write_config()
        self.world.pg("routes", "flush")

    def edit_config(self, old, new):
        with open(self.world.config) as f:
            text = f.read()
        self.assertIn(old, text)
        with open(self.world.config, "w") as f:
            f.write(text.replace(old, new))

    def host_state(self):
        gw = self.world.gw
        return "".join(gw.sh(*cmd).stdout for cmd in (
            ["ip", "-4", "rule"], ["ip", "-6", "rule"],
            ["ip", "-4", "route", "show", "table", "all"],
            ["ip", "-6", "route", "show", "table", "all"]))

    def test_check_config_valid_on_this_host(self):
        result = self.world.pg("check-config", check=False)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertNotIn("warning", result.stderr)

    def test_check_config_syntax_error_exit_2_with_file_and_line(self):
        self.edit_config("rule_priority = 10000", "rule_priority = = 10000")
        result = self.world.pg("check-config", check=False)
        self.assertEqual(result.returncode, 2)
        self.assertRegex(result.stderr, re.escape(self.world.config) + r":3: \(syntax\): ")

    def test_check_config_warns_on_non_local_address(self):
        self.edit_config('"203.0.113.66"', '"203.0.113.67"')
        result = self.world.pg("check-config", check=False)
        self.assertEqual(result.returncode, 0)
        self.assertRegex(result.stderr, r":\d+: warning: pool\[1\]\.addresses\[0\]: .*203\.0\.113\.67")

    def test_check_config_rejects_collision_with_existing_rule(self):
        self.world.gw.sh("ip", "rule", "add", "priority", "10003", "lookup", "main")
        try:
            result = self.world.pg("check-config", check=False)
            self.assertEqual(result.returncode, 2)
            self.assertRegex(result.stderr, r":3: routing\.rule_priority: .*10003")
        finally:
            self.world.gw.sh("ip", "rule", "del", "priority", "10003")

    def test_check_config_reports_config_and_host_findings_in_one_pass(self):
        self.edit_config("fwmark_mask = 0x0fff", "fwmark_mask = 0")
        self.edit_config('"203.0.113.66"', '"203.0.113.67"')
        result = self.world.pg("check-config", check=False)
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertRegex(result.stderr, r":\d+: routing\.fwmark_mask: must not be 0")
        # The host's findings in the same run, in the summary at the end.
        self.assertRegex(result.stderr, r"(?m)^1 warning:\n.*: warning: pool\[1\]\.addresses\[0\]: "
                                        r".*203\.0\.113\.67")
        self.assertRegex(result.stderr, r"is invalid: \d+ errors, 1 warning\n$")

    def test_check_config_strict_fails_on_warnings(self):
        self.edit_config('interfaces = ["eth0"]', 'interfaces = ["eth0", "nosuch0"]')
        plain = self.world.pg("check-config", check=False)
        self.assertEqual(plain.returncode, 0, plain.stderr)
        self.assertRegex(plain.stderr, r"(?m)^1 warning:\n.*: warning: kernel\.interfaces: "
                                       r"interface nosuch0 does not exist")
        self.assertIn("ok (2 pools, 1 warning)", plain.stdout)
        strict = self.world.pg("check-config", "--strict", check=False)
        self.assertEqual(strict.returncode, 1, strict.stderr)
        self.assertIn("--strict does not allow", strict.stderr)

    def test_check_config_warns_on_unqualified_relay_hostname(self):
        # Receivers see relay.hostname (greeting, EHLO, Received:): the default
        # "localhost" or a bare name is a warning, and --strict fails on it.
        fqdn = f'hostname = "{RELAY_HOSTNAME}"'
        for name in ("localhost", "mailhost"):
            with self.subTest(hostname=name):
                self.world.write_config()
                self.edit_config(fqdn, f'hostname = "{name}"')
                plain = self.world.pg("check-config", check=False)
                self.assertEqual(plain.returncode, 0, plain.stderr)
                self.assertRegex(plain.stderr, rf"(?m)^1 warning:\n.*:\d+: warning: relay\.hostname: "
                                               rf"'{name}' is not a fully-qualified domain name")
                self.assertIn("ok (2 pools, 1 warning)", plain.stdout)
                strict = self.world.pg("check-config", "--strict", check=False)
                self.assertEqual(strict.returncode, 1, strict.stderr)
                self.assertIn("--strict does not allow", strict.stderr)
        # Not written at all: the default, "localhost".
        self.world.write_config()
        self.edit_config(fqdn, "")
        default = self.world.pg("check-config", check=False)
        self.assertRegex(default.stderr, r"warning: relay\.hostname: 'localhost' is not")
        # A fully-qualified name: no warning, and --strict passes.
        self.world.write_config()
        strict = self.world.pg("check-config", "--strict", check=False)
        self.assertEqual(strict.returncode, 0, strict.stderr)
        self.assertNotIn("relay.hostname", strict.stderr)

    def test_config_option_after_the_subcommand(self):
        pg = pgtest.poolgate()
        for args in (["check-config", "--config", self.world.config],
                     ["check-config", "--no-host", "-c", self.world.config],
                     ["routes", "show", "--config", self.world.config]):
            with self.subTest(args=args):
                result = self.world.gw.sh(pg, *args, check=False)
                self.assertIn(result.returncode, (0, 3), result.stderr)
                self.assertNotIn("not expected", result.stderr)

    def test_usage_errors_exit_64(self):
        pg = pgtest.poolgate()
        for args in ([], ["check-config", "--bogus"], ["no-such-command"],
                     ["queue", "show"], ["--config", self.world.config, "classify"]):
            with self.subTest(args=args):
                result = self.world.gw.sh(pg, *args, check=False)
                self.assertEqual(result.returncode, 64, result.stderr)

    def test_stats_takes_the_pin_path_from_the_config(self):
        result = self.world.pg("stats", check=False)  # no pins yet: says where it looked
        self.assertEqual(result.returncode, 1)
        self.assertIn(f"pinned at {self.world.pin_path}", result.stderr)
        other = self.world.pg("stats", "--pin-path", "/sys/fs/bpf/pgtest-elsewhere", check=False)
        self.assertIn("pinned at /sys/fs/bpf/pgtest-elsewhere", other.stderr)

    def test_routes_apply_twice_same_state_and_flush_restores(self):
        before = self.host_state()
        self.world.pg("routes", "apply")
        once = self.host_state()
        self.assertNotEqual(before, once)
        second = self.world.pg("routes", "apply").stdout
        self.assertRegex(second, r"added 0, removed 0")
        self.assertEqual(once, self.host_state())
        self.assertEqual(self.world.pg("routes", "show", check=False).returncode, 0)
        self.world.gw.sh("ip", "route", "flush", "table", "100")
        drift = self.world.pg("routes", "show", check=False)
        self.assertEqual(drift.returncode, 3, drift.stdout)
        self.world.pg("routes", "flush")
        self.assertEqual(before, self.host_state())

    def test_stats_without_pins_is_a_clear_error(self):
        result = self.world.gw.sh(pgtest.poolgate(), "stats", "--pin-path",
                                  "/sys/fs/bpf/pgtest-none-here", check=False)
        self.assertEqual(result.returncode, 1)
        self.assertIn("poolgate bpf attach", result.stderr)

    def test_bpftool_dump_shows_named_fields(self):
        self.world.pg("bpf", "attach")
        try:
            pin = self.world.pin_path
            names = self.world.gw.sh("bpftool", "map", "dump", "pinned", f"{pin}/pg1_pool_names").stdout
            self.assertRegex(names, r'"name": "normal"')
            self.assertRegex(names, r'"name": "high-risk"')
            stats = self.world.gw.sh("bpftool", "-j", "map", "dump", "pinned",
                                     f"{pin}/pg1_pool_stats").stdout
            entry = json.loads(stats)[0]
            fields = entry["formatted"]["values"][0]["value"]
            for field in ("tx_packets", "tx_bytes", "connections", "leak_drops",
                          "rx_packets", "rx_bytes"):
                self.assertIn(field, fields)
            marks = self.world.gw.sh("bpftool", "map", "dump", "pinned", f"{pin}/pg1_marks").stdout
            self.assertRegex(marks, r'"pool_id": 1')
        finally:
            self.world.pg("bpf", "detach")


if __name__ == "__main__":
    pgtest.main()

"""A self-contained world in network namespaces: a gateway host that owns the
pool addresses and a peer host ("the internet") behind a veth pair.

    gw netns                                   peer netns
    eth0: 198.51.100.1/32  (main source)       eth0: 198.51.100.254/32, 2001:db8:ffff::254/128
          198.51.100.10, .11 (normal pool)     lo:   203.0.113.25/32, 2001:db8:25::25/128
          203.0.113.66     (high-risk pool)          (the servers tests connect to)
          2001:db8:1::1 (main), 2001:db8:100::10, 2001:db8:203::66
    default via 198.51.100.254 / 2001:db8:ffff::254

All addresses are /32 and /128 so nothing is on-link by subnet: every packet to
the peer takes the default route, whose copy in each pool table carries that
pool address as source. Names and the pin path are unique per World, so tests
run in parallel; close() removes everything, and runs at exit and on SIGTERM.
"""
import atexit
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import uuid

from .netns import NetNs, run

MAIN_V4, MAIN_V6 = "198.51.100.1", "2001:db8:1::1"
GATEWAY_V4, GATEWAY_V6 = "198.51.100.254", "2001:db8:ffff::254"
PEER_V4, PEER_V6 = "203.0.113.25", "2001:db8:25::25"
RELAY_HOSTNAME = "relay.example.com"

POOLS = [
    {"name": "normal", "fwmark": 0x100, "table": 100, "ehlo": "mail.example.com",
     "addresses": ["198.51.100.10", "198.51.100.11", "2001:db8:100::10"]},
    {"name": "high-risk", "fwmark": 0x200, "table": 200, "ehlo": "bulk.example.com",
     "addresses": ["203.0.113.66", "2001:db8:203::66"]},
]


def pool_marks():
    """[(pool name, address, fwmark, table)] for every pool address."""
    return [(p["name"], a, p["fwmark"] + i, p["table"] + i)
            for p in POOLS for i, a in enumerate(p["addresses"])]


def _toml_list(values):
    return "[" + ", ".join(f'"{v}"' for v in values) + "]"


class World:
    def __init__(self, poolgate, tag="t", strict_smtp=True, block_inbound_syn=True,
                 pools=POOLS, extra=""):
        self.poolgate = poolgate
        self.id = f"{tag}-{uuid.uuid4().hex[:6]}"
        self.pin_path = f"/sys/fs/bpf/pgtest-{self.id}"
        self.dir = tempfile.mkdtemp(prefix=f"pgtest-{self.id}-")
        self.config = os.path.join(self.dir, "poolgate.toml")
        self.gw = self.peer = None
        self._closed = False
        atexit.register(self.close)
        signal.signal(signal.SIGTERM, lambda *_: (self.close(), os._exit(143)))
        try:
            self._build()
            self.write_config(strict_smtp, block_inbound_syn, pools, extra)
        except BaseException:
            self.close()
            raise

    def _build(self):
        self.gw = NetNs(f"pg-{self.id}-gw")
        self.peer = NetNs(f"pg-{self.id}-peer")
        run(["ip", "link", "add", "eth0", "netns", self.gw.name, "type", "veth",
             "peer", "name", "eth0", "netns", self.peer.name])
        gw, peer = self.gw, self.peer
        for addr in [MAIN_V4] + [a for p in POOLS for a in p["addresses"] if ":" not in a]:
            gw.sh("ip", "addr", "add", f"{addr}/32", "dev", "eth0")
        for addr in [MAIN_V6] + [a for p in POOLS for a in p["addresses"] if ":" in a]:
            gw.sh("ip", "addr", "add", f"{addr}/128", "dev", "eth0", "nodad")
        gw.sh("ip", "link", "set", "eth0", "up")
        gw.sh("ip", "route", "add", f"{GATEWAY_V4}/32", "dev", "eth0", "scope", "link")
        gw.sh("ip", "route", "add", "default", "via", GATEWAY_V4, "dev", "eth0", "src", MAIN_V4)
        gw.sh("ip", "-6", "route", "add", f"{GATEWAY_V6}/128", "dev", "eth0")
        gw.sh("ip", "-6", "route", "add", "default", "via", GATEWAY_V6, "dev", "eth0",
              "src", MAIN_V6)

        peer.sh("ip", "addr", "add", f"{GATEWAY_V4}/32", "dev", "eth0")
        peer.sh("ip", "addr", "add", f"{GATEWAY_V6}/128", "dev", "eth0", "nodad")
        peer.sh("ip", "addr", "add", f"{PEER_V4}/32", "dev", "lo")
        peer.sh("ip", "addr", "add", f"{PEER_V6}/128", "dev", "lo", "nodad")
        peer.sh("ip", "link", "set", "eth0", "up")
        peer.sh("ip", "route", "add", "default", "dev", "eth0", "scope", "link")
        peer.sh("ip", "-6", "route", "add", "default", "dev", "eth0")

    def write_config(self, strict_smtp=True, block_inbound_syn=True, pools=POOLS, extra=""):
        """Writes this world's poolgate.toml; `extra` is appended (more sections)."""
        lines = ["[routing]", "fwmark_mask = 0x0fff", "rule_priority = 10000",
                 'mirror_table = "main"', "", "[kernel]", 'interfaces = ["eth0"]',
                 f'pin_path = "{self.pin_path}"',
                 f"strict_smtp = {str(strict_smtp).lower()}",
                 f"block_inbound_syn = {str(block_inbound_syn).lower()}",
                 # veth native XDP needs a program on the peer too; generic is what
                 # these tests measure (the product default is "auto").
                 'xdp_mode = "generic"', ""]
        for p in pools:
            lines += ["[[pool]]", f'name = "{p["name"]}"', f'fwmark = {p["fwmark"]:#x}',
                      f'table = {p["table"]}', f'ehlo = "{p["ehlo"]}"',
                      f"addresses = {_toml_list(p['addresses'])}"]
            if "weights" in p:  # share of new connections per address (delivery)
                lines.append(f"weights = [{', '.join(str(w) for w in p['weights'])}]")
            lines.append("")
        if not re.search(r"(?m)^\[relay\]", extra):
            # The relay's name, as an operator sets it (check-config warns on the
            # default "localhost"); a caller's [relay] (relay_section) has its own.
            lines += ["[relay]", f'hostname = "{RELAY_HOSTNAME}"', ""]
        with open(self.config, "w") as f:
            f.write("\n".join(lines) + "\n" + extra)

    def pg(self, *args, check=True, input=None):
        """Runs `poolgate ARGS --config <this world's config>` in the gateway;
        `input` (text) is its stdin."""
        return self.gw.sh(self.poolgate, "--config", self.config, *args, check=check,
                          input=input)

    def up(self):
        """Policy routing and the BPF data plane, as an operator would set them up."""
        self.pg("routes", "apply")
        self.pg("bpf", "attach")

    def stats(self):
        out = self.gw.sh(self.poolgate, "stats", "--pin-path", self.pin_path, "--json").stdout
        data = json.loads(out)
        data["by_pool"] = {p["name"]: p for p in data["pools"]}
        data["by_address"] = {a["address"]: a for a in data.get("addresses", [])}
        return data

    def close(self):
        if self._closed:
            return
        self._closed = True
        if self.gw:
            self.gw.sh(self.poolgate, "--config", self.config, "bpf", "detach", check=False)
            self.gw.close()
        if self.peer:
            self.peer.close()
        # Pins outlive namespaces; detach removes them, this is the safety net.
        shutil.rmtree(self.pin_path, ignore_errors=True)
        shutil.rmtree(self.dir, ignore_errors=True)


def parse_args():
    import argparse
    parser = argparse.ArgumentParser()
    parser.add_argument("--poolgate", required=True)
    args, rest = parser.parse_known_args()
    return args, rest

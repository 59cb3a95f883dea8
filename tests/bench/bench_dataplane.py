"""Data-plane cost: TCP throughput and packets per second over the veth pair of a
namespace world, with poolgate's tc egress + XDP ingress programs attached
against without them, alternating in the same run; policy routing is applied
in both, so the BPF programs are the only difference. Prints medians and
ratios. Latency: round-trip time of marked pings (PINGS at PING_INTERVAL_S)
from the gateway to the peer, so each echo passes tc egress and each reply
(to the pool address) XDP ingress. Bounded: ROUNDS x (2 states) x (3 x SECONDS
+ PINGS x PING_INTERVAL_S)."""
import argparse
import os
import re
import statistics
import subprocess
import time

from bench_support import add_json_arg, write_json
from poolgate_test.world import PEER_V4, World

ROUNDS, SECONDS = 3, 3.0
PINGS, PING_INTERVAL_S = 300, 0.002
MARK = 0x100                       # first normal-pool address, 198.51.100.10


def parse(line):
    return {k: float(v) for k, v in (f.split("=") for f in line.split())}


def measure(world, blast, sender_ns, sink_ns, target, kind):
    """Runs one sink/sender pair; returns bits/s (tcp) or packets/s (udp)."""
    port = 9100 if kind == "tcp" else 9101
    sink = sink_ns.popen(blast, f"{kind}-sink", port, SECONDS + 1.5,
                         stdout=subprocess.PIPE, text=True)
    time.sleep(0.3)  # the sink is listening before the sender starts
    args = [blast, f"{kind}-send", target, port, MARK if sender_ns is world.gw else 0, SECONDS]
    if kind == "udp":
        args.append(64)
    sender_ns.sh(*args, timeout=SECONDS + 10)
    out, _ = sink.communicate(timeout=SECONDS + 10)
    result = parse(out.strip())
    if kind == "tcp":
        return result["bytes"] * 8 / SECONDS
    return result["packets"] / result["seconds"] if result["seconds"] else 0.0


def ping_rtt_us(world):
    """Average round-trip time (us) of PINGS marked pings from the gateway to the peer."""
    out = world.gw.sh("ping", "-q", "-n", "-c", PINGS, "-i", PING_INTERVAL_S, "-m", MARK,
                      "-W", 1, PEER_V4, timeout=PINGS * PING_INTERVAL_S + 30).stdout
    found = re.search(r"= [\d.]+/([\d.]+)/", out)
    if not found:
        raise RuntimeError(f"no rtt in ping output: {out!r}")
    return float(found.group(1)) * 1000


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--poolgate", required=True)
    parser.add_argument("--blast", required=True)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    add_json_arg(parser)
    args = parser.parse_args()
    world = World(os.path.abspath(args.poolgate), tag="bench", strict_smtp=True,
                  block_inbound_syn=True)
    samples = {(state, test): [] for state in ("off", "on")
               for test in ("tcp", "udp-egress", "udp-ingress", "rtt")}
    try:
        world.pg("routes", "apply")
        for _ in range(args.rounds):
            for state in ("off", "on"):
                world.pg("bpf", "attach" if state == "on" else "detach")
                samples[(state, "tcp")].append(
                    measure(world, args.blast, world.gw, world.peer, PEER_V4, "tcp"))
                samples[(state, "udp-egress")].append(
                    measure(world, args.blast, world.gw, world.peer, PEER_V4, "udp"))
                # peer -> a pool address: every packet passes the XDP program.
                samples[(state, "udp-ingress")].append(
                    measure(world, args.blast, world.peer, world.gw, "198.51.100.10", "udp"))
                samples[(state, "rtt")].append(ping_rtt_us(world))
    finally:
        world.close()

    print(f"\nData plane cost (veth pair between namespaces, {os.cpu_count()} CPUs, "
          f"{args.rounds} rounds x {SECONDS:.0f}s, {PINGS} pings, medians)")
    print(f"{'measurement':<34}{'without BPF':>14}{'with BPF':>14}{'with/without':>14}")
    rows = [("tcp", "TCP throughput, marked (Gbit/s)", 1e9, 3),
            ("udp-egress", "UDP 64B egress, tc (Mpps)", 1e6, 3),
            ("udp-ingress", "UDP 64B ingress, XDP gen. (Mpps)", 1e6, 3),
            ("rtt", "ping RTT, marked, tc+XDP (us)", 1, 0)]
    results = []
    for key, label, unit, digits in rows:
        off = statistics.median(samples[("off", key)]) / unit
        on = statistics.median(samples[("on", key)]) / unit
        print(f"{label:<34}{off:>14.{digits}f}{on:>14.{digits}f}{on / off:>14.3f}")
        results.append({"key": key, "label": label, "without": off, "with": on})
    write_json(args.json, "dataplane", {"rounds": args.rounds, "seconds": SECONDS,
                                        "pings": PINGS, "rows": results})


if __name__ == "__main__":
    main()

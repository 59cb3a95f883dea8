"""The one table `make bench` ends with, built from the results every bench left
in a directory (bench.sh passes each one `--json DIR/NAME.json`; the
classification cost is classify_cost's stdout in DIR/classify.txt). A bench
without results (it failed or was interrupted) gets a line saying so.

Usage: bench_summary.py DIR [--load-at-start "1.0 0.8 0.5"]
"""
import argparse
import json
import os
import re
import sys

LABEL, UNIT, NUM = 38, 11, 13
BENCHES = ("dataplane", "acceptance", "classify", "relay_e2e", "queue_memory")


def load(directory, name):
    try:
        if name == "classify":
            with open(os.path.join(directory, "classify.txt")) as f:
                found = re.search(r"(\d+) messages in [\d.]+ s = ([\d.]+) us/message", f.read())
            return {"messages": int(found.group(1)), "us": float(found.group(2))} if found else None
        with open(os.path.join(directory, f"{name}.json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def num(value, digits):
    return f"{value:>{NUM}.{digits}f}" if value is not None else f"{'n/a':>{NUM}}"


def ratio(a, b):
    return a / b if a is not None and b else None


def row(label, unit, *cells, note=""):
    """One line: label, unit, then (value, digits) cells (None prints n/a)."""
    print(f"{label:<{LABEL}}{unit:<{UNIT}}{''.join(num(v, d) for v, d in cells)}  {note}".rstrip())


def header(*columns):
    print(f"{'':<{LABEL + UNIT}}" + "".join(f"{c:>{NUM}}" for c in columns))


def compare_rows(label, case, note=""):
    """msg/s and CPU ms/msg of poolgate against Postfix for one case."""
    pg, pf = case["poolgate_msg_s"], case["postfix_msg_s"]
    row(label, "msg/s", (pg, 0), (pf, 0), (ratio(pg, pf), 2), note=note)
    pg, pf = case["poolgate_cpu_ms"], case["postfix_cpu_ms"]
    row("", "CPU ms/msg", (pg, 2), (pf, 2), (ratio(pg, pf), 2))


def missing(name):
    print(f"{name}: no results (the bench failed or was interrupted; see its output above)")


def summarize(directory, load_at_start):
    res = {name: load(directory, name) for name in BENCHES}
    postfix = next((r["postfix"] for r in (res["acceptance"], res["relay_e2e"]) if r), "?")
    print("\n" + "=" * 100)
    print(f"poolgate bench summary: {os.cpu_count()} CPUs, Postfix {postfix}, load average at "
          f"start {load_at_start or '?'} (1/5/15 min), now "
          + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    print("=" * 100)

    header("poolgate", "Postfix", "pg/Postfix")
    acc = res["acceptance"]
    if acc:
        for case in acc["cases"]:
            mode = "new conn." if case["mode"] == "new connection" else "same conn."
            compare_rows(f"acceptance {case['size']}, {mode}", case,
                         f"{acc['sessions']} sessions, {case['messages']} msgs")
    else:
        missing("acceptance")
    e2e = res["relay_e2e"]
    if e2e:
        for case in e2e["cases"]:
            compare_rows(f"end-to-end relay {case['size']}", case,
                         f"{e2e['sessions']} sessions, {case['messages']} msgs")
        if e2e.get("poolgate_unavailable"):
            print(f"  poolgate not available end to end: {e2e['poolgate_unavailable']}")
    else:
        missing("end-to-end relay")

    header("without BPF", "with BPF", "with/without")
    dp = res["dataplane"]
    if dp:
        units = {"tcp": ("data plane TCP, marked", "Gbit/s", 2),
                 "udp-egress": ("data plane UDP 64 B egress (tc)", "Mpps", 3),
                 "udp-ingress": ("data plane UDP 64 B ingress (XDP)", "Mpps", 3),
                 "rtt": ("data plane ping RTT, marked", "us", 0)}
        for r in dp["rows"]:
            label, unit, digits = units.get(r["key"], (r["label"], "", 3))
            row(label, unit, (r["without"], digits), (r["with"], digits),
                (ratio(r["with"], r["without"]), 3))
    else:
        missing("data plane")

    header("poolgate")
    cl = res["classify"]
    if cl:
        row("classification cost", "us/msg", (cl["us"], 2),
            note="warm DNS cache, no scanner; target < 20")
    else:
        missing("classification cost")
    qm = res["queue_memory"]
    if qm:
        n = qm["messages"]
        row("memory per queued message", "bytes", (qm["bytes_per_message"], 0),
            note=f"VmRSS {qm['rss_before_kb'] / 1024:.0f} -> {qm['rss_after_kb'] / 1024:.0f} MB "
                 f"with {n} queued (next hop unreachable)")
        if "queue_bytes_per_message" in qm:
            row("  of which the queue itself", "bytes", (qm["queue_bytes_per_message"], 0),
                note=f"without RocksDB memtables/cache ({qm['rocksdb_growth_bytes'] / 1e6:.0f} MB, "
                     f"a bounded budget)")
        row("spool on disk per queued message", "bytes", (qm["spool_disk_bytes"] / n, 0),
            note=f"allocated; {qm['spool_apparent_bytes'] / n:.0f} apparent; "
                 f"{qm['spool_disk_bytes'] / 1e6:.0f} MB in all")
        row(f"acceptance while queueing {n}", "msg/s", (qm["accept_msg_s"], 0),
            note=f"{qm['size']} B, {qm['sessions']} sessions -d; "
                 f"CPU {qm['accept_cpu_ms']:.2f} ms/msg")
    else:
        missing("memory per queued message")
    if acc:
        row(f"RSS with {acc['idle_sessions']} idle sessions", "MB",
            (acc["rss_idle_sessions_mb"], 1), note=f"peak {acc['rss_busy_hwm_mb']:.1f} MB with them all sending")
    print("=" * 100)
    finished = [f"{name} {res[name]['load_average'][0]:.2f}" for name in BENCHES
                if res[name] and "load_average" in res[name]]
    if finished:
        print("load average (1 min) as each bench finished: " + ", ".join(finished))
    print("ratios: pg/Postfix above 1 is faster for msg/s, cheaper below 1 for CPU ms/msg; "
          "with/without BPF is the data plane's cost")
    return 0 if all(res.values()) else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory")
    parser.add_argument("--load-at-start", default="")
    args = parser.parse_args()
    return summarize(args.directory, args.load_at_start)


if __name__ == "__main__":
    sys.exit(main())

"""`make demo`: the embedded default world, end to end.

A gateway namespace with poolgate's normal and high-risk pools, a simulated
internet (DNS, the recipients' MX hosts), spamd; poolgate run classifies a
realistic mixed workload (poolgate_test/demo_workload.py) and delivers it through policy
routing and its eBPF programs. Printed: the operator's view of routing, the
workload, a table of message / pool / reasons / the source address each
recipient's MX saw, the kernel's per-pool counters (`poolgate stats`,
`bpftool map dump`); then everything is torn down and checked gone.

Exit 0 only when every row is as expected and nothing is left behind: the
demo is a smoke test too (tests/integration/test_demo.py asserts the same
rows in more detail).
"""
import argparse
import json
import os
import sys
import time

from poolgate_test import demo_workload as wl
from poolgate_test.demo_world import DemoRun, Terminated
from poolgate_test.world import POOLS, pool_marks


def step(title):
    print(f"\n=== {title}\n", flush=True)


def show(ns, *cmd, note=""):
    """Prints the command as an operator types it, then its real output."""
    print(f"$ {' '.join(map(str, cmd))}{note}")
    result = ns.sh(*cmd, check=False)
    print((result.stdout + result.stderr).rstrip() or "(no output)")
    print()
    return result


def table(headers, rows):
    """Aligned, colourless; a cell may hold several lines (a list)."""
    cells = [[c if isinstance(c, list) else [str(c)] for c in row] for row in rows]
    widths = [max([len(h)] + [len(line) for row in cells for line in row[i]])
              for i, h in enumerate(headers)]
    fmt = lambda parts: "  ".join(p.ljust(w) for p, w in zip(parts, widths)).rstrip()  # noqa
    out = [fmt(headers), fmt(["-" * w for w in widths])]
    for row in cells:
        for n in range(max(len(c) for c in row)):
            out.append(fmt([c[n] if n < len(c) else "" for c in row]))
    return "\n".join(out)


def print_world(run):
    world = run.mw.world
    pools = "\n".join(f"      {p['name']:<10} {', '.join(p['addresses'])} "
                      f"(fwmark {p['fwmark']:#x}+, table {p['table']}+)" for p in POOLS)
    print(f"""  gateway  ({world.gw.name})
      poolgate run   127.0.0.1:2525 (submission from internal servers), spool, admin API
      spamd          127.0.0.1:{wl.SPAMD_PORT}
      pools:
{pools}
  internet ({world.peer.name})
      DNS            203.0.113.53 (dnsmasq)""")
    for spec in wl.PEERS:
        domain = spec["name"].split(".", 1)[1]
        print(f"      {spec['name']:<19} {spec['address']:<16} MX of {domain}")
    print("      ghost.example       (no A, no MX: NXDOMAIN)")


def print_config(run):
    """The sections of the generated poolgate.toml this workload exercises."""
    keep, out = False, []
    with open(run.mw.world.config) as f:
        for line in f:
            if line.startswith("["):
                keep = line.strip() in ("[classify]", "[limits]", "[spam]")
            if keep and line.strip():
                out.append("  " + line.rstrip())
    print("\n".join(out))
    print(f"\n$ poolgate --config {run.mw.world.config} check-config")
    print(run.pg("check-config").stdout.rstrip())


def print_workload(run, rows):
    print(table(["#", "queue id", "envelope (MAIL FROM -> RCPT TO)", "subject"],
                [[n, r.qid or "-", f"<{r.sender}> -> <{r.rcpt}>", r.item.subject]
                 for n, r in enumerate(rows, 1) if r.item]))


def print_results(rows):
    body = []
    for n, r in enumerate(rows, 1):
        body.append([n, r.label, r.pool or "?", (r.reasons or "?").split(", "), r.mx,
                     r.source or "-", r.outcome, "ok" if r.ok else "FAIL"])
    print(table(["#", "message", "pool", "reasons", "recipient's MX",
                 "source the MX saw", "result", "check"], body))
    print("""
  pool and reasons: `classified pool=... reasons=...` in poolgate's log (the same as
  the X-Poolgate-Classification header each MX received); the DSN's from `queue show`.
  check: pool and first reason as expected, and the source is an address of that pool.""")


def print_kernel(run):
    world = run.mw.world
    show(world.gw, world.poolgate, "stats", "--pin-path", world.pin_path)
    pins = f"{world.pin_path}/pg1_pool_stats"
    print(f"$ bpftool map dump pinned {pins}")
    dump = world.gw.sh("bpftool", "map", "dump", "pinned", pins).stdout
    names = run.pool_ids()
    print(dump_of_pools(dump, names))
    problems = []
    stats, seen = world.stats()["by_pool"], run.bpftool_pools()
    for pool in ("normal", "high-risk"):
        p = stats.get(pool, {})
        if not p.get("connections"):
            problems.append(f"kernel: no connections counted for {pool}")
        if p.get("leak_drops"):
            problems.append(f"kernel: {p['leak_drops']} leak drops for {pool}")
        if seen.get(pool, {}).get("connections") != p.get("connections"):
            problems.append(f"kernel: bpftool and poolgate stats differ for {pool}")
    return problems


def dump_of_pools(dump, names):
    """bpftool's dump of the per-CPU array, verbatim up to the first unused
    pool id; the rest (every slot all zero, checked) summed up in one line."""
    entries, used = json.loads(dump), len(names)
    unused = entries[used:]
    zero = all(not any(v["value"].values()) for e in unused for v in e["values"])
    lines = dump.rstrip().splitlines()
    cut = next((i for i, line in enumerate(lines) if f'"key": {used},' in line), len(lines))
    ids = ", ".join(f"{i} = {n}" for i, n in sorted(names.items()))
    if not unused:
        return "\n".join(lines)
    return ("\n".join(lines[:cut]) +
            f"\n    ...  keys {used}-{len(entries) - 1}: unused pool ids, every value "
            f"{'all zero' if zero else 'NOT all zero'} ({len(lines) - cut} lines left out)\n"
            f"(key = pool id, from pg1_pool_names: {ids}; one value per CPU)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--poolgate", required=True)
    poolgate = os.path.abspath(parser.parse_args().poolgate)
    started = time.monotonic()
    run = DemoRun(poolgate, say=lambda text: print(f"  {text}", flush=True))
    rows, problems, exit_code = [], [], 1
    try:
        step("1. the world: a gateway host and a simulated internet, in network namespaces")
        run.start()
        print()
        print_world(run)
        gw = run.mw.gw

        step("2. poolgate's configuration (generated; the sections this workload exercises)")
        print_config(run)

        step("3. policy routing, set up by poolgate run (in the gateway namespace)")
        show(gw, "ip", "rule", "show")
        show(gw, "ip", "-6", "rule", "show")
        for pool, address, mark, table_id in pool_marks():
            if address in ("198.51.100.10", "203.0.113.66", "2001:db8:203::66"):
                family = ["-6"] if ":" in address else []
                show(gw, "ip", *family, "route", "show", "table", table_id,
                     note=f"   # {pool} pool, {address} (fwmark {mark:#x})")

        step("4. the workload: mail from internal servers into poolgate (SMTP, port 2525)")
        rows = run.run()
        print()
        print_workload(run, rows)

        step("5. poolgate's own bounce (DSN), waiting while example.com was suspended")
        print(f"$ poolgate queue show {rows[-1].qid}")
        print((run.dsn_show or "(not queued)").rstrip())

        step("6. what happened to each message")
        print_results(rows)
        problems += [f"row {n} ({r.label}): {p}" for n, r in enumerate(rows, 1)
                     for p in r.problems] + run.problems

        step("7. the kernel's per-pool counters")
        problems += print_kernel(run)
    except (Exception, KeyboardInterrupt, Terminated) as e:  # reported; the world still goes
        stopped = {Terminated: ("terminated (SIGTERM)", 143),
                   KeyboardInterrupt: ("interrupted (Ctrl-C)", 130)}.get(type(e))
        problems.append(stopped[0] if stopped else f"{type(e).__name__}: {e}")
        exit_code = stopped[1] if stopped else 1
        if run.mw and run.mw.relay:
            print("\n--- poolgate log (last 40 lines)\n" +
                  "\n".join(run.mw.relay_log().splitlines()[-40:]))
    finally:
        step("8. teardown")
        run.close()
    left = run.leftovers()
    if run.mw is None:
        print("  the world was not complete: its constructor removed what it had made")
    else:
        print("  namespaces, routes, BPF programs and pins, spool, dnsmasq, MX peers, spamd, "
              "poolgate: " + ("all removed" if not left else "LEFT BEHIND: " + ", ".join(left)))
    problems += [f"left behind: {x}" for x in left]

    elapsed = time.monotonic() - started
    if problems:
        print(f"\ndemo FAILED ({len(problems)} problems, {elapsed:.0f} s):")
        print("\n".join(f"  - {p}" for p in problems))
        return exit_code
    print(f"\ndemo ok: {len(rows)} rows as expected, nothing left behind ({elapsed:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

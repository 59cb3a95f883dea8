"""Memory per queued message: poolgate's RSS growth with 100,000 messages queued
for a destination that cannot be reached, and the spool's size on disk.

    gw netns (MailWorld: routes + tc/XDP)              peer netns
      smtp-source -s 20 -d --> poolgate 127.0.0.1:2525   dnsmasq 203.0.113.53:
      admin API 127.0.0.1:8025 (/metrics)                  MX example.net -> mx.down.example
                                                           A  mx.down.example -> 203.0.113.27
                                                         203.0.113.27: `unreachable` route

Every recipient's first attempt fails at once (ICMP unreachable from the peer)
and is deferred for a day (retry_intervals_s), so the queue just sits. The
sender domain (example.com) exists and [limits] are off, so the classifier
lets every message through to the normal pool. VmRSS of `poolgate run` is read
from /proc before the load and once /metrics says all N messages are queued
and none is waiting for its first attempt; reported: (after - before) / N
bytes per message, the spool's size on disk per message, and the acceptance
rate and CPU per message of the load itself.

Bounded: N messages (--messages, default 100,000), the submission aborted after
--cap seconds (600), the wait for the queue after that capped too (300 s).
Everything (namespaces, pins, processes, the world's temp directory with the
spool) is removed at the end, also on errors and SIGTERM.

Usage: bench_queue_memory.py --poolgate build/poolgate [--messages N] [--json FILE]
"""
import argparse
import os
import signal
import subprocess
import sys
import time

from bench_support import (STARTED, BenchError, TICKS, add_json_arg,
                           check_poolgate_arg, cpu_ticks, ensure_postfix, make_log,
                           raise_nofile, raise_on_signals, read_status, smtp_source_cmd,
                           write_json, NO_LIMITS, run_guarded)
from bench_e2e_support import close_mail_world
from poolgate_test.admin_http import scrape, value
from poolgate_test.mailworld import MailWorld
from poolgate_test.relay import RELAY_PORT

MESSAGES, SESSIONS, SIZE = 100_000, 20, 1024
SUBMIT_CAP_S, SETTLE_CAP_S = 600, 300
DOWN_V4 = "203.0.113.27"
DNS = {"mx": [("example.net", 10, "mx.down.example"), ("example.com", 10, "mx.down.example")],
       "a": [("mx.down.example", DOWN_V4)]}
# First attempt at once, the next a day later: long after the bench is over.
DELIVERY = {"retry_intervals_s": [86400], "max_lifetime_s": 432000, "delay_warning_s": 0,
            "connect_timeout_s": 5}
log = make_log("bench-queue-memory")


def queue_gauges(mw):
    """{"messages", "ready", "deferred", "held", "rocksdb"} from the admin API's
    /metrics; rocksdb: bytes in the spool's memtables and block cache."""
    families = scrape(mw.gw)
    names = {"messages": "poolgate_queue_messages", "ready": "poolgate_queue_ready_jobs",
             "deferred": "poolgate_queue_deferred_jobs", "held": "poolgate_queue_held_for_dns",
             "memtables": "poolgate_spool_memtable_bytes",
             "block_cache": "poolgate_spool_block_cache_bytes"}
    return {key: int(value(families, name) or 0) for key, name in names.items()}


def spool_bytes(path):
    """(bytes allocated on disk, apparent bytes) of every file under path."""
    disk = apparent = 0
    for dirpath, _, files in os.walk(path):
        for name in files:
            try:
                st = os.lstat(os.path.join(dirpath, name))
            except OSError:
                continue
            disk += st.st_blocks * 512
            apparent += st.st_size
    return disk, apparent


def submit(mw, pid, count, cap):
    """smtp-source: `count` messages over SESSIONS connections, many per connection
    (-d); logs the queue's growth; returns (seconds, poolgate CPU ticks)."""
    cmd = smtp_source_cmd(mw.gw.path, RELAY_PORT, SESSIONS, count, SIZE, ["-d"])
    ticks = cpu_ticks(pid)
    start = time.monotonic()
    source = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              preexec_fn=raise_nofile)
    try:
        next_report = start + 10
        while source.poll() is None:
            now = time.monotonic()
            if now > start + cap:
                raise BenchError(f"smtp-source did not finish {count} messages within {cap} s "
                                 f"({queue_gauges(mw)['messages']} queued)")
            if now >= next_report:
                log(f"{queue_gauges(mw)['messages']} messages queued")
                next_report += 10
            time.sleep(0.1)
        elapsed = time.monotonic() - start
    finally:
        if source.poll() is None:
            source.kill()
        out, _ = source.communicate(timeout=30)
    if source.returncode != 0:
        raise BenchError(f"smtp-source exited {source.returncode}: {out.strip()[-500:]}")
    return elapsed, cpu_ticks(pid) - ticks


def wait_settled(mw, count, cap):
    """Polls /metrics until `count` messages are queued and no job is still due
    for its first attempt; returns (gauges, settled?)."""
    deadline = time.monotonic() + cap
    while True:
        gauges = queue_gauges(mw)
        if gauges["messages"] > count:
            raise BenchError(f"sent {count} messages, the queue has {gauges}")
        if gauges["messages"] == count and gauges["ready"] == 0 and gauges["held"] == 0:
            return gauges, True
        if time.monotonic() > deadline:
            if gauges["messages"] < count:
                raise BenchError(f"sent {count} messages, {cap} s later the queue has {gauges}")
            return gauges, False
        time.sleep(0.5)


def run_bench(mw, count, cap):
    pid = mw.relay.process.pid  # nsenter execs poolgate: the same pid
    admin_deadline = time.monotonic() + 15
    while True:  # the admin API answers
        try:
            gauges = queue_gauges(mw)
            break
        except OSError:
            if time.monotonic() > admin_deadline:
                raise BenchError("the admin API did not answer on 127.0.0.1:8025 in 15 s")
            time.sleep(0.2)
    if gauges["messages"]:
        raise BenchError(f"the queue is not empty at the start: {gauges}")
    time.sleep(1)
    before = read_status(pid)
    rocksdb_before = gauges["memtables"] + gauges["block_cache"]
    log(f"poolgate pid {pid}: VmRSS {before['VmRSS'] / 1024:.1f} MB before; submitting "
        f"{count} messages of {SIZE} bytes over {SESSIONS} sessions")
    seconds, ticks = submit(mw, pid, count, cap)
    log(f"smtp-source done in {seconds:.1f} s ({count / seconds:.0f} msg/s); waiting for the "
        f"queue to settle")
    gauges, settled = wait_settled(mw, count, SETTLE_CAP_S)
    time.sleep(2)
    if not mw.relay.alive():
        raise BenchError("poolgate died:\n" + mw.relay_log()[-2000:])
    after = read_status(pid)
    rocksdb_after = sum(queue_gauges(mw)[k] for k in ("memtables", "block_cache"))
    disk, apparent = spool_bytes(mw.relay.spool)
    rss_growth = (after["VmRSS"] - before["VmRSS"]) * 1024
    return {"messages": count, "size": SIZE, "sessions": SESSIONS,
            "rss_before_kb": before["VmRSS"], "rss_after_kb": after["VmRSS"],
            "rss_anon_before_kb": before["RssAnon"], "rss_anon_after_kb": after["RssAnon"],
            "hwm_kb": after["VmHWM"],
            "bytes_per_message": rss_growth / count,
            # RocksDB's memtables are a bounded budget (spool_db.cpp), not a
            # per-message cost: without them, what the queue itself holds.
            "rocksdb_growth_bytes": rocksdb_after - rocksdb_before,
            "queue_bytes_per_message": (rss_growth - (rocksdb_after - rocksdb_before)) / count,
            "spool_disk_bytes": disk, "spool_apparent_bytes": apparent,
            "accept_msg_s": count / seconds, "accept_cpu_ms": ticks * 1000 / TICKS / count,
            "queue": gauges, "settled": settled}


def report(r):
    n = r["messages"]
    print(f"\nMemory per queued message ({n} messages of {r['size']} bytes, smtp-source "
          f"{r['sessions']} sessions -d, next hop unreachable, retry in a day; "
          f"{os.cpu_count()} CPUs)")
    print(f"poolgate VmRSS: {r['rss_before_kb'] / 1024:.1f} MB before, "
          f"{r['rss_after_kb'] / 1024:.1f} MB with {n} queued (RssAnon "
          f"{r['rss_anon_before_kb'] / 1024:.1f} -> {r['rss_anon_after_kb'] / 1024:.1f} MB; "
          f"VmHWM {r['hwm_kb'] / 1024:.1f} MB)")
    print(f"memory per queued message: {r['bytes_per_message']:.0f} bytes of RSS, of which "
          f"{r['rocksdb_growth_bytes'] / n:.0f} RocksDB memtables/cache (a bounded budget); "
          f"the queue itself: {r['queue_bytes_per_message']:.0f} bytes per message")
    print(f"spool on disk: {r['spool_disk_bytes'] / 1e6:.1f} MB allocated "
          f"({r['spool_apparent_bytes'] / 1e6:.1f} MB apparent) = "
          f"{r['spool_disk_bytes'] / n:.0f} bytes per message")
    print(f"acceptance during the load: {r['accept_msg_s']:.0f} msg/s, poolgate CPU "
          f"{r['accept_cpu_ms']:.2f} ms/msg")
    q = r["queue"]
    print(f"queue at the end (/metrics): {q['messages']} messages, {q['deferred']} deferred "
          f"jobs, {q['ready']} ready, {q['held']} held for DNS"
          + ("" if r["settled"] else f" (first attempts still running after {SETTLE_CAP_S} s)"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--poolgate", required=True)
    parser.add_argument("--messages", type=int, default=MESSAGES)
    parser.add_argument("--cap", type=float, default=SUBMIT_CAP_S,
                        help="abort the submission after this many seconds")
    add_json_arg(parser)
    args = parser.parse_args()
    poolgate = check_poolgate_arg(parser, args.poolgate, "network namespaces, BPF")
    if args.messages < SESSIONS:
        parser.error(f"--messages: at least {SESSIONS}")
    ensure_postfix()  # for smtp-source; never replaces the host's MTA
    raise_on_signals()
    world = []

    def body():
        world.append(MailWorld(poolgate, tag="qmem", dns=DNS, peers=[], unreachable=[DOWN_V4],
                               blackhole=[], delivery=DELIVERY, limits=NO_LIMITS,
                               relay_overrides={"max_connections": 1000}))
        raise_on_signals()  # MailWorld installed its own SIGTERM handler
        return run_bench(world[0], args.messages, args.cap)

    def cleanup():
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)  # finish cleaning up whatever comes
        if world:
            log("stopping poolgate, removing the world and its spool")
            close_mail_world(world[0])
    failed, result = run_guarded(log, body, cleanup)
    if failed:
        return failed
    report(result)
    write_json(args.json, "queue_memory", result)
    log(f"done in {time.monotonic() - STARTED:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

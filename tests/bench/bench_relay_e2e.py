"""End-to-end relay throughput: smtp-source -> relay -> MX lookup -> smtp-sink,
through the kernel data plane, for poolgate and for Postfix in the same run.

    gw netns (MailWorld, routes + tc/XDP attached)       peer netns
      smtp-source -s 10 --> poolgate 127.0.0.1:2525 --+   dnsmasq 203.0.113.53
                        --> Postfix  127.0.0.1:2526 --+-> smtp-sink 203.0.113.25:25
                                                          (MX example.net -> mx1)

Both relays resolve MX example.net and A mx1.example.net in the same dnsmasq
and deliver over the same veth through poolgate's tc egress and XDP ingress
programs (strict_smtp is off in this world so Postfix's unmarked connections
pass; poolgate's are marked and routed through the pool tables). Postfix is a
private 3.7 instance with default settings for delivery (concurrency 20 per
destination, connection cache on demand, fsync), in its own directory under
/var/tmp; bench_e2e_support.py says how it gets the world's DNS.

A run: a fresh smtp-sink, smtp-source sends N messages of one size to
rcpt@example.net over 10 sessions, and the clock stops when the sink has
counted all N (rate = N / (last delivery - start of smtp-source)). Then the
relay's queue must drain. Each run is capped (120 s); counts are bounded.

Until the delivery engine is in `poolgate run`, poolgate is reported as "not
available" with the reason (its config keys are rejected, or a probe message
is not delivered within 15 s) and only the Postfix half runs; exit 0.
Exit 1 when the benchmark itself fails (a relay loses or duplicates messages,
misses the cap, crashes); missing the 2x goal is reported, not an error.

Usage: bench_relay_e2e.py --poolgate build/poolgate [--rounds N] [--messages N]
"""
import argparse
import os
import signal
import subprocess
import sys
import time

from bench_support import (BenchError, TICKS, process_tree_ticks,
                           cpu_ticks, ensure_postfix, raise_nofile, median,
                           smtp_source_cmd, check_poolgate_arg, raise_on_signals, add_json_arg,
                           write_json, make_log, STARTED, NO_LIMITS, run_guarded)
from bench_e2e_support import POSTFIX_PORT, Sink, close_mail_world, postfix_relay
from poolgate_test.mailworld import EngineMissing, MailWorld
from poolgate_test.postfix import postfix_version
from poolgate_test.relay import RELAY_PORT

SIZES = [("2 KB", 2048), ("50 KB", 51200)]
MESSAGES, SESSIONS, RUN_CAP_S, PROBE_S, RATIO_GOAL = 2000, 10, 120, 15, 2.0
# example.com is smtp-source's sender domain: it exists (an MX), so poolgate's
# classifier sends the load through the normal pool as it would real mail.
DNS = {"mx": [("example.net", 10, "mx1.example.net"), ("example.com", 10, "mx1.example.net")],
       "a": [("mx1.example.net", "203.0.113.25")]}
log = make_log("bench-e2e")


class Bench:
    def __init__(self, poolgate, sessions, cap, on_signal):
        self.poolgate, self.sessions, self.cap = poolgate, sessions, cap
        self.on_signal = on_signal
        self.mw = self.postfix = self.sink = self.source = None
        self.runs = 0

    def setup(self):
        self.mw = MailWorld(self.poolgate, tag="e2e", dns=DNS, peers=[], unreachable=[],
                            blackhole=[], strict_smtp=False, relay=False, limits=NO_LIMITS,
                            relay_overrides={"max_connections": 1000})
        # MailWorld's SIGTERM handler closes the world and exits; ours raises, so
        # that cleanup() stops Postfix too.
        signal.signal(signal.SIGTERM, self.on_signal)
        self.postfix = postfix_relay(self.mw.gw)
        self.postfix.start()
        seen = self.postfix.resolv_seen_by_master()
        if "203.0.113.53" not in seen:
            raise BenchError(f"postfix does not see the world's resolv.conf: {seen!r}")
        log(f"postfix {postfix_version()} up in {self.mw.gw.name}, resolv.conf -> 203.0.113.53")

    # --- poolgate ------------------------------------------------------------
    def start_poolgate(self):
        """None when poolgate delivers, else why it is not available."""
        try:
            self.mw.start_relay()
        except EngineMissing as e:
            # "FILE:LINE: delivery: unknown key" -> "delivery: unknown key"
            problems = sorted({line.split(": ", 1)[-1] for line in str(e).splitlines()[1:]
                               if line.strip()})
            return "engine missing: check-config says " + "; ".join(problems)
        self.new_sink()
        self.mw.submit("probe@example.com", ["probe@example.net"], "Subject: probe\r\n\r\nprobe\r\n")
        got, _ = self.sink.wait(1, time.monotonic() + PROBE_S)
        if got < 1:
            self.mw.relay.stop()
            return (f"engine missing: a probe message was accepted but not delivered within "
                    f"{PROBE_S} s")
        self.drain("poolgate", 30)
        return None

    def poolgate_cpu(self):
        return cpu_ticks(self.mw.relay.process.pid)

    # --- postfix ---------------------------------------------------------------
    def postfix_cpu(self):
        return process_tree_ticks(self.postfix.master_pid())

    # --- runs ------------------------------------------------------------------
    def new_sink(self):
        if self.sink:
            self.sink.close()
        self.runs += 1
        self.sink = Sink(self.mw.peer, self.mw.world.dir, self.runs)

    def drain(self, server, timeout):
        """Waits for the relay's queue to empty; BenchError if it does not."""
        if server == "postfix":
            counts = self.postfix.wait_empty(timeout)
            left = sum(counts.values())
        else:
            deadline = time.monotonic() + timeout
            while (left := len(self.mw.queue_ids())) and time.monotonic() < deadline:
                time.sleep(0.2)
        if left:
            tail = self.postfix.log_tail() if server == "postfix" else self.mw.relay_log()[-3000:]
            raise BenchError(f"{server}: {left} messages still queued {timeout} s after the "
                             f"run:\n{tail}")

    def check_alive(self, server):
        if server == "postfix":
            self.postfix.check_alive()
        elif not self.mw.relay.alive():
            raise BenchError("poolgate died:\n" + self.mw.relay_log()[-2000:])

    def measure(self, server, size, count):
        """Returns (messages/s end to end, relay CPU ms/msg)."""
        port = RELAY_PORT if server == "poolgate" else POSTFIX_PORT
        cpu = self.poolgate_cpu if server == "poolgate" else self.postfix_cpu
        self.new_sink()
        cpu_before = cpu()
        start = time.monotonic()
        self.source = subprocess.Popen(
            smtp_source_cmd(self.mw.gw.path, port, self.sessions, count, size),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, preexec_fn=raise_nofile)
        got, done = self.sink.wait(count, start + self.cap)
        try:
            out, _ = self.source.communicate(timeout=max(5, start + self.cap - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.source.kill()
            out, _ = self.source.communicate()
        code, self.source = self.source.returncode, None
        self.check_alive(server)
        if code != 0:
            raise BenchError(f"smtp-source into {server} exited {code}: {out.strip()[-500:]}")
        if got < count:
            raise BenchError(f"{server}: {got}/{count} messages at the sink after the "
                             f"{self.cap} s cap")
        self.drain(server, 30)
        ms_per_msg = (cpu() - cpu_before) * 1000 / TICKS / count
        time.sleep(0.2)
        if self.sink.messages() != count:
            raise BenchError(f"{server}: sent {count}, the sink counted {self.sink.messages()}")
        return count / (done - start), ms_per_msg

    # --- cleanup ---------------------------------------------------------------
    def cleanup(self):
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)  # finish cleaning up whatever comes
        if self.source and self.source.poll() is None:
            self.source.kill()
            self.source.wait(10)
        for what in (self.sink, self.postfix):
            try:
                if what:
                    what.close()
            except Exception as e:  # noqa: BLE001 - cleanup goes on
                log(f"cleanup: {e}")
        if self.mw:
            close_mail_world(self.mw)


def run_bench(bench, args, rates, cpus):
    """Fills rates/cpus {(size label, server): [...]}; returns why poolgate is
    unavailable (None when it ran)."""
    bench.setup()
    log("warm-up: postfix")
    bench.measure("postfix", 2048, 2 * args.sessions)
    unavailable = bench.start_poolgate()
    servers = ["poolgate", "postfix"] if unavailable is None else ["postfix"]
    log(f"poolgate: {unavailable or 'delivers (probe message arrived)'}")
    if unavailable is None:
        bench.measure("poolgate", 2048, 2 * args.sessions)
    for r in range(args.rounds):
        order = servers if r % 2 == 0 else servers[::-1]
        for label, size in SIZES:
            for server in order:
                rate, cpu = bench.measure(server, size, args.messages)
                rates[(label, server)].append(rate)
                cpus[(label, server)].append(cpu)
                log(f"round {r + 1}/{args.rounds} {label:>5} {server:<8} {args.messages} msgs: "
                    f"{rate:6.0f} msg/s end to end, relay CPU {cpu:.2f} ms/msg")
    pools = bench.mw.world.stats()["by_pool"]
    log("through the data plane: " + ", ".join(
        f"{name} pool {p['connections']} connections, {p['tx_bytes'] / 1e6:.1f} MB out, "
        f"{p['leak_drops']} leak drops" for name, p in pools.items()))
    return unavailable


def report(args, rates, cpus, unavailable):
    print(f"\nEnd-to-end relay throughput (smtp-source -> relay -> MX lookup -> smtp-sink over "
          f"veth with tc/XDP; {args.sessions} sessions, {args.messages} messages per run, "
          f"{args.rounds} round(s), medians; {os.cpu_count()} CPUs; "
          f"Postfix {postfix_version()})")
    print(f"{'size':<7}{'poolgate msg/s':>16}{'postfix msg/s':>15}{'ratio':>8}"
          f"{'CPU ms/msg: poolgate':>23}{'postfix':>9}")
    ratios, rows = [], []
    for label, _ in SIZES:
        pf, pf_cpu = median(rates[(label, "postfix")]), median(cpus[(label, "postfix")])
        pg, pg_cpu = median(rates[(label, "poolgate")]), median(cpus[(label, "poolgate")])
        rows.append({"size": label, "messages": args.messages, "poolgate_msg_s": pg,
                     "postfix_msg_s": pf, "poolgate_cpu_ms": pg_cpu, "postfix_cpu_ms": pf_cpu})
        if unavailable is None:
            ratios.append(pg / pf)
            print(f"{label:<7}{pg:>16.0f}{pf:>15.0f}{pg / pf:>8.2f}{pg_cpu:>23.2f}{pf_cpu:>9.2f}")
        else:
            print(f"{label:<7}{'n/a':>16}{pf:>15.0f}{'n/a':>8}{'n/a':>23}{pf_cpu:>9.2f}")
    if unavailable:
        print(f"poolgate: not available ({unavailable})")
        print(f"goal >= {RATIO_GOAL:.0f}x Postfix end to end: NOT MEASURED")
    else:
        met = all(r >= RATIO_GOAL for r in ratios)
        print(f"goal >= {RATIO_GOAL:.0f}x Postfix end to end: {'MET' if met else 'NOT MET'} "
              f"(ratios {', '.join(f'{r:.2f}' for r in ratios)})")
    load = os.getloadavg()[0]
    if load > 0.5 * os.cpu_count():
        print(f"note: load average {load:.1f} on {os.cpu_count()} CPUs: other work competes; "
              f"the CPU ms/msg columns are less load-sensitive")
    write_json(args.json, "relay_e2e", {
        "sessions": args.sessions, "rounds": args.rounds, "postfix": postfix_version(),
        "poolgate_unavailable": unavailable, "cases": rows})


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--poolgate", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--messages", type=int, default=MESSAGES)
    parser.add_argument("--sessions", type=int, default=SESSIONS)
    parser.add_argument("--cap", type=float, default=RUN_CAP_S, help="seconds per run")
    add_json_arg(parser)
    args = parser.parse_args()
    poolgate = check_poolgate_arg(parser, args.poolgate, "network namespaces, BPF, a private "
                                  "Postfix")
    ensure_postfix()  # never replaces the host's MTA (it refuses instead)

    rates = {(label, s): [] for label, _ in SIZES for s in ("poolgate", "postfix")}
    cpus = {key: [] for key in rates}
    bench = Bench(poolgate, args.sessions, args.cap, None)

    def body():
        bench.on_signal = raise_on_signals()
        return run_bench(bench, args, rates, cpus)
    failed, unavailable = run_guarded(log, body, bench.cleanup)
    if failed:
        return failed
    report(args, rates, cpus, unavailable)
    log(f"done in {time.monotonic() - STARTED:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Acceptance throughput: messages per second until `250 ... queued`, with
durability, from Postfix's smtp-source at 20 concurrent sessions, for 2 KB and
50 KB messages, against poolgate and against a private Postfix instance in the
same run, both with their queues on the same disk (Postfix keeps its default
fsync of each queue file before smtpd answers 250; poolgate answers after its
group commit's fdatasync). Postfix puts every message on hold (no delivery
attempts), so only acceptance is measured. poolgate's sender limits are off
(one sender sends thousands a minute), as in the other benches. Runs alternate between the two
servers (ABBA order across rounds), each from an empty queue, and the queue of
each afterwards must hold exactly the messages sent. Beside messages/s it
prints each server's CPU time per message (all of Postfix's processes), which
other load on the machine disturbs less. Also measures poolgate's RSS with
1,000 open idle sessions (the goal), and its peak with 1,000 sessions sending
at once (informational).

Everything runs on loopback inside a private network namespace; all processes,
the namespace and the temp directory are removed at the end, also on errors and
SIGTERM. Bounded: fixed message counts, and every step has a timeout.

Goals (issue): at least 2x Postfix's acceptance rate; RSS under 100 MB at 1,000
sessions. Missing a goal is reported, not an error; the exit status is non-zero
only when the benchmark itself fails (wrong replies, lost messages, a crash).

Usage: bench_acceptance.py --poolgate build/poolgate [--rounds N] [--scale F]
"""
import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

from bench_support import (
    BenchError, log, run_guarded, run, raise_nofile, helper_wait_port, helper_hold, ensure_postfix,
    POSTFIX_MAIN, cpu_ticks, process_tree_ticks, read_status, open_tcp_sessions,
    read_line_with_timeout, REPO, POOLGATE_PORT, POSTFIX_PORT, SESSIONS,
    IDLE_SESSIONS, RSS_GOAL_MB, RATIO_GOAL, CASES, BUSY_SIZE, BUSY_MESSAGES, TICKS,
    smtp_source_cmd, check_poolgate_arg, raise_on_signals, add_json_arg, write_json, NO_LIMITS)
from poolgate_test.postfix import PrivatePostfix, postfix_version


def replace_table(src, name, body):
    """src (TOML) with table [name]'s contents replaced by body."""
    start = re.search(rf"^\[{name}\]\s*$", src, re.M)
    if not start:
        raise BenchError(f"config/poolgate.toml has no [{name}] table")
    following = re.compile(r"^\s*\[", re.M).search(src, start.end())
    end = following.start() if following else len(src)
    return src[:start.start()] + f"[{name}]\n{body}\n" + src[end:]


class Bench:
    def __init__(self, poolgate):
        self.poolgate = poolgate
        self.ns = f"pgbench-{os.getpid()}"
        self.ns_created = False
        self.tmp = None
        self.pg = None            # the running poolgate Popen
        self.pg_log = None
        self.pg_starts = 0
        self.peak_hwm_kb = 0      # the largest VmHWM of any poolgate run so far
        self.helpers = []
        self.postfix = None       # the private Postfix instance, a PrivatePostfix

    # --- namespace ----------------------------------------------------------
    def setup(self):
        run(["ip", "netns", "add", self.ns])
        self.ns_created = True
        run(["ip", "netns", "exec", self.ns, "ip", "link", "set", "lo", "up"])
        # Same disk as a production spool would be on (Postfix's queue too).
        self.tmp = tempfile.mkdtemp(prefix="pgbench-", dir="/var/tmp")
        self.spool = os.path.join(self.tmp, "pg-spool")
        self.pg_config = os.path.join(self.tmp, "poolgate.toml")
        self.write_poolgate_config()
        self.postfix = PrivatePostfix(f"/run/netns/{self.ns}", f"127.0.0.1:{POSTFIX_PORT}",
                                      POSTFIX_MAIN, prefix="pgbench-postfix-")

    def nsenter(self):
        return ["nsenter", f"--net=/run/netns/{self.ns}"]

    def wait_port(self, port, timeout=20):
        result = run(self.nsenter() + [sys.executable, os.path.abspath(__file__),
                                       "--helper-wait-port", port, "--timeout", timeout],
                     timeout=timeout + 10, check=False)
        if result.returncode != 0:
            raise BenchError(f"server on port {port} did not come up: {result.stderr.strip()}")

    # --- poolgate ------------------------------------------------------------
    def write_poolgate_config(self):
        with open(os.path.join(REPO, "config", "poolgate.toml")) as f:
            src = f.read()
        # Keep every other table ([routing], [kernel], the required pools, ...);
        # replace [relay] and [limits] (each ends at the next table header).
        # Every session comes from 127.0.0.1: no per-client cap below the total.
        relay = (f'hostname = "relay.example.com"\n'
                 f'listen = ["127.0.0.1:{POOLGATE_PORT}"]\n'
                 f'client_networks = ["127.0.0.0/8"]\n'
                 f'max_connections = {2 * IDLE_SESSIONS}\n'
                 f'max_connections_per_client = 0\n'
                 f'spool = "{self.spool}"\n')
        src = replace_table(src, "relay", relay)
        src = replace_table(src, "limits", "".join(f"{k} = {v}\n" for k, v in NO_LIMITS.items()))
        with open(self.pg_config, "w") as f:
            f.write(src)

    def start_poolgate(self):
        self.pg_starts += 1
        self.pg_log_path = os.path.join(self.tmp, f"poolgate-{self.pg_starts}.log")
        self.pg_log = open(self.pg_log_path, "w")
        # nsenter (without --fork) execs poolgate: the Popen pid is poolgate's. This
        # namespace has only lo: no routes or BPF to set up (acceptance only).
        self.pg = subprocess.Popen(self.nsenter() + [self.poolgate, "--config", self.pg_config,
                                                     "run", "--no-kernel-setup"],
                                   stdout=self.pg_log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, preexec_fn=raise_nofile)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.pg.poll() is not None:
                raise BenchError(f"poolgate exited {self.pg.returncode} at start:\n"
                                 + self.pg_log_tail())
            with open(self.pg_log_path) as f:
                if "listening on" in f.read():
                    break
            time.sleep(0.05)
        else:
            raise BenchError("poolgate did not start listening within 20s:\n" + self.pg_log_tail())
        self.wait_port(POOLGATE_PORT)

    def pg_log_tail(self, lines=20):
        try:
            with open(self.pg_log_path) as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""

    def check_poolgate_alive(self):
        if self.pg is None or self.pg.poll() is not None:
            raise BenchError(f"poolgate died (exit {self.pg.returncode if self.pg else '?'}):\n"
                             + self.pg_log_tail())

    def stop_poolgate(self, timeout=30, check=True):
        """SIGTERM, and (with check) fails unless poolgate exits 0 in time."""
        if self.pg is None:
            return
        was_running = self.pg.poll() is None
        if was_running:
            try:
                self.peak_hwm_kb = max(self.peak_hwm_kb, read_status(self.pg.pid)["VmHWM"])
            except (OSError, KeyError):
                pass
            self.pg.send_signal(signal.SIGTERM)
            try:
                self.pg.wait(timeout)
            except subprocess.TimeoutExpired:
                log(f"poolgate (pid {self.pg.pid}) ignored SIGTERM for {timeout}s; killing it")
                self.pg.kill()
                self.pg.wait(10)
        code = self.pg.returncode
        self.pg = None
        self.pg_log.close()
        if check and code != 0:
            what = "on SIGTERM" if was_running else "before it was stopped"
            raise BenchError(f"poolgate exited {code} {what}:\n" + self.pg_log_tail())

    def reset_poolgate(self):
        self.stop_poolgate()
        shutil.rmtree(self.spool, ignore_errors=True)
        self.start_poolgate()

    def poolgate_queue_count(self):
        out = run([self.poolgate, "--config", self.pg_config, "queue", "list", "--json"],
                  timeout=120).stdout
        return len(json.loads(out))

    def poolgate_log_problems(self):
        with open(self.pg_log_path) as f:
            # Without a data plane (--no-kernel-setup) /metrics has no kernel counters.
            return [l.rstrip() for l in f if re.search(r" (warning|error|critical):", l)
                    and "metrics: no kernel counters" not in l]

    # --- postfix -------------------------------------------------------------
    def reset_postfix(self):
        # Every accepted message sits in the hold queue, which no Postfix daemon
        # scans or keeps state about, so between runs (no session open) its
        # files can go directly. `postsuper -d ALL` does the same one file at a
        # time, and on a filesystem mounted with `discard` each unlink can wait
        # milliseconds for the device (4 to 18 s per run here, more than the
        # runs themselves); many unlinks in parallel overlap those waits.
        counts = self.postfix.queue_counts()
        elsewhere = {name: n for name, n in counts.items() if name != "hold" and n}
        if elsewhere:
            raise BenchError(f"postfix has messages outside the hold queue: {elsewhere}")
        paths = [os.path.join(dirpath, name) for dirpath, _, files in
                 os.walk(os.path.join(self.postfix.queue, "hold")) for name in files]
        with ThreadPoolExecutor(32) as pool:
            list(pool.map(os.unlink, paths))

    # --- measurements ----------------------------------------------------------
    def smtp_source(self, port, size, flags, count, sessions=SESSIONS):
        cmd = smtp_source_cmd(f"/run/netns/{self.ns}", port, sessions, count, size, flags,
                              helo="client.example.net", rcpt="rcpt@example.org")
        start = time.monotonic()
        result = run(cmd, timeout=300, check=False, preexec_fn=raise_nofile)
        elapsed = time.monotonic() - start
        if result.returncode != 0:
            raise BenchError(f"smtp-source against port {port} failed (exit "
                             f"{result.returncode}): {result.stdout}{result.stderr}")
        return elapsed

    def measure_poolgate(self, size, flags, count):
        """Returns (messages/s, poolgate CPU ms per message)."""
        self.reset_poolgate()
        before = cpu_ticks(self.pg.pid)
        elapsed = self.smtp_source(POOLGATE_PORT, size, flags, count)
        self.check_poolgate_alive()
        cpu = cpu_ticks(self.pg.pid) - before
        queued = self.poolgate_queue_count()
        if queued != count:
            raise BenchError(f"poolgate: sent {count} messages, {queued} in its queue:\n"
                             + self.pg_log_tail())
        problems = self.poolgate_log_problems()
        if problems:
            log(f"poolgate logged {len(problems)} warnings/errors, first: {problems[0]}")
        return count / elapsed, cpu * 1000 / TICKS / count

    def postfix_cpu_ticks(self):
        return process_tree_ticks(self.postfix.master_pid())

    def measure_postfix(self, size, flags, count):
        """Returns (messages/s, CPU ms per message of all Postfix processes)."""
        self.reset_postfix()
        before = self.postfix_cpu_ticks()
        elapsed = self.smtp_source(POSTFIX_PORT, size, flags, count)
        self.postfix.check_alive()
        cpu = self.postfix_cpu_ticks() - before
        counts = self.postfix.queue_counts()
        if counts["hold"] != count or sum(counts.values()) != count:
            raise BenchError(f"postfix: sent {count} messages, its queue has {counts}:\n"
                             + self.postfix.log_tail())
        return count / elapsed, cpu * 1000 / TICKS / count

    def warm_up_postfix(self):
        # Let master spawn its smtpd/cleanup/trivial-rewrite processes once, as
        # on any running server; poolgate is a single process and needs none.
        self.smtp_source(POSTFIX_PORT, 2048, [], 2 * SESSIONS)

    def rss_at_idle_sessions(self):
        """Fresh poolgate, IDLE_SESSIONS open sessions after EHLO: VmRSS (kB)."""
        self.reset_poolgate()
        base = read_status(self.pg.pid)
        helper = subprocess.Popen(self.nsenter() + [sys.executable, os.path.abspath(__file__),
                                                    "--helper-hold", str(IDLE_SESSIONS),
                                                    "--port", str(POOLGATE_PORT)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, preexec_fn=raise_nofile)
        self.helpers.append(helper)
        try:
            line = read_line_with_timeout(helper, 60)
            if not line.startswith("ready"):
                helper.kill()
                _, err = helper.communicate(timeout=10)
                raise BenchError(f"opening {IDLE_SESSIONS} sessions failed: {line!r} {err}\n"
                                 + self.pg_log_tail())
            time.sleep(0.5)
            self.check_poolgate_alive()
            status = read_status(self.pg.pid)
            sessions = open_tcp_sessions(self.pg.pid)
        finally:
            helper.stdin.close()
            try:
                helper.wait(30)
            except subprocess.TimeoutExpired:
                helper.kill()
                helper.wait(10)
            self.helpers.remove(helper)
        return base, status, sessions

    def rss_at_busy_sessions(self, size, count):
        """Fresh poolgate, IDLE_SESSIONS sessions sending at once: VmHWM (kB)."""
        self.reset_poolgate()
        self.smtp_source(POOLGATE_PORT, size, [], count, sessions=IDLE_SESSIONS)
        self.check_poolgate_alive()
        queued = self.poolgate_queue_count()
        if queued != count:
            raise BenchError(f"poolgate: sent {count} messages over {IDLE_SESSIONS} sessions, "
                             f"{queued} in its queue:\n" + self.pg_log_tail())
        return read_status(self.pg.pid)["VmHWM"]

    # --- cleanup -------------------------------------------------------------
    def cleanup(self):
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)  # finish cleaning up whatever comes
        for helper in list(self.helpers):
            if helper.poll() is None:
                helper.kill()
                helper.wait(10)
        try:
            self.stop_poolgate(timeout=15, check=False)
        except Exception as e:  # noqa: BLE001 - cleanup goes on
            log(f"cleanup: {e}")
        if self.postfix:
            try:
                self.postfix.stop()
                self.reset_postfix()  # the slow part of removing it, in parallel
            except Exception as e:  # noqa: BLE001 - close() removes what is left
                log(f"cleanup: {e}")
            self.postfix.close()
        if self.ns_created:
            # Whatever is still in our namespace was started by us.
            for _ in range(3):
                pids = run(["ip", "netns", "pids", self.ns], check=False).stdout.split()
                if not pids:
                    break
                for pid in pids:
                    try:
                        os.kill(int(pid), signal.SIGKILL)
                    except (ProcessLookupError, ValueError):
                        pass
                time.sleep(0.5)
            run(["ip", "netns", "del", self.ns], check=False)
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--poolgate")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scale", type=float, default=1.0,
                        help="multiply every message count (e.g. 0.2 for a quick check)")
    add_json_arg(parser)
    parser.add_argument("--helper-wait-port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--helper-hold", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--timeout", type=float, default=20, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.helper_wait_port:
        return helper_wait_port(args.helper_wait_port, args.timeout)
    if args.helper_hold:
        return helper_hold(args.port, args.helper_hold)
    if not args.poolgate:
        parser.error("--poolgate is required")
    poolgate = check_poolgate_arg(parser, args.poolgate, "network namespaces, a private Postfix")
    raise_on_signals()

    ensure_postfix()
    cases = [(label, size, mode, flags, max(SESSIONS, int(count * args.scale)))
             for label, size, mode, flags, count in CASES]
    rates = {(i, server): [] for i in range(len(cases)) for server in ("poolgate", "postfix")}
    cpus = {(i, server): [] for i in range(len(cases)) for server in ("poolgate", "postfix")}
    bench = Bench(poolgate)
    started = time.monotonic()
    load_before = os.getloadavg()[0]

    def body():
        bench.setup()
        bench.postfix.start()
        bench.warm_up_postfix()
        bench.start_poolgate()
        for r in range(args.rounds):
            order = ("poolgate", "postfix") if r % 2 == 0 else ("postfix", "poolgate")
            for i, (label, size, mode, flags, count) in enumerate(cases):
                for server in order:
                    measure = bench.measure_poolgate if server == "poolgate" else \
                        bench.measure_postfix
                    rate, cpu = measure(size, flags, count)
                    rates[(i, server)].append(rate)
                    cpus[(i, server)].append(cpu)
                    log(f"round {r + 1}/{args.rounds} {label:>5} {mode:<21} {server:<8} "
                        f"{count:>5} msgs: {rate:6.0f} msg/s, server CPU {cpu:.2f} ms/msg")
        bench.postfix.check_alive()
        log(f"poolgate RSS with {IDLE_SESSIONS} sessions, idle and then sending")
        base, idle, sockets = bench.rss_at_idle_sessions()
        busy_kb = bench.rss_at_busy_sessions(BUSY_SIZE, BUSY_MESSAGES)
        peak_hwm = bench.peak_hwm_kb
        # A clean exit on SIGTERM after 1,000 sessions came and went is part of
        # the check: it exits non-zero if poolgate crashes or hangs here.
        bench.stop_poolgate()
        return base, idle, sockets, busy_kb, peak_hwm
    failed, measured = run_guarded(log, body, bench.cleanup)
    if failed:
        return failed
    base, idle, sockets, busy_kb, peak_hwm = measured

    print(f"\nAcceptance throughput until 250 with durability (smtp-source, {SESSIONS} "
          f"sessions, loopback, {os.cpu_count()} CPUs, {args.rounds} rounds, medians; "
          f"Postfix {postfix_version()} with default fsync, queue on the same disk)")
    print(f"{'size':<7}{'mode':<22}{'messages':>9}{'poolgate msg/s':>16}"
          f"{'postfix msg/s':>15}{'ratio':>7}{'CPU ms/msg: poolgate':>23}{'postfix':>9}")
    ratios, rows = [], []
    for i, (label, size, mode, flags, count) in enumerate(cases):
        pg = statistics.median(rates[(i, "poolgate")])
        pf = statistics.median(rates[(i, "postfix")])
        pg_cpu = statistics.median(cpus[(i, "poolgate")])
        pf_cpu = statistics.median(cpus[(i, "postfix")])
        ratios.append((label, mode, pg / pf))
        rows.append({"size": label, "mode": mode, "messages": count, "poolgate_msg_s": pg,
                     "postfix_msg_s": pf, "poolgate_cpu_ms": pg_cpu, "postfix_cpu_ms": pf_cpu})
        print(f"{label:<7}{mode:<22}{count:>9}{pg:>16.0f}{pf:>15.0f}{pg / pf:>7.2f}"
              f"{pg_cpu:>23.2f}{pf_cpu:>9.2f}")
    idle_mb = idle["VmRSS"] / 1024
    print(f"poolgate RSS with {IDLE_SESSIONS} open idle sessions: {idle_mb:.1f} MB "
          f"(fresh process before connecting: {base['VmRSS'] / 1024:.1f} MB; "
          f"{sockets} sockets open; largest VmHWM of the throughput runs: "
          f"{peak_hwm / 1024:.1f} MB)")
    print(f"poolgate peak RSS (VmHWM) with {IDLE_SESSIONS} sessions sending {BUSY_SIZE // 1024} KB "
          f"messages at once ({BUSY_MESSAGES} messages): {busy_kb / 1024:.1f} MB (informational)")
    if load_before > 0.5 * os.cpu_count():
        print(f"note: load average was {load_before:.1f} on {os.cpu_count()} CPUs at the start: "
              f"other work competes for the CPUs, which costs single-threaded poolgate more "
              f"than Postfix's many processes; the CPU ms/msg columns are less load-sensitive")
    default_ratios = [r for label, mode, r in ratios if mode == "new connection"]
    ratio_ok = all(r >= RATIO_GOAL for r in default_ratios)
    rss_ok = idle_mb < RSS_GOAL_MB
    print(f"goal >= {RATIO_GOAL:.0f}x Postfix (default mode, both sizes): "
          f"{'MET' if ratio_ok else 'NOT MET'} (ratios "
          f"{', '.join(f'{r:.2f}' for r in default_ratios)})")
    print(f"goal RSS < {RSS_GOAL_MB:.0f} MB at {IDLE_SESSIONS} sessions: "
          f"{'MET' if rss_ok else 'NOT MET'} ({idle_mb:.1f} MB)")
    write_json(args.json, "acceptance", {
        "sessions": SESSIONS, "rounds": args.rounds, "postfix": postfix_version(),
        "load_at_start": load_before, "cases": rows, "rss_idle_sessions_mb": idle_mb,
        "idle_sessions": IDLE_SESSIONS, "rss_busy_hwm_mb": busy_kb / 1024})
    log(f"done in {time.monotonic() - started:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

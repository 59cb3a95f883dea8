"""Helpers shared by the bench_*.py scripts: errors, process and socket
utilities, making sure Postfix is installed (scripts/install-deps.sh), /proc
readers, smtp-source command lines, and the JSON results each bench leaves for
bench_summary.py. Split out so each file keeps one job. The private Postfix
instances are poolgate_test.postfix's, as in the tests."""
import json
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import time

from poolgate_test.postfix import SMTP_SOURCE, postfix_installed

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))  # tests/bench -> the repository
POOLGATE_PORT, POSTFIX_PORT = 2525, 2526
SESSIONS = 20
IDLE_SESSIONS = 1000
RSS_GOAL_MB, RATIO_GOAL = 100.0, 2.0
# (label, payload bytes, mode, smtp-source flags, messages). "new connection" is
# smtp-source's default (one message per connection); "-d" keeps each of the 20
# sessions open and sends the next message over it. Counts make each Postfix
# run take 4 to 9 seconds on a 2-core VM (poolgate's 1.5 to 3); the whole bench
# takes about 2 minutes, on a VM that other work keeps busy.
CASES = [
    ("2 KB", 2048, "new connection", [], 5000),
    ("50 KB", 51200, "new connection", [], 2500),
    ("2 KB", 2048, "same connection (-d)", ["-d"], 6000),
    ("50 KB", 51200, "same connection (-d)", ["-d"], 3000),
]
# One sender sending thousands of messages a minute is what the outbound spam
# policy is for; the benchmarks measure throughput and memory, so its limits are
# off (the classifier still runs every rule and counts every message).
NO_LIMITS = {"messages_per_minute": 0, "recipients_per_day": 0,
             "external_recipients_per_hour": 0, "internal_recipients_per_hour": 0}
# Informational: the same 1,000 sessions all sending 50 KB messages at once.
BUSY_SIZE, BUSY_MESSAGES = 51200, 2000
TICKS = os.sysconf("SC_CLK_TCK")


class BenchError(Exception):
    pass


class Terminated(BaseException):
    pass


STARTED = time.monotonic()


def make_log(name):
    """log(*parts) for one bench: `NAME: [seconds since start] parts` on stderr."""
    def log(*parts):
        print(f"{name}: [{time.monotonic() - STARTED:5.1f}s]", *parts, file=sys.stderr,
              flush=True)
    return log


log = make_log("bench-acceptance")


def run(cmd, timeout=60, check=True, **kw):
    result = subprocess.run([str(c) for c in cmd], timeout=timeout, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)
    if check and result.returncode != 0:
        raise BenchError(f"{' '.join(map(str, cmd))} exited {result.returncode}:\n"
                         f"{result.stdout}{result.stderr}")
    return result


def raise_nofile(limit=8192):
    resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))


# ---------------------------------------------------------------------------
# Helpers that run inside the namespace (this script re-executed via nsenter).

def helper_wait_port(port, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                s.settimeout(5)
                if s.recv(512).startswith(b"220"):
                    s.sendall(b"QUIT\r\n")
                    return 0
        except OSError:
            pass
        time.sleep(0.1)
    print(f"nothing answered 220 on 127.0.0.1:{port} within {timeout}s", file=sys.stderr)
    return 1


def recv_reply(s):
    """Reads one complete (possibly multi-line) SMTP reply."""
    data = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            raise OSError("connection closed")
        data += chunk
        lines = data.split(b"\r\n")
        if len(lines) >= 2 and len(lines[-2]) >= 4 and lines[-2][3:4] == b" ":
            return data


def helper_hold(port, count):
    """Opens `count` sessions (greeting, EHLO), prints `ready`, keeps them open
    until stdin closes."""
    raise_nofile()
    socks = []
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        socks.append(s)
    for s in socks:
        greeting = recv_reply(s)
        if not greeting.startswith(b"220"):
            print(f"unexpected greeting: {greeting!r}", file=sys.stderr)
            return 1
        s.sendall(b"EHLO idle.example.net\r\n")
    for s in socks:
        reply = recv_reply(s)
        if not reply.startswith(b"250"):
            print(f"unexpected EHLO reply: {reply!r}", file=sys.stderr)
            return 1
    print(f"ready {len(socks)}", flush=True)
    sys.stdin.read()
    for s in socks:
        try:
            s.sendall(b"QUIT\r\n")
        except OSError:
            pass
        s.close()
    return 0


# ---------------------------------------------------------------------------

def ensure_postfix():
    """Postfix (smtp-source, the comparison instances) from scripts/install-deps.sh,
    which installs it only where that removes no other MTA and otherwise says
    what to do."""
    if postfix_installed():
        return
    log("postfix missing: running scripts/install-deps.sh")
    script = os.path.join(REPO, "scripts", "install-deps.sh")
    result = run([script], timeout=1200, check=False)
    if result.returncode != 0 or not postfix_installed():
        raise BenchError(f"{script} exited {result.returncode}, postfix is not installed:\n"
                         f"{result.stdout}{result.stderr}")


# The acceptance bench's Postfix (poolgate_test.postfix.BASE_MAIN plus these).
POSTFIX_MAIN = {
    "myhostname": "postfix-bench.example.net",
    "mydomain": "example.net",
    "smtp_host_lookup": "native",
    # Accepted mail goes to the hold queue: cleanup still fsyncs the queue file
    # before smtpd says 250, but nothing is delivered or deferred afterwards.
    "smtpd_recipient_restrictions": "check_client_access static:HOLD, permit_mynetworks, reject",
    # 20 sessions must never wait for a free smtpd.
    "default_process_limit": "200",
}


def process_tree_ticks(master):
    """CPU ticks of a master process, the children it reaped, and the ones still
    running (Postfix's master and its services)."""
    total = cpu_ticks(master)
    for child in children_of(master):
        try:
            total += cpu_ticks(child)
        except OSError:  # exited between listing and reading: now in master's
            pass
    return total


def cpu_ticks(pid, children=True):
    """utime + stime (+ reaped children's) of a process, in clock ticks."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rpartition(")")[2].split()
    # fields[0] is the state (field 3); utime, stime, cutime, cstime are 14..17.
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks


def children_of(pid):
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rpartition(")")[2].split()[1]) == pid:
                        out.append(int(entry))
            except (OSError, ValueError, IndexError):
                pass
    return out


def read_status(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "Threads"):
                fields[key] = int(value.split()[0])
    return fields


def open_tcp_sessions(pid):
    count = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:"):
                count += 1
        except OSError:
            pass
    return count


def read_line_with_timeout(proc, timeout):
    import selectors
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    if not sel.select(timeout):
        return ""
    return proc.stdout.readline().strip()


# ---------------------------------------------------------------------------
# Shared by every bench script.

def smtp_source_cmd(netns_path, port, sessions, count, size, flags=(),
                    helo="client.example.com", sender="sender@example.com",
                    rcpt="rcpt@example.net"):
    """smtp-source run inside a namespace (nsenter execs it: the pid is its own)."""
    return ["nsenter", f"--net={netns_path}", SMTP_SOURCE, "-s", str(sessions), "-m", str(count),
            "-l", str(size), *flags, "-M", helo, "-f", sender, "-t", rcpt, f"127.0.0.1:{port}"]


def check_poolgate_arg(parser, path, why):
    """Root and an executable poolgate, else parser.error; returns its absolute path."""
    if os.geteuid() != 0:
        parser.error(f"run as root ({why})")
    path = os.path.abspath(path)
    if not os.access(path, os.X_OK):
        parser.error(f"{path}: not an executable")
    return path


def raise_on_signals():
    """SIGTERM/SIGINT/SIGHUP raise Terminated, so `finally` blocks clean up.
    Returns the handler (for code that installs its own and must restore ours)."""
    def on_signal(signum, _frame):
        raise Terminated(f"signal {signum}")
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)
    return on_signal


# What ends a bench run with "FAILED" (exit 1) rather than a traceback.
BENCH_FAILURES = (BenchError, subprocess.TimeoutExpired, OSError, RuntimeError)


def run_guarded(log, body, cleanup):
    """Runs body() and always cleanup(). Returns (None, body's result), or
    (130, None) after SIGTERM/Ctrl-C, or (1, None) after a bench failure; both
    are logged. One exit policy for every bench's main()."""
    try:
        return None, body()
    except Terminated as e:
        log(f"interrupted ({e}); cleaning up")
        return 130, None
    except BENCH_FAILURES as e:
        log(f"FAILED: {e}")
        return 1, None
    finally:
        cleanup()


def add_json_arg(parser):
    parser.add_argument("--json", metavar="FILE",
                        help="also write the results to FILE as JSON (read by bench_summary.py)")


def write_json(path, bench, results):
    """Writes {"bench": name, "load_average": [1, 5, 15 min], "cpus": n, ...results}
    to path (no-op without one); written whole, then renamed into place."""
    if not path:
        return
    data = {"bench": bench, "load_average": list(os.getloadavg()), "cpus": os.cpu_count()}
    data.update(results)
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=1)
    os.replace(tmp, path)


def median(values):
    return statistics.median(values) if values else None

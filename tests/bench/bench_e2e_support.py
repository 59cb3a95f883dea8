"""Parts of bench_relay_e2e.py: the sink (Postfix's smtp-sink in the peer
namespace, counting messages) and a private Postfix relay instance in the
gateway namespace that finds the sink by MX lookup in the world's dnsmasq.

How Postfix gets the world's DNS without bypassing MX: its SMTP client reads
/etc/resolv.conf through libc. master runs in a private mount namespace
(`unshare --mount`) inside the gateway's network namespace, where a resolv.conf
naming 203.0.113.53 is bind-mounted over /etc/resolv.conf; every process
master starts inherits that view, nothing else on the host sees it, and the
mount disappears with the last process. No transport_maps, no relayhost, no
smtp_host_lookup=native: Postfix does the same MX -> A resolution poolgate does.
"""
import os
import re
import shutil
import signal
import socket
import tempfile
import time

from bench_support import POSTFIX, POSTFIX_MASTER, QUEUE_DIRS, BenchError, run
from poolgate_test.daemons import Daemon
from poolgate_test.dns_server import DNS_V4

SINK_V4, SINK_PORT = "203.0.113.25", 25
POSTFIX_PORT = 2526

POSTFIX_RELAY_MAIN = """\
compatibility_level = 3.6
queue_directory = {dir}/queue
data_directory = {dir}/data
maillog_file = {dir}/maillog
myhostname = postfix-e2e.example.com
mydomain = example.com
myorigin = $myhostname
mydestination =
relay_domains =
mynetworks = 127.0.0.0/8
inet_interfaces = loopback-only
inet_protocols = ipv4
alias_maps =
alias_database =
biff = no
smtpd_peername_lookup = no
smtpd_relay_restrictions = permit_mynetworks, reject
# Deliver like any relay: MX lookup, then A (the default, stated).
smtp_host_lookup = dns
smtp_dns_support_level = enabled
# The sink offers no STARTTLS and poolgate's is opportunistic: plain text both.
smtp_tls_security_level = none
default_process_limit = 200
"""


class Sink:
    """smtp-sink on 203.0.113.25:25 of the peer namespace, with -c counters on
    stdout (`sess=N quit=N mesg=N`, one update per event); a fresh process per
    run starts from zero."""

    def __init__(self, netns, workdir, run_no):
        self.log_path = os.path.join(workdir, f"sink-{run_no}.out")
        self.netns = netns
        self.daemon = Daemon(netns, ["/usr/sbin/smtp-sink", "-c", "-u", "nobody",
                                     f"{SINK_V4}:{SINK_PORT}", "1024"],
                             self.log_path, self._listening, "smtp-sink")

    def _listening(self):
        with self.netns.entered():
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.settimeout(0.5)
            sock.connect((SINK_V4, SINK_PORT))
            return True
        except OSError:
            return False
        finally:
            sock.close()

    def messages(self):
        """Messages received so far (the last `mesg=` counter)."""
        with open(self.log_path, "rb") as f:
            f.seek(max(0, os.fstat(f.fileno()).st_size - 256))
            found = re.findall(rb"mesg=(\d+)", f.read())
        return int(found[-1]) if found else 0

    def wait(self, count, deadline):
        """Polls until `count` messages arrived or the monotonic deadline; returns
        (messages, monotonic time the count was first seen)."""
        while True:
            got = self.messages()
            now = time.monotonic()
            if got >= count or now > deadline:
                return got, now
            if not self.daemon.alive():
                raise BenchError("smtp-sink died:\n" + self.daemon.log()[-500:])
            time.sleep(0.02)

    def close(self):
        self.daemon.close()


class PostfixRelay:
    """A private Postfix 3.7 in the gateway namespace relaying to the MX hosts."""

    def __init__(self, gw_netns):
        self.gw = gw_netns
        self.started = False
        # Traversable by the postfix user; same disk as /var/spool.
        self.dir = tempfile.mkdtemp(prefix="pgbench-e2e-postfix-", dir="/var/tmp")
        os.chmod(self.dir, 0o755)
        self.conf = os.path.join(self.dir, "conf")
        for sub in ("conf", "queue", "data"):
            os.makedirs(os.path.join(self.dir, sub))
        shutil.chown(os.path.join(self.dir, "data"), "postfix")
        with open(os.path.join(self.conf, "main.cf"), "w") as f:
            f.write(POSTFIX_RELAY_MAIN.format(dir=self.dir))
        with open(os.path.join(self.conf, "master.cf"), "w") as f:
            f.write(POSTFIX_MASTER.format(port=POSTFIX_PORT))
        self.resolv = os.path.join(self.dir, "resolv.conf")
        with open(self.resolv, "w") as f:
            f.write(f"nameserver {DNS_V4}\noptions attempts:2 timeout:2\n")
        os.chmod(self.resolv, 0o644)

    def start(self):
        self.started = True
        script = f'mount --bind "{self.resolv}" /etc/resolv.conf && exec "{POSTFIX}" -c "{self.conf}" start'
        run(["nsenter", f"--net={self.gw.path}", "unshare", "--mount", "--propagation",
             "private", "sh", "-c", script], timeout=60)

    def master_pid(self):
        try:
            with open(os.path.join(self.dir, "queue", "pid", "master.pid")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def check_alive(self):
        pid = self.master_pid()
        if pid is None or not os.path.exists(f"/proc/{pid}"):
            raise BenchError("postfix master is not running:\n" + self.log_tail())

    def resolv_seen_by_master(self):
        """/etc/resolv.conf as master's processes see it (proof of the bind mount)."""
        with open(f"/proc/{self.master_pid()}/root/etc/resolv.conf") as f:
            return f.read()

    def queue_counts(self):
        counts = {}
        for name in QUEUE_DIRS:
            counts[name] = sum(len(files) for _, _, files in
                               os.walk(os.path.join(self.dir, "queue", name)))
        return counts

    def wait_empty(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            counts = self.queue_counts()
            if not any(counts.values()):
                return counts
            time.sleep(0.1)
        return self.queue_counts()

    def log_tail(self, lines=20):
        try:
            with open(os.path.join(self.dir, "maillog"), errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""

    def log_count(self, pattern):
        try:
            with open(os.path.join(self.dir, "maillog"), errors="replace") as f:
                return sum(1 for line in f if pattern in line)
        except OSError:
            return 0

    def stop(self):
        if self.started:
            pid = self.master_pid()
            run([POSTFIX, "-c", self.conf, "stop"], timeout=60, check=False)
            deadline = time.monotonic() + 15
            while pid and os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
                time.sleep(0.1)
            self.started = False

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def close_mail_world(mw):
    """Closes a bench's MailWorld: first kills whatever else runs in its namespaces
    (all started by the bench; the relay is left to mw.close(), SIGTERM first)."""
    for ns in (mw.gw, mw.peer):
        for pid in ns.sh("ip", "netns", "pids", ns.name, check=False).stdout.split():
            if mw.relay and mw.relay.process and int(pid) == mw.relay.process.pid:
                continue
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
    mw.close()

"""A private Postfix instance (Debian's package, scripts/install-deps.sh) for the
tests and the benches, never the system one: its own config_directory (main.cf,
master.cf), queue_directory, data_directory and maillog_file, all in one
temporary directory under /var/tmp (traversable by the postfix user, on the
disk a real queue would be on), and its own smtpd listener in master.cf. It is
started inside a network namespace with `postfix -c DIR start`, so it can
reach only that namespace's loopback and addresses, and close() stops it
(`postfix -c DIR stop`, then SIGKILL of whatever of it is left) and removes the
directory, also after a failed start.

    pf = PrivatePostfix(mw.gw, "127.0.0.1:2526",
                        {"relayhost": "[127.0.0.1]:2525", "smtputf8_enable": "yes"})
    try:
        pf.start()
        ...  # SMTP to 127.0.0.1:2526 in the namespace; pf.log(), pf.queue_counts()
    finally:
        pf.close()

With `nameserver`, master runs in a private mount namespace (`unshare
--mount`) where a resolv.conf naming that server is bind-mounted over
/etc/resolv.conf: its SMTP client then does MX lookups in the world's DNS, and
nothing else on the host sees the mount, which goes with the last process.
"""
import atexit
import os
import shutil
import signal
import socket
import tempfile
import time

from .netns import entered, run

POSTFIX, POSTCONF = "/usr/sbin/postfix", "/usr/sbin/postconf"
SMTP_SOURCE, SMTP_SINK = "/usr/sbin/smtp-source", "/usr/sbin/smtp-sink"
QUEUE_DIRS = ("maildrop", "incoming", "active", "deferred", "hold", "corrupt")
INSTALL_HINT = "Debian's postfix package is missing: run scripts/install-deps.sh as root"

# What every private instance needs: its own directories, no local delivery, no
# aliases, mail accepted from loopback only. Callers add and override keys.
BASE_MAIN = {
    "compatibility_level": "3.6",
    "queue_directory": "{dir}/queue",
    "data_directory": "{dir}/data",
    "maillog_file": "{dir}/maillog",
    "myhostname": "postfix.example.com",
    "mydomain": "example.com",
    "myorigin": "$myhostname",
    "mydestination": "",
    "relay_domains": "",
    "mynetworks": "127.0.0.0/8",
    "inet_interfaces": "loopback-only",
    "inet_protocols": "ipv4",
    "alias_maps": "",
    "alias_database": "",
    "biff": "no",
    # Neither Postfix nor poolgate looks up the client's name in these worlds.
    "smtpd_peername_lookup": "no",
    "smtpd_relay_restrictions": "permit_mynetworks, reject",
}

# Debian's master.cf services, without chroot (which would need copies of /etc
# files), and one smtpd on {listen} instead of port 25 of every interface.
MASTER = """\
{listen} inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


def postfix_installed():
    return all(os.access(tool, os.X_OK) for tool in (POSTFIX, POSTCONF, SMTP_SOURCE))


def postfix_version():
    result = run([POSTCONF, "-d", "-h", "mail_version"], check=False)
    return result.stdout.strip() or "?"


class PrivatePostfix:
    def __init__(self, netns, listen, main=None, nameserver=None, prefix="pgtest-postfix-"):
        """netns: a NetNs or a namespace path (/run/netns/NAME). listen: smtpd's
        "ADDRESS:PORT" in master.cf. main: main.cf keys over BASE_MAIN ("{dir}"
        in a value is the instance's directory)."""
        if not postfix_installed():
            raise RuntimeError(INSTALL_HINT)
        self.netns_path = getattr(netns, "path", netns)
        self.host, _, port = listen.rpartition(":")
        self.port = int(port)
        self.started = False
        self.dir = tempfile.mkdtemp(prefix=prefix, dir="/var/tmp")
        try:
            os.chmod(self.dir, 0o755)
            self.conf = os.path.join(self.dir, "conf")
            self.queue = os.path.join(self.dir, "queue")
            for sub in ("conf", "queue", "data"):
                os.makedirs(os.path.join(self.dir, sub))
            shutil.chown(os.path.join(self.dir, "data"), "postfix")
            settings = dict(BASE_MAIN, **(main or {}))
            with open(os.path.join(self.conf, "main.cf"), "w") as f:
                for key, value in settings.items():
                    f.write(f"{key} = {value.replace('{dir}', self.dir)}\n")
            with open(os.path.join(self.conf, "master.cf"), "w") as f:
                f.write(MASTER.format(listen=listen))
            self.resolv = None
            if nameserver:
                self.resolv = os.path.join(self.dir, "resolv.conf")
                with open(self.resolv, "w") as f:
                    f.write(f"nameserver {nameserver}\noptions attempts:2 timeout:2\n")
                os.chmod(self.resolv, 0o644)
        except BaseException:
            shutil.rmtree(self.dir, ignore_errors=True)
            raise
        atexit.register(self.close)
        self._chain_sigterm()

    def _chain_sigterm(self):
        """On SIGTERM: close this instance, then whatever handled SIGTERM before
        (a World's handler closes the world and exits)."""
        previous = signal.getsignal(signal.SIGTERM)

        def on_sigterm(signum, frame):
            self.close()
            if callable(previous):
                previous(signum, frame)
            os._exit(143)
        signal.signal(signal.SIGTERM, on_sigterm)

    # --- the instance -----------------------------------------------------
    def start(self, timeout=30):
        """`postfix -c DIR start` in the namespace (it creates the queue
        directories and returns once master runs), then waits for smtpd's 220."""
        self.started = True
        postfix = [POSTFIX, "-c", self.conf, "start"]
        if self.resolv:
            script = f'mount --bind "{self.resolv}" /etc/resolv.conf && exec "$@"'
            postfix = ["unshare", "--mount", "--propagation", "private", "sh", "-c", script,
                       "sh", *postfix]
        run(["nsenter", f"--net={self.netns_path}", *postfix], timeout=60)
        deadline = time.monotonic() + timeout
        while not self._greets():
            if time.monotonic() > deadline:
                raise RuntimeError(f"private postfix: no 220 on {self.host}:{self.port} within "
                                   f"{timeout}s:\n" + self.log_tail())
            self.check_alive()
            time.sleep(0.1)

    def _greets(self):
        with entered(self.netns_path):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.settimeout(2)
            sock.connect((self.host, self.port))
            if sock.recv(512).startswith(b"220"):
                sock.sendall(b"QUIT\r\n")
                return True
        except OSError:
            pass
        finally:
            sock.close()
        return False

    def smtp(self, timeout=30):
        """smtplib.SMTP to this instance's smtpd, from inside its namespace."""
        import smtplib
        with entered(self.netns_path):
            return smtplib.SMTP(self.host, self.port, timeout=timeout)

    def master_pid(self):
        try:
            with open(os.path.join(self.queue, "pid", "master.pid")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def check_alive(self):
        pid = self.master_pid()
        if pid is None or not os.path.exists(f"/proc/{pid}"):
            raise RuntimeError("private postfix: master is not running:\n" + self.log_tail())

    def resolv_seen_by_master(self):
        """/etc/resolv.conf as master's processes see it (proof of the bind mount)."""
        with open(f"/proc/{self.master_pid()}/root/etc/resolv.conf") as f:
            return f.read()

    # --- what it did --------------------------------------------------------
    def queue_counts(self):
        return {name: sum(len(files) for _, _, files in os.walk(os.path.join(self.queue, name)))
                for name in QUEUE_DIRS}

    def wait_empty(self, timeout):
        """Polls until no queue holds a message; returns the last counts."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            counts = self.queue_counts()
            if not any(counts.values()):
                return counts
            time.sleep(0.1)
        return self.queue_counts()

    def log(self):
        try:
            with open(os.path.join(self.dir, "maillog"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def log_tail(self, lines=20):
        return "".join(self.log().splitlines(True)[-lines:])

    def log_count(self, pattern):
        return sum(1 for line in self.log().splitlines() if pattern in line)

    # --- teardown ---------------------------------------------------------------
    def stop(self, timeout=15):
        """`postfix -c DIR stop`, and waits for master to go; if it does not,
        SIGKILLs its process group: master called setsid(), so the group is this
        instance's master and the services it started, nothing else."""
        if not self.started:
            return
        pid = self.master_pid()
        run([POSTFIX, "-c", self.conf, "stop"], timeout=60, check=False)
        deadline = time.monotonic() + timeout
        while pid and os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
            time.sleep(0.1)
        try:
            if pid and os.path.exists(f"/proc/{pid}") and os.getpgid(pid) == pid:
                os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.started = False

    def close(self):
        """Stops the instance and removes its directory; safe to call again."""
        try:
            self.stop()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


"""Debian's rspamd in a namespace, for end-to-end scanner tests: one normal
worker on 127.0.0.1:PORT, offline (its DNS points at a closed port so lookups
fail at once), hyperscan off for rules and its compiled map databases cached
in /var/tmp across runs (the same cache tests/unit/spam_rspamd_test.cpp uses:
compiling the URL suffix list takes ~20 s, loading it well under one)."""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

RSPAMD = "/usr/bin/rspamd"
HYPERSCAN_CACHE = "/var/tmp/poolgate-test-rspamd-hs"


def _config(port):
    # Debian's rspamd.conf with our own [options]: options.inc's keys cannot be
    # overridden after including it (UCL keeps both, rspamd takes the first).
    return f""".include "$CONFDIR/common.conf"
options {{
  pidfile = "$RUNDIR/rspamd.pid";
  filters = "chartable,dkim,regexp,fuzzy_check";
  cache_file = "$DBDIR/symbols.cache";
  dynamic_conf = "$DBDIR/rspamd_dynamic";
  history_file = "$DBDIR/rspamd.history";
  control_socket = "$DBDIR/rspamd.sock mode=0600";
  stats_file = "$DBDIR/stats.ucl";
  url_tld = "${{SHAREDIR}}/effective_tld_names.dat";
  explicit_modules = ["settings", "bayes_expiry"];
  local_addrs = [192.168.0.0/16, 10.0.0.0/8, 172.16.0.0/12, fd00::/8];
  hs_cache_dir = "{HYPERSCAN_CACHE}/";
  disable_hyperscan = true;
  dns {{ nameserver = ["127.0.0.1:9"]; timeout = 0.2s; retransmits = 1; }}
}}
logging {{ type = "console"; level = "error"; }}
worker "normal" {{
  bind_socket = "127.0.0.1:{port}";
  .include "$CONFDIR/worker-normal.inc"
  count = 1;
}}
"""


class Rspamd:
    """rspamd in `netns`, in a process group of its own (it forks workers):
    close() signals that group and removes its directory."""

    def __init__(self, netns, port=11333, timeout=90):
        self.netns, self.port = netns, port
        os.makedirs(HYPERSCAN_CACHE, exist_ok=True)
        self.dir = tempfile.mkdtemp(prefix="pg-rspamd-")
        with open(os.path.join(self.dir, "rspamd.conf"), "w") as f:
            f.write(_config(port))
        self._log = open(os.path.join(self.dir, "rspamd.log"), "ab")
        argv = [RSPAMD, "-f", "-c", os.path.join(self.dir, "rspamd.conf"),
                f"--var=RUNDIR={self.dir}", f"--var=DBDIR={self.dir}", f"--var=LOGDIR={self.dir}"]
        if os.geteuid() == 0:  # rspamd refuses to run its workers as root unless told to
            argv += ["-i", "-u", "root", "-g", "root"]
        self.process = netns.popen(*argv, stdout=self._log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            deadline = time.monotonic() + timeout
            while not self.listening():
                if self.process.poll() is not None:
                    raise RuntimeError(f"rspamd exited {self.process.returncode}:\n{self.log()}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"rspamd not up within {timeout}s:\n{self.log()}")
                time.sleep(0.2)
        except BaseException:
            self.close()
            raise

    def listening(self):
        with self.netns.entered():
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.settimeout(1)
            sock.connect(("127.0.0.1", self.port))
            return True
        except OSError:
            return False
        finally:
            sock.close()

    def log(self):
        with open(os.path.join(self.dir, "rspamd.log"), "rb") as f:
            return f.read().decode(errors="replace")[-4000:]

    def close(self):
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.process.wait()
        self._log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

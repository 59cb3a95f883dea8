"""Helper processes a test starts inside a namespace (DNS servers, SMTP peers):
started through `nsenter --net` (which execs, so the Popen pid is the process
itself), waited for until a readiness check passes, and stopped by that pid
only: SIGTERM, then SIGKILL if it lingers. Output goes to a log file."""
import os
import subprocess
import time

# The peer scripts stay in tests/peers, run by path: the C++ unit tests start
# them too, and they need nothing from this package.
PEERS_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                          "..", "..", "peers"))


def peer_argv(script, *args):
    """The command line of one tests/peers script (e.g. "dns_stub.py")."""
    return ["/usr/bin/python3", os.path.join(PEERS_DIR, script), *args]


class Daemon:
    def __init__(self, netns, argv, log_path, ready, name, timeout=10.0):
        """`ready()` is polled until true; the process exiting first is an error."""
        self.name = name
        self.log_path = log_path
        self._log = open(log_path, "ab")
        self.process = netns.popen(*argv, stdout=self._log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
        try:
            self._wait_ready(ready, timeout)
        except BaseException:
            self.close()
            raise

    def _wait_ready(self, ready, timeout):
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited {self.process.returncode} at start:\n"
                                   + self.log())
            if ready():
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} not ready within {timeout}s:\n" + self.log())
            time.sleep(0.05)

    def alive(self):
        return self.process.poll() is None

    def log(self):
        self._log.flush()
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def close(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self._log.close()

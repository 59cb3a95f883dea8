"""Debian's spamd (SpamAssassin) in a namespace, shared by the classification
tests, the fault tests and the demo. It runs in a process group of its own (it
forks children): kill() and close() signal that group, which this class
started, and nothing else; PR_SET_PDEATHSIG kills it if the test process dies
outright. With close_at_exit it is also closed at interpreter exit and on
SIGTERM (before any earlier SIGTERM handler, e.g. a world's, runs)."""
import atexit
import ctypes
import os
import signal
import socket
import subprocess
import time

SPAMD = "/usr/sbin/spamd"


def _die_with_parent():
    ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class Spamd:
    def __init__(self, netns, workdir, port, max_children=1, wait=True, timeout=60,
                 close_at_exit=False):
        """Starts spamd on 127.0.0.1:port inside `netns`; with `wait`, returns once
        it answers PING (else call wait_ready())."""
        self.netns, self.port = netns, port
        self.log_path = os.path.join(workdir, f"spamd-{port}.log")
        self._log = open(self.log_path, "ab")
        self._closed = False
        self.process = netns.popen(
            SPAMD, "--listen", f"127.0.0.1:{port}", "--max-children", str(max_children),
            "--local", "--nouser-config", "--syslog=stderr", "-u", "nobody",
            stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, preexec_fn=_die_with_parent)
        if close_at_exit:
            self._close_at_exit()
        if wait:
            try:
                self.wait_ready(timeout)
            except BaseException:
                self.close()
                raise

    def _close_at_exit(self):
        atexit.register(self.close)
        previous = signal.getsignal(signal.SIGTERM)

        def on_term(signum, frame):
            self.close()
            if callable(previous):
                previous(signum, frame)
            else:
                os._exit(143)
        signal.signal(signal.SIGTERM, on_term)

    def wait_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while not self.answers():
            if self.process.poll() is not None:
                raise RuntimeError(f"spamd exited {self.process.returncode}:\n{self.log()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"spamd not up within {timeout}s:\n{self.log()}")
            time.sleep(0.1)

    def answers(self):
        """PING answered with PONG (SPAMC/1.5): listening and ready."""
        with self.netns.entered():
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.settimeout(1)
            sock.connect(("127.0.0.1", self.port))
            sock.sendall(b"PING SPAMC/1.5\r\n\r\n")
            return b"PONG" in sock.recv(100)
        except OSError:
            return False
        finally:
            sock.close()

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def group_alive(self):
        try:
            os.killpg(self.process.pid, 0)
            return True
        except ProcessLookupError:
            return False

    def kill(self, sig=signal.SIGKILL):
        """Signals the whole group (parent and children) and reaps the parent."""
        try:
            os.killpg(self.process.pid, sig)
        except ProcessLookupError:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill(signal.SIGKILL)

    def close(self):
        if self._closed:
            return
        self._closed = True
        if self.process.poll() is None:
            self.kill(signal.SIGTERM)
        if self.group_alive():
            try:
                os.killpg(self.process.pid, signal.SIGKILL)  # a child that outlived its parent
            except ProcessLookupError:
                pass
        # The group's children are re-parented to init; give them a moment to go.
        deadline = time.monotonic() + 5
        while self.group_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        self._log.close()

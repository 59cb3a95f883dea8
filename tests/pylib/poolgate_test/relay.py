"""poolgate's relay (`poolgate run`) inside a World's gateway namespace, and SMTP
clients that talk to it from inside namespaces.

The relay listens on 127.0.0.1:2525 and [::1]:2525 of the gateway, plus the
gateway's main address 198.51.100.1:2525 so the peer namespace can play an
outside client; client_networks is loopback only. The spool lives in the
world's temporary directory; close() stops the daemon (kill if it hangs).
"""
import json
import os
import signal
import smtplib
import socket
import subprocess
import time

from .world import RELAY_HOSTNAME, World

RELAY_PORT = 2525


def relay_section(spool, **overrides):
    settings = {
        "hostname": f'"{RELAY_HOSTNAME}"',
        "listen": '["127.0.0.1:2525", "[::1]:2525", "198.51.100.1:2525"]',
        "client_networks": '["127.0.0.0/8", "::1/128"]',
        "internal_domains": '["example.com"]',
        "spool": f'"{spool}"',
    }
    settings.update({k: v for k, v in overrides.items()})
    return "[relay]\n" + "\n".join(f"{k} = {v}" for k, v in settings.items()) + "\n"


# The relay tests' world has no DNS server: the classifier's sender-domain
# lookups go to a closed port in the gateway and fail at once (port
# unreachable), so messages are held for DNS instead of every DATA waiting
# for the host resolver's timeouts.
NO_DNS_SECTION = '[dns]\nservers = ["127.0.0.1:53"]\ntimeout_ms = 200\nattempts = 1\n'


class Relay:
    def __init__(self, poolgate, tag="relay", world=None, **relay_overrides):
        """With `world`, the caller has written its config, including
        relay_section(Relay.spool_of(world)); close() still closes the world."""
        self.world = world or World(poolgate, tag=tag)
        self.spool = self.spool_of(self.world)
        if world is None:
            self.world.write_config(extra=relay_section(self.spool, **relay_overrides) +
                                    NO_DNS_SECTION)
        self.log_path = os.path.join(self.world.dir, "poolgate.log")
        self.process = None
        try:
            self.start()
        except BaseException:
            if world is None:
                self.close()
            else:  # a borrowed world stays up for its owner
                self.stop()
                self._log.close()
            raise

    @staticmethod
    def spool_of(world):
        return os.path.join(world.dir, "spool")

    # --- the daemon -------------------------------------------------------
    def start(self):
        if getattr(self, "_log", None):
            self._log.close()  # a restart after stop(): one log handle at a time
        self._log = open(self.log_path, "a")
        self.process = self.world.gw.popen(self.world.poolgate, "--config", self.world.config,
                                           "run", stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"poolgate run exited {self.process.returncode}:\n{self.log()}")
            try:
                self.connect(timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("poolgate run did not start listening:\n" + self.log())

    def stop(self, sig=signal.SIGTERM, timeout=15):
        """Signals the daemon and waits; returns its exit code."""
        if not self.process or self.process.poll() is not None:
            return self.process.returncode if self.process else None
        self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def close(self):
        self.stop()
        if getattr(self, "_log", None):
            self._log.close()
        self.world.close()

    # --- clients ----------------------------------------------------------
    def connect(self, address="127.0.0.1", netns=None, timeout=5.0):
        """A raw TCP connection to the relay from inside `netns` (gateway by default)."""
        ns = netns or self.world.gw
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        with ns.entered():
            sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect((address, RELAY_PORT))
        except OSError:
            sock.close()
            raise
        return sock

    def smtp(self, address="127.0.0.1", netns=None, timeout=10.0):
        """smtplib.SMTP connected from inside a namespace."""
        ns = netns or self.world.gw
        with ns.entered():
            return smtplib.SMTP(address, RELAY_PORT, timeout=timeout)

    # --- the spool, as the operator sees it --------------------------------
    def pg(self, *args, check=True):
        return self.world.pg(*args, check=check)

    def queue(self):
        return json.loads(self.pg("queue", "list", "--json").stdout)

    def content(self, queue_id):
        """The stored message, bytes as stored, decoded without newline translation."""
        result = subprocess.run([self.world.poolgate, "--config", self.world.config, "queue",
                                 "show", queue_id, "--content"], capture_output=True, check=True)
        return result.stdout.decode("utf-8", errors="surrogateescape")


class RawSession:
    """A scripted SMTP session over a raw socket: send exact bytes, read replies."""

    def __init__(self, sock):
        self.sock = sock
        self.buffer = b""

    def send(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def reply(self, timeout=5.0):
        """One whole (possibly multi-line) reply as (code, text); (None, '') on EOF."""
        self.sock.settimeout(timeout)
        lines = []
        while True:
            while b"\r\n" not in self.buffer:
                try:
                    chunk = self.sock.recv(65536)
                except (socket.timeout, ConnectionError):
                    chunk = b""
                if not chunk:
                    return (None, b"\n".join(lines).decode(errors="replace"))
                self.buffer += chunk
            line, self.buffer = self.buffer.split(b"\r\n", 1)
            lines.append(line)
            if len(line) < 4 or line[3:4] != b"-":
                return (int(line[:3]), b"\n".join(lines).decode(errors="replace"))

    def command(self, line, timeout=5.0):
        self.send(line + "\r\n" if isinstance(line, str) else line + b"\r\n")
        return self.reply(timeout)

    def closed(self, timeout=2.0):
        """True when the server has closed the connection (EOF)."""
        self.sock.settimeout(timeout)
        try:
            return self.buffer == b"" and self.sock.recv(1) == b""
        except ConnectionError:
            return True
        except socket.timeout:
            return False

    def close(self):
        self.sock.close()

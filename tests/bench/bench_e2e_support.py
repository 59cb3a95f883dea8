"""Parts of bench_relay_e2e.py: the sink (Postfix's smtp-sink in the peer
namespace, counting messages) and a private Postfix relay instance
(poolgate_test.postfix) in the gateway namespace that finds the sink by MX
lookup in the world's dnsmasq.

How Postfix gets the world's DNS without bypassing MX: its SMTP client reads
/etc/resolv.conf through libc, and PrivatePostfix's `nameserver` runs master in
a private mount namespace where a resolv.conf naming 203.0.113.53 is
bind-mounted over /etc/resolv.conf (nothing else on the host sees it). No
transport_maps, no relayhost, no smtp_host_lookup=native: Postfix does the same
MX -> A resolution poolgate does.
"""
import os
import re
import signal
import socket
import time

from bench_support import BenchError
from poolgate_test.daemons import Daemon
from poolgate_test.dns_server import DNS_V4
from poolgate_test.postfix import SMTP_SINK, PrivatePostfix

SINK_V4, SINK_PORT = "203.0.113.25", 25
POSTFIX_PORT = 2526

# poolgate_test.postfix.BASE_MAIN plus these.
POSTFIX_RELAY_MAIN = {
    "myhostname": "postfix-e2e.example.com",
    # Deliver like any relay: MX lookup, then A (the default, stated).
    "smtp_host_lookup": "dns",
    "smtp_dns_support_level": "enabled",
    # The sink offers no STARTTLS and poolgate's is opportunistic: plain text both.
    "smtp_tls_security_level": "none",
    "default_process_limit": "200",
}


class Sink:
    """smtp-sink on 203.0.113.25:25 of the peer namespace, with -c counters on
    stdout (`sess=N quit=N mesg=N`, one update per event); a fresh process per
    run starts from zero."""

    def __init__(self, netns, workdir, run_no):
        self.log_path = os.path.join(workdir, f"sink-{run_no}.out")
        self.netns = netns
        self.daemon = Daemon(netns, [SMTP_SINK, "-c", "-u", "nobody",
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


def postfix_relay(gw_netns):
    """A private Postfix 3.7 in the gateway namespace relaying to the MX hosts
    (not started)."""
    return PrivatePostfix(gw_netns, f"127.0.0.1:{POSTFIX_PORT}", POSTFIX_RELAY_MAIN,
                          nameserver=DNS_V4, prefix="pgbench-e2e-postfix-")


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

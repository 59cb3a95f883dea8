"""The delivery world's DNS: dnsmasq in the peer namespace on 203.0.113.53,
answering from a zone spec, plus the two ways DNS fails on purpose.

    spec = {"mx":      [("example.net", 10, "mx1.example.net"), ...],
            "a":       [("mx1.example.net", "203.0.113.25"), ...],
            "aaaa":    [("mx1.example.net", "2001:db8:25::25"), ...],
            "txt":     [("example.net", "v=spf1 -all")],
            "cname":   [("alias.example.net", "mx1.example.net")],
            "null_mx": ["nomail.example"],     # MX 0 "." (RFC 7505)
            "servfail": ["broken.example"],    # SERVFAIL for the name and below
            "timeout":  ["slow.example"]}      # no answer at all

- null MX is a raw RR (`dns-rr=DOMAIN,15,000000`: preference 0, root name);
- servfail domains are forwarded to dns_stub.py on 203.0.113.98, which answers
  SERVFAIL (dnsmasq cannot be told to answer SERVFAIL itself);
- timeout domains are forwarded to 203.0.113.99, an address on the peer's lo
  with nothing listening: the query is lost, dnsmasq never answers. (A blackhole
  or unreachable route does not work: sendto fails at once and dnsmasq answers
  REFUSED.)
- every other name is NXDOMAIN (`local=/#/`: no upstream, nothing invented), so a
  misspelt name in a test fails loudly instead of resolving somewhere.

Queries are logged to dns.log in the world's directory (log-queries), which
tests can read to see what the relay asked.
"""
import collections
import os

from .daemons import Daemon, peer_argv
from . import dnsq

DNS_V4 = "203.0.113.53"
SERVFAIL_V4 = "203.0.113.98"
SILENT_V4 = "203.0.113.99"


def dnsmasq_conf(spec, workdir):
    """The dnsmasq configuration (one option per line) for a zone spec."""
    lines = ["no-resolv", "no-hosts", "bind-interfaces", f"listen-address={DNS_V4}",
             "port=53", "user=root", "log-queries",
             f"log-facility={os.path.join(workdir, 'dns.log')}",
             f"pid-file={os.path.join(workdir, 'dnsmasq.pid')}",
             # Forwarded (failing) answers are never cached; local ones have TTL 0.
             "cache-size=0", "local=/#/"]
    for domain, preference, host in spec.get("mx", []):
        lines.append(f"mx-host={domain},{host},{preference}")
    addresses = collections.OrderedDict()
    for name, address in list(spec.get("a", [])) + list(spec.get("aaaa", [])):
        addresses.setdefault(name, []).append(address)
    for name, addrs in addresses.items():
        lines.append(f"host-record={name},{','.join(addrs)}")
    for name, text in spec.get("txt", []):
        lines.append(f'txt-record={name},"{text}"')
    for alias, target in spec.get("cname", []):
        lines.append(f"cname={alias},{target}")
    for domain in spec.get("null_mx", []):
        lines.append(f"dns-rr={domain},15,000000")
    for domain in spec.get("servfail", []):
        lines.append(f"server=/{domain}/{SERVFAIL_V4}")
    for domain in spec.get("timeout", []):
        lines.append(f"server=/{domain}/{SILENT_V4}")
    return "\n".join(lines) + "\n"


class DnsServer:
    """dnsmasq (+ the SERVFAIL stub) in `netns`; close() stops both."""

    def __init__(self, netns, workdir, spec):
        self.netns, self.workdir = netns, workdir
        self.conf = os.path.join(workdir, "dnsmasq.conf")
        self.log_path = os.path.join(workdir, "dns.log")
        self.daemons = []
        for address in (DNS_V4, SERVFAIL_V4, SILENT_V4):
            netns.sh("ip", "addr", "add", f"{address}/32", "dev", "lo")
        try:
            ready = os.path.join(workdir, "dns-stub.ready")
            self.daemons.append(Daemon(
                netns, peer_argv("dns_stub.py", "--listen", SERVFAIL_V4, "--ready", ready),
                os.path.join(workdir, "dns-stub.out"), lambda: os.path.exists(ready),
                "dns_stub.py"))
            with open(self.conf, "w") as f:
                f.write(dnsmasq_conf(spec, workdir))
            self.daemons.append(Daemon(
                netns, ["dnsmasq", f"--conf-file={self.conf}", "--keep-in-foreground"],
                os.path.join(workdir, "dnsmasq.out"), self._answers, "dnsmasq"))
        except BaseException:
            self.close()
            raise

    def _answers(self):
        try:
            dnsq.query(DNS_V4, "ready.invalid", "A", netns=self.netns, timeout=0.2)
            return True
        except (OSError, TimeoutError):
            return False

    def query(self, name, qtype="A", netns=None, timeout=2.0):
        """Asks this server from `netns` (default: where it runs)."""
        return dnsq.query(DNS_V4, name, qtype, netns=netns or self.netns, timeout=timeout)

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def close(self):
        for daemon in reversed(self.daemons):
            daemon.close()
        self.daemons = []

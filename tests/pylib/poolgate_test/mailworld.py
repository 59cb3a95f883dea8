"""A delivery world: World (gateway + peer namespaces, pools, routes, BPF) plus
DNS and SMTP peers "on the internet", and poolgate's relay configured to
deliver to them through the real data plane.

    gw netns: poolgate run (127.0.0.1:2525), routes + tc/XDP up before it starts
    peer netns: dnsmasq 203.0.113.53 (dns_server.py), SMTP peers on port 25
                (203.0.113.25 mx1, .26 mx2, [2001:db8:25::25] mx6 by default),
                unreachable/blackholed next hops on request

    with MailWorld(poolgate, dns=SPEC, peers=[...]) as mw:
        qid = mw.submit("a@example.com", ["b@example.net"], "Subject: x\\r\\n\\r\\nhi\\r\\n")
        mw.wait_for(lambda: mw.peer_messages("mx1"), 20, "delivery to mx1")

relay=False builds everything but the daemon (the harness self-test, or a
binary without the engine); the config the engine reads is written anyway
(delivery_config()) so a test can inspect it. Everything is removed on close(),
at exit and on SIGTERM; a constructor failure cleans up what it had made.
"""
import atexit
import os
import re
import signal
import smtplib

from .delivery_checks import wait_for
from .dns_server import DNS_V4, DnsServer
from .dsn import dsn_report, parse_dsn  # noqa: F401 (re-exported for tests)
from .relay import RELAY_PORT, Relay, relay_section
from .smtp_peer import SmtpPeer
from .world import PEER_V4, PEER_V6, POOLS, World

DEFAULT_DNS = {
    "mx": [("example.net", 10, "mx1.example.net"), ("example.net", 20, "mx2.example.net"),
           ("example.org", 10, "mx6.example.org"), ("down.example", 10, "mx.down.example"),
           ("hole.example", 10, "mx.hole.example")],
    "a": [("mx1.example.net", "203.0.113.25"), ("mx2.example.net", "203.0.113.26"),
          ("mx.down.example", "203.0.113.27"), ("mx.hole.example", "203.0.113.28"),
          # RFC 5321 5.1: no MX, so the domain's own A is the implicit MX.
          ("implicit.example", "203.0.113.26"),
          # The tests' usual sender domain exists (an A record: implicit MX at
          # mx2), so the classifier's sender-domain rule keeps their mail in
          # the normal pool; domains with neither A nor MX go high-risk.
          ("example.com", "203.0.113.26")],
    # One name, one peer: mx1 and mx2 are IPv4 only, mx6 IPv6 only.
    "aaaa": [("mx6.example.org", "2001:db8:25::25")],
    "null_mx": ["nomail.example"],
    "servfail": ["broken.example"],
    "timeout": ["slow.example"],
}
DEFAULT_PEERS = [
    {"name": "mx1", "address": "203.0.113.25"},
    {"name": "mx2", "address": "203.0.113.26"},
    {"name": "mx6", "address": "2001:db8:25::25"},
]
# Next hops that are down: ICMP unreachable at once, or packets silently lost.
DEFAULT_UNREACHABLE, DEFAULT_BLACKHOLE = ["203.0.113.27"], ["203.0.113.28"]

DNS_SETTINGS = {"servers": [DNS_V4], "timeout_ms": 500, "attempts": 1}
DELIVERY_SETTINGS = {"retry_intervals_s": [2, 2], "connect_timeout_s": 3,
                     "command_timeout_s": 10, "data_timeout_s": 10, "max_lifetime_s": 60,
                     "delay_warning_s": 0, "port": 25, "tls": "opportunistic"}
CLASSIFY_SETTINGS = {"default_pool": "normal"}


def toml_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def toml_table(name, settings):
    return f"[{name}]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in settings.items())


class MailWorld:
    def __init__(self, poolgate, tag="mail", dns=None, peers=None, unreachable=None,
                 blackhole=None, pools=POOLS, strict_smtp=True, delivery=None,
                 dns_settings=None, classify=None, relay=True, relay_overrides=None,
                 limits=None, spam=None, reputation=None):
        """dns: zone spec (dns_server.py; default DEFAULT_DNS). peers: dicts with
        name, address, and optionally port, kind ("aiosmtpd"/"scripted"), args.
        delivery/dns_settings/classify: overrides of the [delivery]/[dns]/[classify]
        keys; limits/spam/reputation: that section (the product's defaults when None). pools: World's pool dicts, optionally with "weights"; addresses not in
        World's POOLS are added to the gateway's eth0 too."""
        self.world = World(poolgate, tag=tag, strict_smtp=strict_smtp)
        self.gw, self.peer = self.world.gw, self.world.peer
        self.dns = self.relay = None
        self.peers = {}
        self._closed = False
        self._pools, self._strict = pools, strict_smtp
        atexit.register(self.close)
        signal.signal(signal.SIGTERM, lambda *_: (self.close(), os._exit(143)))
        try:
            self._add_pool_addresses(pools)
            self._build(dns, peers, unreachable, blackhole)
            self.settings = {"dns": dict(DNS_SETTINGS, **(dns_settings or {})),
                             "delivery": dict(DELIVERY_SETTINGS, **(delivery or {})),
                             "classify": dict(CLASSIFY_SETTINGS, **(classify or {}))}
            # [limits] / [spam] only when a test sets them (product defaults otherwise).
            if limits:
                self.settings["limits"] = dict(limits)
            if spam:
                self.settings["spam"] = dict(spam)
            if reputation:
                self.settings["reputation"] = dict(reputation)
            self.relay_overrides = relay_overrides or {}
            # Routes and BPF from the base config, which every binary accepts; the
            # delivery keys only change what `poolgate run` does. Its pools are this
            # world's (marks, tables, addresses), without the delivery-only weights.
            self.world.write_config(self._strict, True, self._base_pools())
            self.world.up()
            self.write_delivery_config()
            if relay:
                self.start_relay()
        except BaseException:
            self.close()
            raise

    def _build(self, dns, peers, unreachable, blackhole):
        self.dns = DnsServer(self.peer, self.world.dir, DEFAULT_DNS if dns is None else dns)
        # A host that does not forward drops packets for other hosts silently, and
        # an unreachable route would answer nothing; forwarding on the uplink makes
        # it send ICMP unreachable (blackhole routes still drop silently).
        self.peer.sh("sysctl", "-qw", "net.ipv4.conf.eth0.forwarding=1")
        self.peer.sh("sysctl", "-qw", "net.ipv6.conf.eth0.forwarding=1")
        # ...every time: the per-destination ICMP rate limit (1/s, burst 6) would
        # otherwise turn some "unreachable" connects into connect timeouts once a
        # few deferred messages retry against down hosts from the same pool address.
        self.peer.sh("sysctl", "-qw", "net.ipv4.icmp_ratelimit=0")
        self.peer.sh("sysctl", "-qw", "net.ipv6.icmp.ratelimit=0")
        for address in DEFAULT_UNREACHABLE if unreachable is None else unreachable:
            self.peer.sh("ip", "route", "add", "unreachable", _host(address))
        for address in DEFAULT_BLACKHOLE if blackhole is None else blackhole:
            self.peer.sh("ip", "route", "add", "blackhole", _host(address))
        for spec in DEFAULT_PEERS if peers is None else peers:
            address = spec["address"]
            if address not in (PEER_V4, PEER_V6) and not self._on_peer_lo(address):
                self.peer.sh("ip", "addr", "add", _host(address), "dev", "lo",
                             *(["nodad"] if ":" in address else []))
            self.peers[spec["name"]] = SmtpPeer(
                self.peer, self.world.dir, spec["name"], address, spec.get("port", 25),
                spec.get("kind", "aiosmtpd"), spec.get("args", ()))

    def _base_pools(self):
        return [{k: v for k, v in p.items() if k != "weights"} for p in self._pools]

    def _add_pool_addresses(self, pools):
        """World puts only its own POOLS' addresses on the gateway's eth0; a custom
        pools list may name more (e.g. a drained third IPv4 address), which policy
        routing needs to be local (a pool table's src). Added here, /32 or /128."""
        known = {a for p in POOLS for a in p["addresses"]}
        for address in [a for p in pools for a in p["addresses"] if a not in known]:
            self.gw.sh("ip", "addr", "add", _host(address), "dev", "eth0",
                       *(["nodad"] if ":" in address else []))

    def _on_peer_lo(self, address):
        out = self.peer.sh("ip", "-o", "addr", "show", "dev", "lo").stdout
        return f" {address}/" in out

    # --- the relay ------------------------------------------------------------
    def delivery_config(self):
        """The config text `poolgate run` reads: base + relay + dns/delivery/classify."""
        spool = Relay.spool_of(self.world)
        return (relay_section(spool, **self.relay_overrides) + "\n" +
                "\n".join(toml_table(name, values) for name, values in self.settings.items()))

    def write_delivery_config(self):
        self.world.write_config(self._strict, True, self._pools, self.delivery_config())

    def start_relay(self):
        """Checks the config (a binary without the delivery keys says which one
        it does not know) and starts `poolgate run` in the gateway."""
        check = self.world.pg("check-config", "--no-host", check=False)
        if check.returncode != 0:
            raise EngineMissing(f"poolgate check-config rejects the delivery config "
                                f"(exit {check.returncode}):\n{check.stdout}{check.stderr}")
        self.relay = Relay(self.world.poolgate, world=self.world)

    def relay_log(self):
        return self.relay.log() if self.relay else ""

    # --- helpers --------------------------------------------------------------
    def submit(self, sender, rcpts, body, mail_options=(), rcpt_options=(), timeout=30):
        """One message into the relay (127.0.0.1:2525 in the gateway); returns its
        queue id. Raises smtplib errors on any refusal."""
        with self.gw.entered():
            smtp = smtplib.SMTP("127.0.0.1", RELAY_PORT, timeout=timeout)
        try:
            smtp.ehlo("client.example.com")
            code, reply = smtp.mail(sender, list(mail_options))
            if code != 250:
                raise smtplib.SMTPSenderRefused(code, reply, sender)
            for rcpt in rcpts:
                code, reply = smtp.rcpt(rcpt, list(rcpt_options))
                if code not in (250, 251):
                    raise smtplib.SMTPRecipientsRefused({rcpt: (code, reply)})
            code, reply = smtp.data(body.encode() if isinstance(body, str) else body)
            if code != 250:
                raise smtplib.SMTPDataError(code, reply)
            smtp.quit()
        finally:
            smtp.close()
        match = re.search(rb"queued as (\S+)", reply)
        return match.group(1).decode() if match else None

    # Polls until predicate() is truthy and returns its value (delivery_checks).
    wait_for = staticmethod(wait_for)

    def peer_messages(self, peer):
        """Messages a peer (name or SmtpPeer) accepted; see SmtpPeer.messages."""
        return (self.peers[peer] if isinstance(peer, str) else peer).messages()

    def peer_connections(self, peer):
        return (self.peers[peer] if isinstance(peer, str) else peer).connections()

    def queue(self):
        return self.relay.queue() if self.relay else []

    def queue_ids(self):
        return [m["queue_id"] for m in self.queue()]

    def dns_query(self, name, qtype="A", timeout=2.0):
        """Asks the world's DNS from the gateway namespace, as the relay would."""
        return self.dns.query(name, qtype, netns=self.gw, timeout=timeout)

    # --- cleanup ----------------------------------------------------------------
    def close(self):
        if self._closed:
            return
        self._closed = True
        if self.relay:
            self.relay.stop()
        for peer in self.peers.values():
            peer.close()
        if self.dns:
            self.dns.close()
        # `bpf detach` at close reads the config: the base one, which any binary reads.
        self.world.write_config(self._strict, True, self._base_pools())
        if self.relay:
            self.relay.close()  # closes the world too
        self.world.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class EngineMissing(RuntimeError):
    """The binary does not accept the delivery config (the engine is not in it)."""


def _host(address):
    return f"{address}/128" if ":" in address else f"{address}/32"

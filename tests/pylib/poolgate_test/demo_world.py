"""Runs the demo workload (demo_workload.py) in a MailWorld with spamd and
reads back, for every message, what each side saw:

    poolgate's log      `QID: classified pool=P reasons=R`, `status=sent|bounced`
    the recipient's MX  the message (its X-Poolgate-Classification trace
                        header) and the source address of the connection
    the queue           `poolgate queue show` of poolgate's own DSN

    run = DemoRun(poolgate)
    try:
        run.start()           # namespaces, DNS, MX peers, spamd, poolgate run
        rows = run.run()      # submit everything, wait, one Row per message
    finally:
        run.close()           # everything removed, also on failure
    run.leftovers()           # [] when nothing is left behind

Used by scripts/demo.py (prints it) and tests/integration/test_demo.py
(asserts it); row.problems lists every expectation about a row that did not
hold, run.problems those about the whole run (lost or doubled messages).
"""
import atexit
import email
import json
import os
import re
import signal
import subprocess
import time

from . import demo_workload as wl
from .delivery_checks import is_null_sender, log_lines, wait_for
from .dsn import parse_dsn
from .mailworld import MailWorld
from .spamd import Spamd
from .world import POOLS

POOL_ADDRESSES = {p["name"]: set(p["addresses"]) for p in POOLS}
DELIVERY_TIMEOUT = 30


class Terminated(BaseException):
    """SIGTERM during a DemoRun: unwinds like Ctrl-C, so every constructor
    and finally-block on the way removes what it made."""


def _raise_terminated(signum, frame):
    raise Terminated()


class Row:
    """What became of one message: expected vs seen, and every mismatch."""

    def __init__(self, label, sender, rcpt, pool, reason, mx):
        self.label, self.sender, self.rcpt = label, sender, rcpt
        self.expected_pool, self.expected_reason, self.mx = pool, reason, mx
        self.qid = self.pool = self.reasons = self.header = self.source = None
        self.item = None  # the workload Item (None for poolgate's own DSN)
        self.outcome = "-"
        self.problems = []

    @property
    def ok(self):
        return not self.problems

    def check(self, condition, what):
        if not condition:
            self.problems.append(what)
        return condition


def reasons_match(reasons, expected):
    """'clean' must be all there is; otherwise the first reason starts with
    the expected text (later reasons may add to it)."""
    if expected == "clean":
        return reasons == "clean"
    return bool(reasons) and reasons.split(", ")[0].startswith(expected)


def trace_header(data):
    """(pool, reasons) from the X-Poolgate-Classification field, or None."""
    value = email.message_from_bytes(data).get("X-Poolgate-Classification")
    if value is None:
        return None
    match = re.fullmatch(r"pool=(\S+); reasons=(.*)", " ".join(str(value).split()))
    return match.groups() if match else ("?", str(value))


class DemoRun:
    def __init__(self, poolgate, tag="demo", say=lambda text: None):
        self.poolgate, self.tag, self.say = poolgate, tag, say
        self.mw = self.spamd = None
        self.items = wl.workload()
        self.dsn_show = None  # `queue show` text of the DSN while it waited
        self.problems = []  # the whole run's: messages lost or doubled, queue left
        self._names = []
        self._processes = []

    # --- the world ---------------------------------------------------------------
    def start(self):
        """SIGTERM raises Terminated from here on. World and MailWorld install
        a SIGTERM handler of their own while they are built (close what is
        known, then exit), which would leave behind the DNS server or peer
        being started at that moment; for the duration of their constructors
        signal.signal keeps ours for SIGTERM, so their own except-blocks clean up."""
        signal.signal(signal.SIGTERM, _raise_terminated)
        real_signal = signal.signal

        def keep_ours(signum, handler):
            return _raise_terminated if signum == signal.SIGTERM else real_signal(signum, handler)
        signal.signal = keep_ours
        try:
            self._start()
        finally:
            signal.signal = real_signal

    def _start(self):
        t0 = time.monotonic()
        self.mw = MailWorld(self.poolgate, tag=self.tag, dns=wl.ZONE, peers=wl.PEERS,
                            unreachable=[], blackhole=[], relay=False, **wl.SETTINGS)
        world = self.mw.world
        self._names = [world.gw.name, world.peer.name]
        self.say(f"namespaces {world.gw.name} (gateway) and {world.peer.name} (internet), "
                 f"dnsmasq, {len(wl.PEERS)} MX hosts, routes and BPF: "
                 f"{time.monotonic() - t0:.1f} s")
        t1 = time.monotonic()
        atexit.register(self.close)
        self.spamd = Spamd(self.mw.gw, world.dir, wl.SPAMD_PORT, max_children=2, wait=False)
        self.mw.start_relay()  # while spamd loads its rules
        self.spamd.wait_ready()
        self.say(f"spamd (127.0.0.1:{wl.SPAMD_PORT} in the gateway) and poolgate run: "
                 f"{time.monotonic() - t1:.1f} s")
        self._processes = ([d.process for d in self.mw.dns.daemons] +
                           [p.daemon.process for p in self.mw.peers.values()] +
                           [self.mw.relay.process])

    def pg(self, *args, check=True):
        return self.mw.world.pg(*args, check=check)

    def pool_ids(self):
        """{pool id: name} from the pinned pg1_pool_names, as bpftool shows it."""
        out = self.mw.gw.sh("bpftool", "map", "dump", "pinned",
                            f"{self.mw.world.pin_path}/pg1_pool_names").stdout
        return {e["key"]: e["value"]["name"] for e in json.loads(out) if e["value"]["name"]}

    def bpftool_pools(self):
        """{pool name: counters summed over CPUs} from bpftool's dump of the
        pinned pg1_pool_stats (the same map `poolgate stats` reads)."""
        out = self.mw.gw.sh("bpftool", "map", "dump", "pinned",
                            f"{self.mw.world.pin_path}/pg1_pool_stats").stdout
        names, sums = self.pool_ids(), {}
        for entry in json.loads(out):
            if entry["key"] in names:
                total = sums.setdefault(names[entry["key"]], {})
                for per_cpu in entry["values"]:
                    for field, value in per_cpu["value"].items():
                        total[field] = total.get(field, 0) + value
        return sums

    def close(self):
        # A second SIGTERM does not interrupt the teardown (a Python handler,
        # not SIG_IGN, which the commands run from here would inherit).
        signal.signal(signal.SIGTERM, lambda *_: None)
        try:
            if self.spamd:
                self.spamd.close()
            if self.mw:
                self.mw.close()
        finally:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)

    def leftovers(self):
        """What is still there after close(): namespaces, pins, the world's
        directory, processes this run started. [] when nothing."""
        if not self.mw:
            return []
        left = []
        names = set(subprocess.run(["ip", "netns", "list"], capture_output=True,
                                   text=True).stdout.split())
        left += [f"namespace {n}" for n in self._names if n in names]
        for path in (self.mw.world.pin_path, self.mw.world.dir):
            if os.path.exists(path):
                left.append(path)
        left += [f"process {p.pid} ({' '.join(p.args[2:4])})" for p in self._processes
                 if p.poll() is None]
        if self.spamd and self.spamd.group_alive():
            left.append(f"spamd process group {self.spamd.process.pid}")
        return left

    # --- the workload ------------------------------------------------------------
    def run(self):
        """Submits the workload, waits until everything is delivered or bounced,
        and returns one Row per message plus one for poolgate's DSN."""
        # The sending company's MX is suspended while the workload runs, so the
        # DSN waits in the queue long enough for `queue show`.
        dsn_domain = wl.DSN["rcpt"].split("@")[1]
        self.pg("queue", "suspend", dsn_domain)
        self.say(f"$ poolgate queue suspend {dsn_domain}   # for the demo: poolgate's own "
                 f"bounce to {wl.DSN['rcpt']} waits, to be shown")
        rows = []
        t0 = time.monotonic()
        for item in self.items:
            row = Row(item.label, item.sender, item.rcpt, item.pool, item.reason, item.mx)
            row.item = item
            row.qid = self.mw.submit(item.sender, [item.rcpt], item.body())
            rows.append(row)
        self.say(f"{len(rows)} messages submitted to 127.0.0.1:2525 (each got its 250): "
                 f"{time.monotonic() - t0:.1f} s")
        t1 = time.monotonic()
        for row in rows:
            self._classified(row)
            if row.item.rejected:
                self._rejected(row)
            else:
                self._delivered(row)
        original = next(r for r in rows if r.item.key == wl.DSN["of"])
        dsn = self._dsn(original)
        self.pg("queue", "resume", dsn_domain)
        self.say(f"$ poolgate queue resume {dsn_domain}")
        self._dsn_delivered(dsn, original)
        rows.append(dsn)
        self._accounting(rows)
        self.say(f"delivered, bounced, DSN delivered, queue empty: {time.monotonic() - t1:.1f} s")
        return rows

    def _classified(self, row):
        lines = self._wait_log(row, ": classified pool=")
        if not row.check(lines, "no 'classified' log line"):
            return
        match = re.search(r"classified pool=(\S+)(?: \(held[^)]*\))? reasons=(.*)$", lines[0])
        row.pool, row.reasons = match.groups()
        row.check(row.pool == row.expected_pool,
                  f"classified {row.pool}, expected {row.expected_pool}")
        row.check(reasons_match(row.reasons, row.expected_reason),
                  f"reasons '{row.reasons}', expected '{row.expected_reason}...'")

    def _wait_log(self, row, text, timeout=DELIVERY_TIMEOUT):
        try:
            return wait_for(lambda: [l for l in log_lines(self.mw, row.qid) if text in l],
                            timeout, f"'{text}' about {row.qid}")
        except AssertionError:
            return []

    def _copies(self, marker):
        """[(peer name, message)] of every message at any MX holding `marker`."""
        return [(name, m) for name in self.mw.peers for m in self.mw.peer_messages(name)
                if marker in m["data"]]

    def _delivered(self, row):
        marker = row.item.message_id.encode()
        try:
            copies = wait_for(lambda: self._copies(marker), DELIVERY_TIMEOUT,
                              f"{row.rcpt} at {row.mx}")
        except AssertionError:
            row.check(False, f"not delivered to {row.mx} within {DELIVERY_TIMEOUT}s")
            return
        name, message = copies[0]
        row.source = message["peer"]
        row.outcome = "delivered"
        row.check(len(copies) == 1, f"{len(copies)} copies at the MX hosts")
        row.check(name == row.mx, f"delivered to {name}, expected {row.mx}")
        row.check(row.source in POOL_ADDRESSES[row.expected_pool],
                  f"MX saw {row.source}, not a {row.expected_pool} pool address")
        row.check([r.lower() for r in message["rcpt_tos"]] == [row.rcpt],
                  f"envelope recipients {message['rcpt_tos']}")
        row.header = trace_header(message["data"])
        row.check(row.header == (row.pool, row.reasons),
                  f"trace header {row.header} differs from the log ({row.pool}, {row.reasons})")
        sent = self._wait_log(row, "status=sent", 5)
        row.check(sent and f"pool={row.expected_pool} " in sent[0] and
                  f"source={row.source} " in sent[0], f"log 'status=sent' line: {sent}")

    def _rejected(self, row):
        peer = self.mw.peers[row.mx]
        rcpt_command = f"RCPT TO:<{row.rcpt}>".lower()
        bounced = self._wait_log(row, "status=bounced")
        if not row.check(bounced, "no 'status=bounced' log line"):
            return
        reply = re.search(r"status=bounced \((.*)\)", bounced[0])
        row.outcome = "bounced: " + (" ".join(reply.group(1).split()[:2]) if reply else "?")
        row.check(reply and reply.group(1).startswith("550 5.1.1"), f"bounce: {bounced[0]}")
        seen = [c for c in peer.connections()
                if any(cmd.lower().startswith(rcpt_command) for cmd in c["commands"])]
        if row.check(seen, f"{row.mx} never saw RCPT TO:<{row.rcpt}>"):
            row.source = seen[0]["peer"]
            row.check(row.source in POOL_ADDRESSES[row.expected_pool],
                      f"MX saw {row.source}, not a {row.expected_pool} pool address")
        row.check(not peer.messages(), f"{row.mx} accepted a message")

    def _dsn(self, original):
        d = wl.DSN
        row = Row(d["label"], "", d["rcpt"], d["pool"], d["reason"], d["mx"])
        lines = self._wait_log(original, "sender non-delivery notification:")
        if not row.check(lines, f"no DSN logged for {original.qid}"):
            return row
        row.qid = lines[0].rsplit(" ", 1)[1]
        shown = self.pg("queue", "show", row.qid, "--json", check=False)
        if not row.check(shown.returncode == 0, f"queue show {row.qid}: {shown.stderr}"):
            return row
        entry = json.loads(shown.stdout)
        self.dsn_show = self.pg("queue", "show", row.qid).stdout
        row.pool, row.reasons = entry["pool"], ", ".join(entry["reasons"])
        row.check(entry["sender"] == "", f"DSN sender {entry['sender']!r}")
        row.check(row.pool == row.expected_pool, f"queued for {row.pool}")
        row.check(reasons_match(row.reasons, row.expected_reason), f"reasons '{row.reasons}'")
        return row

    def _dsn_delivered(self, row, original):
        if row.qid is None:
            return
        marker = original.item.message_id.encode()

        def dsns():
            return [m for m in self.mw.peer_messages(row.mx)
                    if is_null_sender(m) and marker in m["data"]]
        try:
            got = wait_for(dsns, DELIVERY_TIMEOUT, f"the DSN at {row.mx}")
        except AssertionError:
            row.check(False, f"DSN not delivered to {row.mx} within {DELIVERY_TIMEOUT}s")
            return
        row.source, row.outcome = got[0]["peer"], "delivered"
        row.check(len(got) == 1, f"{len(got)} DSNs")
        row.check([r.lower() for r in got[0]["rcpt_tos"]] == [row.rcpt],
                  f"DSN to {got[0]['rcpt_tos']}")
        row.check(row.source in POOL_ADDRESSES[row.expected_pool],
                  f"MX saw {row.source}, not a {row.expected_pool} pool address")
        report = parse_dsn(got[0]["data"])
        row.check(len(report) == 1 and report[0].get("action") == "failed" and
                  report[0].get("status") == "5.1.1" and
                  original.rcpt in report[0].get("final-recipient", ""),
                  f"DSN report {report}")

    def _accounting(self, rows):
        """No accepted message lost or doubled: every MX holds exactly the
        messages the rows expect, and the queue is empty."""
        expected = sum(1 for r in rows if not (r.item and r.item.rejected))
        total = sum(len(self.mw.peer_messages(n)) for n in self.mw.peers)
        if total != expected:
            self.problems.append(f"the MX hosts hold {total} messages, expected {expected}")
        try:
            wait_for(lambda: not self.mw.queue(), 10, "an empty queue")
        except AssertionError:
            self.problems.append(f"queue not empty: {self.mw.queue_ids()}")

"""Fault tests' shared pieces: the two invariants every fault test checks, the
faults themselves (DNS server, SMTP peer, spamd stopped and started again),
and an SMTP submission that remembers a 250 even if the session dies after it.

Invariants (read back from a MailWorld after the fault):

    accepted = {qid: [rcpt, ...]}          # every message that got a 250
    assert_no_accepted_lost(tc, mw, accepted)
        each recipient of each accepted message reached a peer in a message
        carrying that queue id (poolgate's Received: ... id QID), or a DSN
        about that queue id and recipient reached a peer
    assert_sources_in_decided_pools(tc, mw)
        every message any peer accepted came from an address of the pool
        decided for it: null sender (NDR or poolgate's own DSN) -> high-risk;
        otherwise the relay log's latest decision for its queue id
        (`classified pool=` at arrival, `sender domain checked again: pool=`
        after a DNS hold), else its X-Poolgate-Classification: trace field;
        and every `status=sent` log line used that pool and one of its
        addresses.

decisions(log) parses those log lines; queue_id_of(message) finds the id.
"""
import collections
import os
import re
import smtplib
import time

from .daemons import Daemon
from .delivery_checks import all_messages, is_null_sender
from .relay import RELAY_PORT
from .smtp_peer import SmtpPeer
from .world import POOLS

QUEUE_ID = r"[0-9A-Z]{16}"
RECEIVED_ID = re.compile(rb"\bby \S+ \(poolgate\) with \S+ id (" + QUEUE_ID.encode() + rb")")
TRACE = re.compile(rb"^X-Poolgate-Classification: pool=([^;\r\n]+); reasons=([^\r\n]*)", re.M)
CLASSIFIED = re.compile(rf" ({QUEUE_ID}): classified pool=(\S+)( \(held: [^)]*\))? reasons=(.*)$")
RECHECKED = re.compile(rf" ({QUEUE_ID}): sender domain checked again: pool=(\S+) reasons=(.*)$")
SENT = re.compile(rf" ({QUEUE_ID}): pool=(\S+) mx=\S+ to=<([^>]*)> relay=\S+ source=(\S+) "
                  r".*status=sent")
BOUNCED = re.compile(rf" ({QUEUE_ID}): .*status=bounced")

Decision = collections.namedtuple("Decision", "pool reasons held rechecked")


def pool_addresses(pools=POOLS):
    """{pool name: set of its addresses}."""
    return {p["name"]: set(p["addresses"]) for p in pools}


def decisions(log):
    """{queue id: Decision} from the relay log: the arrival decision, replaced
    by a later re-check after a DNS hold (held=True while only the arrival
    decision of a held message is known)."""
    out = {}
    for line in log.splitlines():
        match = CLASSIFIED.search(line)
        if match:
            qid, pool, held, reasons = match.groups()
            out[qid] = Decision(pool, reasons, bool(held), False)
            continue
        match = RECHECKED.search(line)
        if match:
            qid, pool, reasons = match.groups()
            out[qid] = Decision(pool, reasons, False, True)
    return out


def sent_lines(log):
    """[(qid, pool, rcpt, source)] for every `status=sent` line."""
    return [m.groups() for m in map(SENT.search, log.splitlines()) if m]


def bounced_ids(log):
    return {m.group(1) for m in map(BOUNCED.search, log.splitlines()) if m}


def queue_id_of(message):
    """The queue id in poolgate's own Received: field (the first one: a DSN
    quotes the original's headers further down, never above its own)."""
    match = RECEIVED_ID.search(message["data"])
    return match.group(1).decode() if match else None


def trace_of(message):
    """(pool, reasons) of the X-Poolgate-Classification: field, or None."""
    match = TRACE.search(message["data"].split(b"\r\n\r\n", 1)[0])
    return (match.group(1).decode(), match.group(2).decode()) if match else None


def arrivals(mw):
    """{(qid, rcpt lower case): number of copies peers accepted}, DSNs left out."""
    counts = collections.Counter()
    for _, m in all_messages(mw):
        if is_null_sender(m) and b"multipart/report" in m["data"][:4000]:
            continue  # a DSN quotes the original's id; it is not a copy of it
        qid = queue_id_of(m)
        for rcpt in m["rcpt_tos"]:
            counts[(qid, rcpt.lower())] += 1
    return counts


def dsn_about(mw, qid, rcpt):
    """Peer messages from <> that report on `rcpt` of queue id `qid`."""
    return [m for _, m in all_messages(mw) if is_null_sender(m)
            and b"multipart/report" in m["data"][:4000]
            and qid.encode() in m["data"] and rcpt.lower().encode() in m["data"].lower()]


def missing(mw, accepted):
    """[(qid, rcpt)] of accepted recipients neither delivered nor reported on."""
    got = arrivals(mw)
    return [(qid, rcpt) for qid, rcpts in accepted.items() for rcpt in rcpts
            if not got.get((qid, rcpt.lower())) and not dsn_about(mw, qid, rcpt)]


def wait_all_delivered(mw, accepted, timeout, interval=0.25):
    """Waits until nothing accepted is missing; AssertionError listing what is."""
    deadline = time.monotonic() + timeout
    while True:
        left = missing(mw, accepted)
        if not left:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"after {timeout}s, {len(left)} accepted recipients never "
                                 f"reached a peer: {left[:10]}")
        time.sleep(interval)


def assert_no_accepted_lost(tc, mw, accepted):
    tc.assertEqual(missing(mw, accepted), [], "accepted (250) but never delivered or bounced")


def assert_sources_in_decided_pools(tc, mw, pools=POOLS):
    """Checks every message at every peer; returns {pool: messages checked}."""
    addresses = pool_addresses(pools)
    log = mw.relay_log()
    decided = decisions(log)
    checked = collections.Counter()
    for name, m in all_messages(mw):
        qid = queue_id_of(m)
        where = f"message {qid} at {name} from {m['peer']} (sender <{m['mail_from']}>)"
        if is_null_sender(m):
            pool = "high-risk"  # bounces and DSNs: always (README, Delivery 1.)
            if qid in decided and b"multipart/report" not in m["data"][:4000]:
                tc.assertEqual(decided[qid].pool, "high-risk", where)
        else:
            trace = trace_of(m)
            if qid in decided:
                pool = decided[qid].pool
                # The trace field is written at arrival: it names the arrival pool,
                # which a DNS hold may change later.
                if trace and not decided[qid].held and not decided[qid].rechecked:
                    tc.assertEqual(trace[0], pool, f"{where}: trace field vs log")
            else:
                tc.assertIsNotNone(trace, f"{where}: no decision in the log nor a trace field")
                pool = trace[0]
        tc.assertIn(m["peer"], addresses[pool], f"{where}: not an address of its pool {pool}")
        checked[pool] += 1
    for qid, pool, rcpt, source in sent_lines(log):
        if qid in decided and not decided[qid].held:
            tc.assertEqual(pool, decided[qid].pool, f"{qid} <{rcpt}> sent through another pool")
        tc.assertIn(source, addresses[pool], f"{qid} <{rcpt}>: source {source} not in {pool}")
    return checked


# --- submitting ---------------------------------------------------------------------
def submit(mw, sender, rcpts, body, timeout=20):
    """One message into the relay. Returns (queue id or None, (code, reply) of
    the refusal or the exception's repr): a 250 at the end of data counts even
    if QUIT fails afterwards (the daemon killed in between)."""
    try:
        with mw.gw.entered():
            smtp = smtplib.SMTP("127.0.0.1", RELAY_PORT, timeout=timeout)
    except (OSError, smtplib.SMTPException) as e:
        return None, repr(e)
    try:
        smtp.ehlo("client.example.com")
        code, reply = smtp.mail(sender)
        if code != 250:
            return None, (code, reply.decode(errors="replace"))
        for rcpt in rcpts:
            code, reply = smtp.rcpt(rcpt)
            if code not in (250, 251):
                return None, (code, reply.decode(errors="replace"))
        code, reply = smtp.data(body.encode() if isinstance(body, str) else body)
        if code != 250:
            return None, (code, reply.decode(errors="replace"))
        match = re.search(rb"queued as (\S+)", reply)
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            pass
        return (match.group(1).decode() if match else "?"), None
    except (OSError, smtplib.SMTPException) as e:
        return None, repr(e)
    finally:
        smtp.close()


# --- faults: DNS ----------------------------------------------------------------------
def stop_dns(dns):
    """Stops the world's dnsmasq (SIGTERM by pid). Its address stays: queries
    then get ICMP port unreachable, as from a resolver host whose daemon died."""
    for daemon in [d for d in dns.daemons if d.name == "dnsmasq"]:
        daemon.close()
        dns.daemons.remove(daemon)


def start_dns(dns):
    """Starts dnsmasq again with the same zone; dns.close() stops it as before."""
    if any(d.name == "dnsmasq" and d.alive() for d in dns.daemons):
        return

    def answers():
        try:
            dns.query("ready.invalid", "A", timeout=0.2)
            return True
        except (OSError, TimeoutError):
            return False
    dns.daemons.append(Daemon(dns.netns, ["dnsmasq", f"--conf-file={dns.conf}",
                                          "--keep-in-foreground"],
                              os.path.join(dns.workdir, "dnsmasq.out"), answers, "dnsmasq"))


# --- faults: SMTP peers -------------------------------------------------------------
def stop_peer(mw, name):
    """Stops a peer (its listener goes: connections are refused). Its record
    stays readable through mw.peers[name]."""
    mw.peers[name].close()


def start_peer_again(mw, name, new_name, args=()):
    """A new aiosmtpd peer on the stopped one's address and port, recorded
    under new_name (mw.peers[new_name]) so the old record is kept."""
    old = mw.peers[name]
    mw.peers[new_name] = SmtpPeer(mw.peer, mw.world.dir, new_name, old.address, old.port,
                                  "aiosmtpd", args)
    return mw.peers[new_name]


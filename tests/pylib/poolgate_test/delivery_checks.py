"""What the delivery-outcome tests read back from a MailWorld: messages the
peers accepted (for an address, DSNs only), the queue as `poolgate queue list
--json` shows it, and the relay's log lines about one queue id.

    mw = MailWorld(...)
    dsns = dsns_to(mw, "alice@implicit.example")       # [(peer name, message)]
    entry = wait_recipient(mw, qid, "temp@example.net", "deferred", 10)
    wait_gone(mw, qid, 10)

Addresses compare case-insensitively. aiosmtpd records a null reverse-path as
"<>"; is_null_sender() accepts that and "".
"""
import time

from .world import POOLS

NORMAL_POOL = {a for p in POOLS if p["name"] == "normal" for a in p["addresses"]}
HIGH_RISK_POOL = {a for p in POOLS if p["name"] == "high-risk" for a in p["addresses"]}


def wait_for(predicate, timeout, what="condition", interval=0.1):
    """Polls until predicate() is truthy and returns its value; AssertionError
    naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def is_null_sender(message):
    return message["mail_from"] in ("", "<>")


def all_messages(mw):
    """[(peer name, message)] for every message any peer accepted."""
    return [(name, m) for name in mw.peers for m in mw.peer_messages(name)]


def messages_to(mw, address):
    """Non-DSN messages accepted for `address`, at any peer."""
    address = address.lower()
    return [(n, m) for n, m in all_messages(mw)
            if not is_null_sender(m) and address in [r.lower() for r in m["rcpt_tos"]]]


def dsns_to(mw, address):
    """Messages from the null reverse-path to `address` (DSNs), at any peer, in
    arrival order per peer."""
    address = address.lower()
    return [(n, m) for n, m in all_messages(mw)
            if is_null_sender(m) and address in [r.lower() for r in m["rcpt_tos"]]]


def queue_entry(mw, queue_id):
    for entry in mw.queue():
        if entry["queue_id"] == queue_id:
            return entry
    return None


def recipient_entry(mw, queue_id, address):
    entry = queue_entry(mw, queue_id)
    if not entry:
        return None
    for r in entry["recipients"]:
        if r["address"].lower() == address.lower():
            return r
    return None


def wait_recipient(mw, queue_id, address, state, timeout, min_attempts=0):
    """The recipient's queue record once it is in `state` (and has at least
    min_attempts attempts)."""
    def check():
        r = recipient_entry(mw, queue_id, address)
        return r if r and r["state"] == state and r["attempts"] >= min_attempts else None
    return wait_for(check, timeout, f"{queue_id} <{address}> {state} in the queue",
                    interval=0.05)


def wait_gone(mw, queue_id, timeout):
    wait_for(lambda: queue_id not in mw.queue_ids(), timeout, f"{queue_id} to leave the queue")


def log_lines(mw, queue_id):
    """The relay's log lines about `queue_id`, in order."""
    return [line for line in mw.relay_log().splitlines() if f" {queue_id}: " in line]


def wait_log(mw, queue_id, text, timeout):
    return wait_for(lambda: [l for l in log_lines(mw, queue_id) if text in l], timeout,
                    f"'{text}' in the log about {queue_id}")


def split_received(data):
    """(first header field with its folded lines, the rest) of raw message bytes."""
    lines = data.split(b"\r\n")
    n = 1
    while n < len(lines) and lines[n][:1] in (b" ", b"\t"):
        n += 1
    return b"\r\n".join(lines[:n]) + b"\r\n", b"\r\n".join(lines[n:])

"""What both test peers answer, and how they record what they saw, so a test
reads the same outcome from either peer.

Recipients (local part, case-insensitive): containing "tempfirst" -> 451 4.2.0
on the first RCPT for that address in this peer process and 250 afterwards (a
retry succeeds); otherwise "temp" -> 451 4.2.0, "perm" -> 550 5.1.1, "listed"
-> 554 5.7.1 (a blocklist's refusal), "slow" -> the normal 250 after --slow
seconds.
Senders: "datatemp" -> 451 4.3.0 at the end of data, "dataperm" -> 554 5.6.0,
"slowdata" -> the normal 250 after --slow seconds.

The record is one JSON file, rewritten (atomically) after every event:
{"connections": [{"peer": ip, "tls": bool, "commands": [...],
                  "messages": [{"mail_from", "mail_options", "rcpt_tos",
                                "rcpt_options", "data_hex", "raw_hex"}],
                  "violations": [...]}]}

The peers import this module from their own folder (Python puts a script's
folder first on its path). They stay scripts run by path, outside the
poolgate_test package, because the C++ unit tests start them too
(tests/unit/delivery_test_support.h).
"""
import json
import os
import threading


def local_part(address):
    return address.rsplit("@", 1)[0].lower()


_seen_tempfirst = set()
_seen_lock = threading.Lock()


def rcpt_rule(address):
    """(delay?, reply) for a recipient; delay True means wait --slow seconds."""
    local = local_part(address)
    if "tempfirst" in local:
        with _seen_lock:
            first = address.lower() not in _seen_tempfirst
            _seen_tempfirst.add(address.lower())
        if first:
            return False, "451 4.2.0 Mailbox temporarily unavailable (try again)"
        return False, "250 2.1.5 Ok"
    if "temp" in local:
        return False, "451 4.2.0 Mailbox temporarily unavailable"
    if "perm" in local:
        return False, "550 5.1.1 No such user"
    if "listed" in local:
        return False, ("554 5.7.1 Service unavailable; Client host [198.51.100.10] blocked "
                       "using zen.spamhaus.org")
    return "slow" in local, "250 2.1.5 Ok"


def data_rule(sender):
    """(delay?, reply) at the end of data."""
    local = local_part(sender)
    if "datatemp" in local:
        return False, "451 4.3.0 Try again later"
    if "dataperm" in local:
        return False, "554 5.6.0 Content rejected"
    return "slowdata" in local, "250 2.0.0 Ok: queued"


class Recorder:
    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        self.connections = []
        self.flush()

    def connection(self, peer):
        with self.lock:
            entry = {"peer": peer, "tls": False, "commands": [], "messages": [],
                     "violations": []}
            self.connections.append(entry)
        self.flush()
        return entry

    def flush(self):
        # The write under the lock too: two sessions flushing at once would
        # otherwise write the one .tmp file together and leave it garbled.
        with self.lock:
            text = json.dumps({"connections": self.connections}, indent=1)
            tmp = self.path + ".tmp"
            with open(tmp, "w") as f:
                f.write(text)
            os.replace(tmp, self.path)


def announce_ready(path):
    """Tells the test the listener is up (it polls for the file)."""
    with open(path + ".tmp", "w") as f:
        f.write("ready\n")
    os.replace(path + ".tmp", path)

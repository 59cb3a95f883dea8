"""One SMTP peer process (tests/peers/aiosmtpd_peer.py or scripted_peer.py) in
a namespace, listening on an address and port, recording every connection to
its own JSON file (peer_rules.py's format: "peer" is the client address the
peer saw, "messages" what it accepted)."""
import json
import os

from .daemons import Daemon, peer_argv

SCRIPTS = {"aiosmtpd": "aiosmtpd_peer.py", "scripted": "scripted_peer.py"}


class SmtpPeer:
    def __init__(self, netns, workdir, name, address, port=25, kind="aiosmtpd", args=()):
        """`args`: extra options of the peer script (e.g. ["--pipelining", "--dsn"])."""
        self.name, self.address, self.port = name, address, port
        self.record_path = os.path.join(workdir, f"peer-{name}.json")
        ready = os.path.join(workdir, f"peer-{name}.ready")
        argv = peer_argv(SCRIPTS[kind], "--listen", address, "--port", str(port),
                         "--record", self.record_path, "--ready", ready, *args)
        self.daemon = Daemon(netns, argv, os.path.join(workdir, f"peer-{name}.out"),
                             lambda: os.path.exists(ready), f"peer {name} ({kind})")

    def record(self):
        with open(self.record_path) as f:
            return json.load(f)

    def connections(self):
        return self.record()["connections"]

    def messages(self):
        """Every accepted message, with "peer" (the client address) and "data"
        (the content as bytes, from data_hex) added."""
        out = []
        for connection in self.connections():
            for message in connection["messages"]:
                out.append(dict(message, peer=connection["peer"],
                                data=bytes.fromhex(message["data_hex"])))
        return out

    def close(self):
        self.daemon.close()

#!/usr/bin/python3
"""A raw, scripted SMTP server for the delivery client's odd cases: no
PIPELINING (and a check that the client waits for every reply), no EHLO, a
421 greeting, no 8BITMIME, dying in the middle of DATA, silence (timeouts),
STARTTLS with a given certificate, any reply replaced. It records the exact
octets of every DATA phase, so a test can check CRLF and dot-stuffing on the
wire. Answers per recipient as peer_rules says. Killed by the test.

--per-source FILE: a JSON object {client address: {VERB: reply}} read at each
new connection (a test rewrites it to lift a block): a receiver that blocks
or rate-limits one source address (GREETING, EHLO, MAIL, RCPT, DOT...).
Each connection's record carries its start and end time (time.monotonic()),
so a test can count how many were open at once.
"""
import argparse
import json
import select
import socket
import ssl
import threading
import time

import peer_rules


class Closed(Exception):
    pass


class Session:
    def __init__(self, sock, args, recorder, record):
        self.sock, self.args, self.recorder, self.record = sock, args, recorder, record
        self.buf = b""
        self.extensions = [e for e in args.extensions.split(",") if e]
        self.pipelining = "PIPELINING" in self.extensions
        self.overrides = dict(o.split("=", 1) for o in args.reply)
        self.greeting = args.greeting
        if args.per_source:
            try:
                with open(args.per_source) as f:
                    rules = json.load(f).get(record["peer"], {})
            except (OSError, ValueError):
                rules = {}
            self.greeting = rules.pop("GREETING", self.greeting)
            self.overrides.update(rules)
        self.reset()

    def reset(self):
        self.mail_from, self.mail_options, self.rcpts, self.rcpt_options = None, [], [], []

    # ---- I/O ----
    def recv(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise Closed()
        self.buf += chunk

    def readline(self):
        while b"\n" not in self.buf:
            if self.args.idle_close and self.mail_from is None and not self.buf:
                # A receiver's own idle timeout between transactions: say so
                # and hang up, as servers do ("421 4.4.2 ... timeout").
                if not select.select([self.sock], [], [], self.args.idle_close)[0]:
                    self.send("421 4.4.2 scripted.test Error: timeout exceeded")
                    self.record["closed_with"] = "idle timeout"
                    raise Closed()
            self.recv()
        line, _, self.buf = self.buf.partition(b"\n")
        text = line.rstrip(b"\r").decode("utf-8", "replace")
        self.record["commands"].append(text)
        if not self.pipelining and self.more_waiting():
            self.record["violations"].append(f"input pipelined after {text!r}")
        self.recorder.flush()
        return text

    def more_waiting(self):
        """Input behind the line just read: sent without waiting for its reply."""
        if self.buf:
            return True
        if isinstance(self.sock, ssl.SSLSocket) and self.sock.pending():
            return True
        return bool(select.select([self.sock], [], [], 0.05)[0])

    def send(self, reply):
        self.sock.sendall(reply.encode() + b"\r\n")

    def silent(self, where):
        """Never answers: waits until the client gives up and closes."""
        self.record["violations"].append(f"silent at {where}")  # not a client fault; a marker
        self.recorder.flush()
        try:
            while True:
                self.recv()
        except (Closed, OSError):
            raise Closed()

    def answer(self, verb, default):
        if self.args.silent_at == verb:
            self.silent(verb)
        reply = self.overrides.get(verb, default)
        self.send(reply)
        if reply.startswith("421"):
            self.record["closed_with"] = reply
            raise Closed()
        return reply

    # ---- the dialogue ----
    def run(self):
        if self.args.silent_at == "GREETING":
            self.silent("GREETING")
        self.send(self.greeting)
        if not self.greeting.startswith("220"):
            # RFC 5321 3.1: after a refusal, wait for QUIT.
            while True:
                verb = self.readline().split(" ")[0].upper()
                if verb == "QUIT":
                    self.send("221 2.0.0 Bye")
                    return
                self.send("503 5.5.1 No service")
        while True:
            line = self.readline()
            verb, _, arg = line.partition(" ")
            verb = verb.upper()
            handler = getattr(self, "do_" + verb, None)
            if handler is None:
                self.answer(verb, "500 5.5.2 Command not recognized")
            elif handler(arg) == "quit":
                return

    def do_EHLO(self, arg):
        if self.args.no_ehlo:
            return self.answer("EHLO", "502 5.5.1 EHLO not implemented")
        lines = ["scripted.test"] + self.extensions
        text = "\r\n".join(f"250-{l}" for l in lines[:-1]) + ("\r\n" if len(lines) > 1 else "")
        self.answer("EHLO", text + "250 " + lines[-1])

    def do_HELO(self, arg):
        self.answer("HELO", "250 scripted.test")

    def do_STARTTLS(self, arg):
        if self.args.inject_after_starttls:
            # Plain text behind the 220, in the same segment, as an attacker would.
            self.send("220 2.0.0 Ready to start TLS\r\n250 2.0.0 injected")
            reply = "220"
        else:
            reply = self.answer("STARTTLS", "220 2.0.0 Ready to start TLS")
        if not reply.startswith("220"):
            return
        self.buf = b""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.args.tls_cert, self.args.tls_key)
        try:
            self.sock = context.wrap_socket(self.sock, server_side=True)
        except (ssl.SSLError, OSError) as e:
            self.record["violations"].append(f"tls handshake failed: {e}")
            raise Closed()
        self.record["tls"] = True
        self.recorder.flush()

    def do_MAIL(self, arg):
        path, _, params = arg[len("FROM:"):].partition(" ") if arg.upper().startswith("FROM:") \
            else ("", "", "")
        if self.mail_from is not None:
            return self.answer("MAIL", "503 5.5.1 Nested MAIL command")
        self.record["lines_buffered_after_mail"] = self.buf.count(b"\n")
        reply = self.answer("MAIL", "250 2.1.0 Ok")
        if reply.startswith("2"):
            self.mail_from, self.mail_options = path.strip("<>"), params.split()

    def do_RCPT(self, arg):
        path, _, params = arg[len("TO:"):].partition(" ")
        address = path.strip("<>")
        if self.mail_from is None:
            return self.answer("RCPT", "503 5.5.1 Need MAIL command")
        slow, default = peer_rules.rcpt_rule(address)
        if slow:
            time.sleep(self.args.slow)
        reply = self.answer("RCPT", default)
        if reply.startswith("2"):
            self.rcpts.append(address)
            self.rcpt_options.append(params.split())

    def do_DATA(self, arg):
        if not self.rcpts and not self.args.accept_empty_data:
            return self.answer("DATA", "554 5.5.1 No valid recipients")
        self.answer("DATA", "354 End data with <CR><LF>.<CR><LF>")
        raw = self.read_data()
        slow, default = peer_rules.data_rule(self.mail_from or "")
        message = {"mail_from": self.mail_from, "mail_options": self.mail_options,
                   "rcpt_tos": self.rcpts, "rcpt_options": self.rcpt_options,
                   "raw_hex": raw.hex(), "data_hex": unstuff(raw).hex(),
                   "tls": isinstance(self.sock, ssl.SSLSocket),
                   "reply": self.overrides.get("DOT", default)}  # what the client is told
        self.record["messages"].append(message)
        self.recorder.flush()
        if slow:
            time.sleep(self.args.slow)
        self.reset()
        self.answer("DOT", default)

    def read_data(self):
        """The DATA octets up to and including CRLF.CRLF, exactly as sent."""
        while True:
            if self.buf.startswith(b".\r\n"):
                end = 3
                break
            at = self.buf.find(b"\r\n.\r\n")
            if at >= 0:
                end = at + 5
                break
            if self.args.die_in_data and len(self.buf) >= self.args.die_in_data:
                self.record["violations"].append("died in DATA")  # a marker
                self.recorder.flush()
                self.sock.close()
                raise Closed()
            if self.args.silent_at == "CONTENT":
                self.silent("CONTENT")
            self.recv()
        raw, self.buf = self.buf[:end], self.buf[end:]
        return raw

    def do_RSET(self, arg):
        self.reset()
        self.answer("RSET", "250 2.0.0 Ok")

    def do_NOOP(self, arg):
        self.answer("NOOP", "250 2.0.0 Ok")

    def do_QUIT(self, arg):
        self.answer("QUIT", "221 2.0.0 Bye")
        return "quit"


def unstuff(raw):
    """The message as the client meant it: terminator removed, dots unstuffed."""
    body = raw[:-3] if raw.endswith(b".\r\n") else raw
    lines = body.split(b"\r\n")
    return b"\r\n".join(l[1:] if l.startswith(b".") else l for l in lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", required=True)
    ap.add_argument("--port", type=int, default=25)
    ap.add_argument("--record", required=True)
    ap.add_argument("--ready", required=True)
    ap.add_argument("--greeting", default="220 scripted.test ESMTP")
    ap.add_argument("--extensions", default="PIPELINING,8BITMIME,ENHANCEDSTATUSCODES,SIZE 10000000")
    ap.add_argument("--no-ehlo", action="store_true", help="502 to EHLO: the client must HELO")
    ap.add_argument("--reply", action="append", default=[],
                    help="VERB=REPLY replaces the reply to VERB (DOT: end of data)")
    ap.add_argument("--silent-at", help="GREETING, EHLO, MAIL, RCPT, DATA, CONTENT, DOT...")
    ap.add_argument("--die-in-data", type=int, default=0, help="close after N octets of DATA")
    ap.add_argument("--accept-empty-data", action="store_true")
    ap.add_argument("--inject-after-starttls", action="store_true")
    ap.add_argument("--slow", type=float, default=0)
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--per-source", help="JSON {client address: {VERB: reply}}, read per connection")
    ap.add_argument("--idle-close", type=float, default=0,
                    help="421 and close when a client is silent this long between transactions")
    args = ap.parse_args()
    recorder = peer_rules.Recorder(args.record)

    family = socket.AF_INET6 if ":" in args.listen else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((args.listen, args.port))
    listener.listen(16)
    peer_rules.announce_ready(args.ready)

    def serve(sock, peer):
        record = recorder.connection(peer)
        record["start"] = time.monotonic()
        try:
            Session(sock, args, recorder, record).run()
        except (Closed, OSError):
            pass
        finally:
            record["end"] = time.monotonic()
            recorder.flush()
            try:
                sock.close()
            except OSError:
                pass

    while True:
        sock, peer = listener.accept()
        threading.Thread(target=serve, args=(sock, peer[0]), daemon=True).start()


if __name__ == "__main__":
    main()

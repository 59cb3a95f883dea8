"""A tiny DNS client (stdlib only) for checking the test world's DNS: one UDP
query, the answer section decoded for A, AAAA and MX. dig is not installed on
the test hosts (bind9-dnsutils is not a dependency); this is all they need.

    query("203.0.113.53", "example.net", "MX", netns=world.gw)
    -> Answer(rcode="NOERROR", records=[("MX", (10, "mx1.example.net")), ...])

A timeout raises TimeoutError (the slow domain); rcodes are names.
"""
import collections
import os
import socket
import struct

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "MX": 15, "TXT": 16, "AAAA": 28}
TYPE_NAMES = {v: k for k, v in TYPES.items()}
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}

Answer = collections.namedtuple("Answer", "rcode records")


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode("idna")
    return out + b"\0"


def decode_name(message, offset):
    """(name, offset after the name in place), following compression pointers."""
    labels, end, jumps = [], None, 0
    while True:
        length = message[offset]
        if length & 0xC0 == 0xC0:
            if end is None:
                end = offset + 2
            offset = ((length & 0x3F) << 8) | message[offset + 1]
            jumps += 1
            if jumps > 64:
                raise ValueError("compression loop")
            continue
        offset += 1
        if length == 0:
            break
        labels.append(message[offset:offset + length].decode("ascii", "replace"))
        offset += length
    return (".".join(labels) or "."), (end if end is not None else offset)


def build_query(name, qtype, ident):
    header = struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0)  # RD set
    return header + encode_name(name) + struct.pack("!HH", TYPES[qtype], 1)


def _rdata(message, rtype, start, length):
    data = message[start:start + length]
    if rtype == 1:
        return socket.inet_ntop(socket.AF_INET, data)
    if rtype == 28:
        return socket.inet_ntop(socket.AF_INET6, data)
    if rtype == 15:
        return struct.unpack("!H", data[:2])[0], decode_name(message, start + 2)[0]
    if rtype == 5:
        return decode_name(message, start)[0]
    return data


def parse_response(message, ident):
    got, flags, qd, an, _, _ = struct.unpack("!HHHHHH", message[:12])
    if got != ident:
        raise ValueError("reply to another query")
    offset = 12
    for _ in range(qd):
        offset = decode_name(message, offset)[1] + 4
    records = []
    for _ in range(an):
        offset = decode_name(message, offset)[1]
        rtype, _, _, length = struct.unpack("!HHIH", message[offset:offset + 10])
        offset += 10
        records.append((TYPE_NAMES.get(rtype, rtype), _rdata(message, rtype, offset, length)))
        offset += length
    return Answer(RCODES.get(flags & 0xF, flags & 0xF), records)


def query(server, name, qtype="A", netns=None, timeout=2.0, port=53):
    """One query over UDP from inside `netns` (the caller's namespace if None)."""
    family = socket.AF_INET6 if ":" in server else socket.AF_INET
    if netns is not None:
        with netns.entered():
            sock = socket.socket(family, socket.SOCK_DGRAM)
    else:
        sock = socket.socket(family, socket.SOCK_DGRAM)
    ident = struct.unpack("!H", os.urandom(2))[0]
    try:
        sock.settimeout(timeout)
        sock.sendto(build_query(name, qtype, ident), (server, port))
        try:
            message = sock.recv(65535)
        except socket.timeout:
            raise TimeoutError(f"no answer from {server} for {name} {qtype} in {timeout}s")
        return parse_response(message, ident)
    finally:
        sock.close()


def values(answer, rtype):
    """The decoded data of the answer's records of one type."""
    return [data for kind, data in answer.records if kind == rtype]

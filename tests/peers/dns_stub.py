#!/usr/bin/python3
"""A DNS server that fails on purpose, for the delivery world's broken
domains: answers every UDP query with one rcode (SERVFAIL by default), the
question echoed and nothing else. dnsmasq forwards the broken domains here
(`--server=/broken.example/ADDR`), because dnsmasq itself cannot be told to
answer SERVFAIL for a name. Killed by the test.
"""
import argparse
import socket

import peer_rules

RCODES = {"SERVFAIL": 2, "NXDOMAIN": 3, "REFUSED": 5}


def answer(query, rcode):
    """The reply: same id and question (one, without the query's EDNS record)."""
    end = 12
    while end < len(query) and query[end]:
        end += 1 + query[end]
    end += 5  # the root label, QTYPE, QCLASS
    if len(query) < end or query[4:6] != b"\0\1":
        return None
    flags = 0x8000 | (query[2] & 0x79) << 8 | 0x80 | rcode  # QR, opcode+RD kept, RA
    return query[:2] + flags.to_bytes(2, "big") + b"\0\1" + b"\0" * 6 + query[12:end]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", required=True)
    ap.add_argument("--port", type=int, default=53)
    ap.add_argument("--rcode", choices=sorted(RCODES), default="SERVFAIL")
    ap.add_argument("--ready", required=True)
    args = ap.parse_args()
    family = socket.AF_INET6 if ":" in args.listen else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.bind((args.listen, args.port))
    peer_rules.announce_ready(args.ready)
    while True:
        query, client = sock.recvfrom(4096)
        reply = answer(query, RCODES[args.rcode])
        if reply:
            sock.sendto(reply, client)


if __name__ == "__main__":
    main()

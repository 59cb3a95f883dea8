"""A DNS server that answers every query the same scripted way, for the DNS
tests' failure cases dnsmasq cannot produce on demand.

    dns_responder.py MODE      (the bound UDP socket is inherited as fd 3)

MODE: "servfail" and "refused" answer with that RCODE; "garbled" answers
NOERROR claiming one answer record that is cut off after its owner name.
Python stdlib only; runs until killed.
"""
import socket
import struct
import sys

RCODES = {"servfail": 2, "refused": 5, "garbled": 0}


def question_end(query):
    """Offset just past the (single) question: its name, type and class."""
    offset = 12
    while query[offset] != 0:
        offset += 1 + query[offset]
    return offset + 1 + 4


def answer(query, mode):
    qid, flags = struct.unpack(">HH", query[:4])
    question = query[12:question_end(query)]
    # QR, the query's opcode and RD, RA, and the scripted RCODE.
    reply_flags = 0x8000 | (flags & 0x7900) | 0x0080 | RCODES[mode]
    answers = 1 if mode == "garbled" else 0
    reply = struct.pack(">HHHHHH", qid, reply_flags, 1, answers, 0, 0) + question
    if mode == "garbled":
        reply += b"\xc0\x0c\x00"  # a pointer to the question name, then nothing
    return reply


def main():
    mode = sys.argv[1]
    sock = socket.socket(fileno=3)
    while True:
        query, peer = sock.recvfrom(4096)
        if len(query) > 12:
            sock.sendto(answer(query, mode), peer)


if __name__ == "__main__":
    main()

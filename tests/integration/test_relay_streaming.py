"""Large DATA streamed to the spool while it arrives (relay.stream_threshold_bytes)
and the global budget of DATA bytes in memory (relay.max_data_in_flight_bytes),
against the real daemon:

    byte-identical      a message far above the threshold, with dot-stuffed
                        lines, is stored exactly (Received: + the data)
    bounded memory      sixteen 32 MiB messages in parallel: the daemon's
                        anonymous memory grows far less than their total, and
                        the in-flight gauge stays within head + two chunks each
    cut off             a client that disconnects mid-DATA leaves no chunks
                        (no orphan removal at the next start), a kill -9
                        mid-DATA leaves chunks that the next start removes
    budget              while one session holds most of a small budget, a
                        second large message gets 452 4.3.1 after its dot
                        (and a SIZE= at MAIL gets it at once); that session
                        goes on, the first message is accepted whole
"""
import base64
import hashlib
import random
import signal
import threading
import time
import unittest

import pgtest
from poolgate_test.admin_http import scrape, value
from poolgate_test.relay import RawSession, Relay

MIB = 1024 * 1024
CHUNK = 256 * 1024  # SpoolOptions::chunk_bytes, the daemon's default


def make_body(seed, size):
    """A message of about `size` bytes: headers, then base64 lines, every 500th
    starting with a dot (stuffed on the wire, stored with one dot)."""
    rng = random.Random(seed)
    head = (f"Subject: big {seed}\r\nFrom: <a@example.com>\r\nTo: <x@example.net>\r\n"
            f"Message-ID: <big{seed}@client.example.com>\r\n\r\n")
    raw = base64.b64encode(rng.randbytes(size * 3 // 4 + 76)).decode()
    lines = [raw[i:i + 76] for i in range(0, size - len(head), 78)]
    lines = ["." + line if i % 500 == 7 else line for i, line in enumerate(lines)]
    return head + "\r\n".join(lines) + "\r\n"


def wire(body):
    """DATA as sent: dot-stuffed, with the terminator."""
    stuffed = body.replace("\r\n.", "\r\n..")
    return (("." + stuffed) if stuffed.startswith(".") else stuffed).encode() + b".\r\n"


def open_transaction(relay, rcpt, size=None):
    session = RawSession(relay.connect(timeout=60))
    assert session.reply()[0] == 220
    assert session.command("EHLO client.example.com")[0] == 250
    mail = "MAIL FROM:<a@example.com>" + (f" SIZE={size}" if size else "")
    code, text = session.command(mail)
    if code != 250:
        return session, (code, text)
    assert session.command(f"RCPT TO:<{rcpt}>")[0] == 250
    code, text = session.command("DATA")
    assert code == 354, text
    return session, None


def send_message(relay, body, rcpt):
    """(code, text) of the reply to the final dot."""
    session, _ = open_transaction(relay, rcpt)
    try:
        session.send(wire(body))
        return session.reply(timeout=120)
    finally:
        session.close()


def queue_id_of(text):
    return text.rsplit(" ", 1)[-1]


def status_kb(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def in_flight(relay):
    return value(scrape(relay.world.gw), "poolgate_relay_data_in_flight_bytes")


def wait_for(predicate, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class Streaming(unittest.TestCase):
    """The default threshold (1 MiB) and budget (512 MiB)."""

    def setUp(self):
        self.relay = Relay(pgtest.poolgate(), tag="strm", max_message_size=64 * MIB)
        self.addCleanup(self.relay.close)

    def assert_stored(self, qid, body):
        stored = self.relay.content(qid)
        self.assertTrue(stored.startswith("Received: from client.example.com"), stored[:200])
        self.assertEqual(len(stored) - len(body), stored.index("\r\n" + body[:40]) + 2)
        self.assertEqual(hashlib.sha256(stored[-len(body):].encode()).hexdigest(),
                         hashlib.sha256(body.encode()).hexdigest())
        listed = [m for m in self.relay.queue() if m["queue_id"] == qid]
        self.assertEqual(listed[0]["size"], len(stored))

    def test_large_message_is_stored_byte_identical(self):
        body = make_body(1, 6 * MIB + 12345)
        code, text = send_message(self.relay, body, "big@example.net")
        self.assertEqual(code, 250, text)
        self.assert_stored(queue_id_of(text), body)
        # A message just over the threshold (within its first chunk) too.
        small = make_body(2, MIB + 1000)
        code, text = send_message(self.relay, small, "small@example.net")
        self.assertEqual(code, 250, text)
        self.assert_stored(queue_id_of(text), small)
        self.assertEqual(in_flight(self.relay), 0)

    def test_parallel_large_messages_keep_memory_bounded(self):
        count, size = 16, 32 * MIB
        pid = self.relay.process.pid
        before = status_kb(pid, "RssAnon")
        peak = {"rss": before, "in_flight": 0, "memtables": 0}
        done = threading.Event()

        def sample():
            while not done.is_set():
                peak["rss"] = max(peak["rss"], status_kb(pid, "RssAnon"))
                m = scrape(self.relay.world.gw)
                peak["in_flight"] = max(peak["in_flight"],
                                        value(m, "poolgate_relay_data_in_flight_bytes") or 0)
                peak["memtables"] = max(peak["memtables"],
                                        value(m, "poolgate_spool_memtable_bytes") or 0)
                time.sleep(0.02)

        replies, kept = [None] * count, {}

        def client(i):
            body = make_body(10 + i, size)
            if i in (0, count - 1):
                kept[i] = body
            replies[i] = send_message(self.relay, body, f"p{i}@example.net")

        sampler = threading.Thread(target=sample)
        sampler.start()
        clients = [threading.Thread(target=client, args=(i,)) for i in range(count)]
        for c in clients:
            c.start()
        for c in clients:
            c.join()
        done.set()
        sampler.join()
        growth = (peak["rss"] - before) * 1024
        total = count * size
        print(f"\nRssAnon {before // 1024} MiB before, peak growth {growth / MIB:.0f} MiB for "
              f"{total / MIB:.0f} MiB of DATA in {count} sessions; peaks: in-flight gauge "
              f"{peak['in_flight'] / MIB:.1f} MiB, RocksDB memtables "
              f"{peak['memtables'] / MIB:.0f} MiB")
        for code, text in replies:
            self.assertEqual(code, 250, text)
        # Each session holds its head and at most two chunks (and a read).
        self.assertLessEqual(peak["in_flight"], count * (MIB + 2 * CHUNK + 64 * 1024))
        # What grows is mostly RocksDB's content memtables (64 MiB each, two
        # at most, spool_db.cpp), a fixed bound: half the DATA is far above it.
        # Holding each message whole (and copying it) took several times the DATA.
        self.assertLess(growth, total / 2)
        for i, body in kept.items():
            self.assert_stored(queue_id_of(replies[i][1]), body)

    def test_disconnect_mid_data_leaves_no_chunks(self):
        session, _ = open_transaction(self.relay, "cut@example.net")
        data = wire(make_body(3, 5 * MIB))
        session.send(data[:4 * MIB])
        # Streaming: what the session holds stays at head + chunks, not 4 MiB.
        wait_for(lambda: (in_flight(self.relay) or 0) > MIB, 10, "the head in memory")
        time.sleep(0.5)
        self.assertLessEqual(in_flight(self.relay), MIB + 2 * CHUNK + 64 * 1024)
        session.close()
        wait_for(lambda: in_flight(self.relay) == 0, 10, "the budget given back")
        wait_for(lambda: "connection lost in DATA" in self.relay.log(), 10, "the disconnect")
        self.assertEqual(self.relay.queue(), [])
        # Discarded by the session, so the next start has nothing to remove.
        self.assertEqual(self.relay.stop(), 0)
        self.relay.start()
        self.assertNotIn("whose DATA was cut off", self.relay.log())

    def test_kill_mid_data_leaves_chunks_the_next_start_removes(self):
        session, _ = open_transaction(self.relay, "crash@example.net")
        session.send(wire(make_body(4, 5 * MIB))[:4 * MIB])
        wait_for(lambda: (in_flight(self.relay) or 0) > MIB, 10, "the head in memory")
        # A message committed after the staged chunks syncs them into the WAL.
        code, text = send_message(self.relay, make_body(5, 2000), "other@example.net")
        self.assertEqual(code, 250, text)
        self.relay.stop(sig=signal.SIGKILL)
        session.close()
        self.relay.start()
        wait_for(lambda: "whose DATA was cut off" in self.relay.log(), 10, "orphan removal")
        self.assertEqual([m["queue_id"] for m in self.relay.queue()], [queue_id_of(text)])


class Budget(unittest.TestCase):
    """A 4 MiB threshold and the smallest budget it allows (threshold + 1 MiB):
    one session's head takes most of it."""

    THRESHOLD = 4 * MIB
    BUDGET = THRESHOLD + MIB

    def setUp(self):
        self.relay = Relay(pgtest.poolgate(), tag="bdgt", max_message_size=64 * MIB,
                           stream_threshold_bytes=self.THRESHOLD,
                           max_data_in_flight_bytes=self.BUDGET)
        self.addCleanup(self.relay.close)

    def test_second_large_message_gets_452_and_the_session_goes_on(self):
        relay = self.relay
        first = make_body(20, 8 * MIB)
        first_wire = wire(first)
        holder, _ = open_transaction(relay, "first@example.net")
        holder.send(first_wire[:self.THRESHOLD + 100 * 1024])
        wait_for(lambda: (in_flight(relay) or 0) >= self.THRESHOLD, 10, "the first head")

        second, refused = open_transaction(relay, "big@example.net", size=3 * MIB)
        self.assertEqual(refused[0], 452, refused)  # SIZE= does not fit what is left
        self.assertIn("4.3.1", refused[1])
        self.assertEqual(second.command("MAIL FROM:<a@example.com>")[0], 250)
        self.assertEqual(second.command("RCPT TO:<big@example.net>")[0], 250)
        self.assertEqual(second.command("DATA")[0], 354)
        second.send(wire(make_body(21, 3 * MIB)))
        code, text = second.reply(timeout=60)
        self.assertEqual((code, text[:9]), (452, "452 4.3.1"), text)
        # In step with the client: the next transaction on the same session works.
        self.assertEqual(second.command("MAIL FROM:<a@example.com>")[0], 250)
        self.assertEqual(second.command("RCPT TO:<small@example.net>")[0], 250)
        self.assertEqual(second.command("DATA")[0], 354)
        code, text = second.command(b"Subject: small\r\n\r\nsmall\r\n.")
        self.assertEqual(code, 250, text)
        second.close()

        holder.send(first_wire[self.THRESHOLD + 100 * 1024:])
        code, text = holder.reply(timeout=60)
        self.assertEqual(code, 250, text)
        holder.close()
        stored = relay.content(queue_id_of(text))
        self.assertEqual(hashlib.sha256(stored[-len(first):].encode()).hexdigest(),
                         hashlib.sha256(first.encode()).hexdigest())
        self.assertEqual(sorted(m["recipients"][0]["address"] for m in relay.queue()),
                         ["first@example.net", "small@example.net"])
        m = scrape(relay.world.gw)
        self.assertEqual(value(m, "poolgate_relay_data_budget_refusals"), 2)
        self.assertEqual(value(m, "poolgate_relay_data_in_flight_bytes"), 0)
        self.assertIn("reached relay.max_data_in_flight_bytes", relay.log())


if __name__ == "__main__":
    pgtest.main()

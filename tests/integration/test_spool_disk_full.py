"""The spool's file system running full (issue 12, item 2), on a small tmpfs
of its own: new mail gets 452 4.3.1 and /healthz 503 while it is low,
`queue delete` works even at 0 bytes free, and once space is back the daemon
takes mail again by itself, without a restart and without losing anything it
acknowledged.

Before the fix the first write that hit ENOSPC ended the daemon (Debian's
librocksdb aborts on the write after a failed WAL append) or left it
answering 451 until a restart."""
import os
import shutil
import subprocess
import tempfile
import time
import unittest

import pgtest
from poolgate_test.admin_http import admin_request, scrape
from poolgate_test.relay import NO_DNS_SECTION, Relay, relay_section
from poolgate_test.world import World

TMPFS_MB = 160  # RocksDB preallocates ~70 MiB for its WAL
MIN_FREE_MB = 16
MiB = 1 << 20


class SpoolDiskFull(unittest.TestCase):
    def setUp(self):
        self.world = World(pgtest.poolgate(), tag="diskfull")
        self.addCleanup(self.world.close)
        # Outside the world's directory, so its rmtree never meets a mount.
        self.mnt = tempfile.mkdtemp(prefix="pgtest-spoolfs-")
        self.addCleanup(os.rmdir, self.mnt)
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={TMPFS_MB}m,mode=0700", "tmpfs",
                        self.mnt], check=True)
        # Registered last, so it runs first: lazy, so a daemon still holding
        # files cannot keep the mount.
        self.addCleanup(subprocess.run, ["umount", "-l", self.mnt], check=False)
        spool = os.path.join(self.mnt, "spool")
        self.world.write_config(extra=relay_section(spool, spool_min_free_mb=str(MIN_FREE_MB)) +
                                NO_DNS_SECTION + '[admin]\nlisten = "127.0.0.1:8025"\n')
        self.relay = Relay(pgtest.poolgate(), world=self.world)
        self.addCleanup(self.relay.close)
        self.filler = os.path.join(self.mnt, "filler")

    # --- helpers ------------------------------------------------------------
    def free(self):
        st = os.statvfs(self.mnt)
        return st.f_bavail * st.f_frsize

    def fill(self, leave):
        """Appends to the filler file until `leave` bytes are free (0: ENOSPC)."""
        block = b"\0" * MiB
        with open(self.filler, "ab") as f:
            while self.free() > leave:
                want = min(MiB, self.free() - leave) if leave else MiB
                try:
                    f.write(block[:want])
                    f.flush()
                except OSError:
                    break
            try:
                os.fsync(f.fileno())
            except OSError:
                pass

    def send(self, n, lines=20):
        """(code, text) of the final reply to one message (MAIL refused counts too);
        `lines` of 100 octets."""
        client = self.relay.smtp()
        try:
            client.ehlo("client.example.com")
            code, text = client.mail(f"s{n}@example.com")
            if code != 250:
                return code, text.decode()
            client.rcpt("r@example.org")
            code, text = client.data(f"Subject: {n}\r\n\r\nbody {n}\r\n" + ("x" * 98 + "\r\n") * lines)
            return code, text.decode()
        finally:
            client.close()

    def health(self):
        status, _, body = admin_request(self.world.gw, "/healthz")
        return status, body

    def accepting_metric(self):
        return scrape(self.world.gw)["poolgate_spool_accepting"]["samples"][
            ("poolgate_spool_accepting", frozenset())]

    def queued_senders(self):
        return sorted(m["sender"] for m in self.relay.queue())

    # --- the test -----------------------------------------------------------
    def test_low_then_full_then_recovers(self):
        for n in range(3):
            self.assertEqual(self.send(n)[0], 250)
        self.assertEqual(self.health(), (200, "ok\n"))
        self.assertEqual(self.accepting_metric(), 1)
        reserve = os.path.join(self.mnt, "spool", "SPACE-RESERVE")
        self.assertEqual(os.path.getsize(reserve), MIN_FREE_MB * MiB)

        # Below spool_min_free_mb: the next message (3 MB, so it streams to the
        # spool in chunks past stream_threshold_bytes) is refused after its
        # data, the one after that already at MAIL FROM; nothing of either is
        # stored, and streaming did not eat into the reserve.
        self.fill(leave=(MIN_FREE_MB // 2) * MiB)
        code, text = self.send(3, lines=30000)
        self.assertEqual(code, 452, text)
        self.assertIn("4.3.1", text)
        self.assertNotIn("space reserve", self.relay.log())
        code, text = self.send(4)
        self.assertEqual(code, 452, text)
        status, body = self.health()
        self.assertEqual(status, 503)
        self.assertIn("below the minimum of 16 MiB", body)
        self.assertEqual(self.accepting_metric(), 0)
        self.assertGreaterEqual(scrape(self.world.gw)["poolgate_spool_refused_for_space"][
            "samples"][("poolgate_spool_refused_for_space_total", frozenset())], 1)
        self.assertEqual(self.queued_senders(), [f"s{n}@example.com" for n in range(3)])

        # The operator frees space the way the README says: queue delete works
        # while low, and at 0 bytes free (the reserve gives the room).
        ids = [m["queue_id"] for m in self.relay.queue()]
        self.assertIn("deleted", self.relay.pg("queue", "delete", ids[0]).stdout)
        self.fill(leave=0)
        self.assertLess(self.free(), MiB)
        self.assertIn("deleted", self.relay.pg("queue", "delete", ids[1]).stdout)
        self.assertIn("released the 16 MiB space reserve", self.relay.log())
        self.assertTrue(self.relay.alive(), self.relay.log())

        # Space back: within seconds the spool takes mail again, no restart.
        os.unlink(self.filler)
        deadline = time.time() + 5
        while self.health()[0] != 200 and time.time() < deadline:
            time.sleep(0.2)
        self.assertEqual(self.health(), (200, "ok\n"))
        self.assertEqual(self.send(5)[0], 250)
        self.assertIn("accepting new mail again", self.relay.log())
        self.assertEqual(self.queued_senders(), ["s2@example.com", "s5@example.com"])
        self.assertEqual(os.path.getsize(reserve), MIN_FREE_MB * MiB)  # made again

        # Nothing acknowledged was lost: the restarted daemon finds the same queue.
        self.assertEqual(self.relay.stop(), 0)
        self.relay.start()
        self.assertEqual(self.queued_senders(), ["s2@example.com", "s5@example.com"])


if __name__ == "__main__":
    pgtest.main()

"""The tests that claim to need no root really run without it: the relay
session, delivery engine scheduling and admin view tests (GoogleTest binaries
next to the poolgate binary, in <build>/tests/) are copied to a private
directory and run as user nobody, with no capability at all. A test that
slipped into needing root (a namespace, SO_MARK, a path only root may write)
fails here, not on a developer's unprivileged machine."""
import os
import pwd
import shutil
import subprocess
import tempfile
import unittest

import pgtest

NOROOT_BINARIES = ["relay_session_test", "queue_engine_scheduling_test", "admin_views_test"]


class NoRootTests(unittest.TestCase):
    def run_as_nobody(self, name):
        built = os.path.join(os.path.dirname(pgtest.poolgate()), "tests", name)
        self.assertTrue(os.path.exists(built), f"{built} not built")
        nobody = pwd.getpwnam("nobody")
        # The build tree may sit below a directory nobody cannot enter: run a copy.
        with tempfile.TemporaryDirectory(prefix="pg-noroot-") as scratch:
            os.chmod(scratch, 0o755)
            binary = os.path.join(scratch, name)
            shutil.copy(built, binary)
            os.chmod(binary, 0o755)
            result = subprocess.run(
                ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}",
                 "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", binary],
                cwd=scratch, env={"PATH": "/usr/bin:/bin", "TMPDIR": "/tmp"},
                capture_output=True, text=True, timeout=240)
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-30:])
        self.assertEqual(result.returncode, 0, f"{name} as nobody:\n{tail}")
        self.assertIn("[  PASSED  ]", result.stdout, tail)
        self.assertNotIn("[  SKIPPED ]", result.stdout, tail)

    def test_relay_session_as_nobody(self):
        self.run_as_nobody("relay_session_test")

    def test_engine_scheduling_as_nobody(self):
        self.run_as_nobody("queue_engine_scheduling_test")

    def test_admin_views_as_nobody(self):
        self.run_as_nobody("admin_views_test")


if __name__ == "__main__":
    pgtest.main()

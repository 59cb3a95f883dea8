"""The Debian package `make deb` builds: cpack run against the build directory
of the --poolgate binary (output in a temporary directory, not in the build
tree), then what an operator gets from it checked without installing it:
control fields, the file list, conffiles, maintainer scripts, the extracted
binary and BPF objects, the packaged configuration against the unit's
StateDirectory, and `systemd-analyze verify` on the unit (skipped, saying so,
where systemd is not installed). The real `dpkg -i` is left to a throwaway
machine: it creates a user and writes to /etc."""
import glob
import os
import re
import shutil
import subprocess
import tempfile
import tomllib
import unittest

import pgtest

SOURCE_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PACKAGED_BINARY = "/usr/sbin/poolgate"


def run(*cmd, check=True, **kwargs):
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kwargs)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {result.returncode}:\n"
                             f"{result.stdout}{result.stderr}")
    return result


def cache_value(build_dir, name):
    with open(os.path.join(build_dir, "CMakeCache.txt")) as f:
        for line in f:
            if line.startswith(name + ":"):
                return line.split("=", 1)[1].strip()
    return None


class Package(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.build_dir = os.path.dirname(pgtest.poolgate())
        cls.tmp = tempfile.mkdtemp(prefix="pgpkg-")
        try:
            cls._build_package()
        except BaseException:
            shutil.rmtree(cls.tmp, ignore_errors=True)
            raise

    @classmethod
    def _build_package(cls):
        config = os.path.join(cls.build_dir, "CPackConfig.cmake")
        if not os.path.exists(config):
            raise AssertionError(f"{config} missing: configure {cls.build_dir} with the "
                                 "current CMakeLists.txt (its CPack section writes it)")
        cpack = cache_value(cls.build_dir, "CMAKE_CPACK_COMMAND") or shutil.which("cpack")
        # -B: the package and CPack's staging tree go to the temporary directory;
        # in the build tree only CMake's install_manifest.txt is rewritten, so
        # the test runs beside other tests using the same build.
        out = os.path.join(cls.tmp, "out")
        cls.cpack = run(cpack, "-G", "DEB", "--config", config, "-B", out, cwd=cls.build_dir)
        debs = glob.glob(os.path.join(out, "*.deb"))
        if len(debs) != 1:
            raise AssertionError(f"cpack made {debs}, expected one .deb:\n{cls.cpack.stdout}")
        cls.deb = debs[0]
        cls.root = os.path.join(cls.tmp, "root")
        run("dpkg-deb", "-x", cls.deb, cls.root)
        cls.control = os.path.join(cls.tmp, "control")
        run("dpkg-deb", "-e", cls.deb, cls.control)
        listing = run("dpkg-deb", "-c", cls.deb).stdout
        # "-rwxr-xr-x root/root 3239768 2026-01-01 08:25 ./usr/sbin/poolgate"
        cls.files = {}
        for line in listing.splitlines():
            fields = line.split(None, 5)
            cls.files[fields[5].removeprefix(".").split(" -> ")[0]] = fields[0]

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def field(self, name):
        return run("dpkg-deb", "-f", self.deb, name).stdout.strip()

    def unit_path(self):
        units = [p for p in self.files if p.endswith("/systemd/system/poolgate.service")]
        self.assertEqual(len(units), 1, f"systemd unit in the package: {units}")
        return units[0]

    def unit_text(self):
        with open(self.root + self.unit_path()) as f:
            return f.read()

    def packaged_config(self):
        with open(os.path.join(self.root, "etc/poolgate/poolgate.toml")) as f:
            return f.read()

    # --- control fields ---

    def test_control_fields(self):
        self.assertEqual(self.field("Package"), "poolgate")
        version = run(pgtest.poolgate(), "--version").stdout.strip()
        self.assertEqual(self.field("Version"), version)
        arch = run("dpkg", "--print-architecture").stdout.strip()
        self.assertEqual(self.field("Architecture"), arch)

    def test_depends_names_the_runtime_libraries(self):
        depends = self.field("Depends")
        # Whether dpkg-shlibdeps computed them or the fixed fallback named them,
        # the libraries the binary links must be there, and mount for the unit.
        for package in ("libbpf1", "libnl-route-3-200", "librocksdb", "libssl3", "libc-ares2",
                        "mount"):
            self.assertIn(package, depends)
        if shutil.which("dpkg-shlibdeps"):
            # Only dpkg-shlibdeps adds versions and libc6.
            self.assertRegex(depends, r"libc6 \(>= [0-9.]+\)")

    # --- contents ---

    def test_contents(self):
        bpf_objects = sorted(os.path.basename(p).replace(".bpf.c", ".bpf.o")
                             for p in glob.glob(os.path.join(SOURCE_DIR, "bpf", "*.bpf.c")))
        self.assertTrue(bpf_objects)
        wanted = [PACKAGED_BINARY, "/etc/poolgate/poolgate.toml",
                  "/etc/iproute2/rt_protos.d/poolgate.conf", "/usr/lib/sysusers.d/poolgate.conf",
                  "/usr/share/doc/poolgate/examples/poolgate.toml",
                  "/usr/share/doc/poolgate/README.md",
                  # The reply-class rules the binary has built in, to read.
                  "/usr/share/poolgate/reply-classes.toml"]
        wanted += ["/usr/lib/poolgate/bpf/" + name for name in bpf_objects]
        for path in wanted:
            self.assertIn(path, self.files)
        self.unit_path()
        self.assertEqual(self.files[PACKAGED_BINARY][3], "x", "the binary is executable")
        # Nothing of the build or test tree slips in.
        for path in self.files:
            self.assertNotRegex(path, r"_test$|/include/|\.a$|/tests?/")

    def test_every_etc_file_is_a_conffile(self):
        # Otherwise an upgrade silently overwrites the operator's configuration.
        with open(os.path.join(self.control, "conffiles")) as f:
            conffiles = set(f.read().split())
        etc = {p for p, mode in self.files.items() if p.startswith("/etc/") and mode[0] == "-"}
        self.assertTrue(etc)
        self.assertEqual(conffiles, etc)

    def test_maintainer_scripts_are_valid_shell(self):
        for name in ("postinst", "prerm", "postrm"):
            path = os.path.join(self.control, name)
            self.assertTrue(os.access(path, os.X_OK), f"{name} is executable")
            run("sh", "-n", path)

    def test_binary_from_the_package_runs(self):
        # Stripped and with the library set dpkg resolves: still starts.
        result = run(self.root + PACKAGED_BINARY, "--version")
        self.assertEqual(result.stdout.strip(), self.field("Version"))

    def test_bpf_objects_keep_btf(self):
        # bpftool prints map fields by name only with the objects' BTF; the
        # package must ship them unstripped.
        for path in glob.glob(os.path.join(self.root, "usr/lib/poolgate/bpf/*.bpf.o")):
            with open(path, "rb") as f:
                header = f.read(20)
            self.assertEqual(header[:4], b"\x7fELF")
            self.assertEqual(int.from_bytes(header[18:20], "little"), 247, "EM_BPF")
            sections = run("readelf", "-S", "-W", path).stdout
            self.assertIn(".BTF", sections, path)

    # --- configuration and unit agree ---

    def test_packaged_config_spool_is_in_the_state_directory(self):
        state = re.search(r"^StateDirectory=(\S+)", self.unit_text(), re.M)
        self.assertIsNotNone(state, "the unit has a StateDirectory")
        spool = re.search(r'^spool\s*=\s*"([^"]+)"', self.packaged_config(), re.M)
        self.assertIsNotNone(spool)
        # ProtectSystem=strict leaves only the StateDirectory writable: a spool
        # anywhere else could not be opened.
        self.assertTrue(spool.group(1).startswith(f"/var/lib/{state.group(1)}/"), spool.group(1))
        self.assertRegex(self.unit_text(), r"(?m)^ProtectSystem=strict$")

    def test_packaged_config_is_valid(self):
        config = os.path.join(self.root, "etc/poolgate/poolgate.toml")
        self.assertRegex(self.packaged_config(), r'(?m)^user\s*=\s*"poolgate"$')
        result = run(self.root + PACKAGED_BINARY, "--config", config, "check-config", "--no-host",
                     check=False)
        errors = [line for line in result.stderr.splitlines()
                  if line.startswith(config) and ": warning: " not in line]
        if result.returncode == 2 and run("getent", "passwd", "poolgate",
                                          check=False).returncode != 0:
            # The package's postinst creates the user; on this host it does
            # not exist, which must then be the only complaint.
            self.assertEqual(len(errors), 1, result.stderr)
            self.assertIn("daemon.user: no such user 'poolgate'", errors[0])
        else:
            self.assertEqual(result.returncode, 0, result.stderr)

    def test_unit_runs_the_packaged_binary_with_its_config(self):
        unit = self.unit_text()
        start = re.search(r"^ExecStart=(\S+) (.*)$", unit, re.M)
        self.assertIsNotNone(start)
        self.assertEqual(start.group(1), PACKAGED_BINARY)
        self.assertIn("--config /etc/poolgate/poolgate.toml", start.group(2))
        self.assertTrue(start.group(2).endswith(" run"))
        self.assertRegex(unit, r"(?m)^ExecReload=/bin/kill -HUP \$MAINPID$")
        self.assertRegex(unit, r"(?m)^NoNewPrivileges=yes$")
        caps = re.search(r"^CapabilityBoundingSet=(.*)$", unit, re.M).group(1).split()
        for cap in ("CAP_NET_ADMIN", "CAP_BPF", "CAP_NET_BIND_SERVICE", "CAP_SETUID"):
            self.assertIn(cap, caps)
        for cap in ("CAP_SYS_MODULE", "CAP_SYS_PTRACE", "CAP_SYS_RAWIO", "CAP_SYS_BOOT"):
            self.assertNotIn(cap, caps)

    def test_unit_open_file_limit_covers_the_packaged_config(self):
        # Each relay session and outbound connection is a descriptor; 512 is
        # kFdReserve (daemon/fd_limit.h): spool, DNS, admin API, pins.
        limit = re.search(r"^LimitNOFILE=(\d+)$", self.unit_text(), re.M)
        self.assertIsNotNone(limit, "the unit sets LimitNOFILE (the default 1024 is too low)")
        config = tomllib.loads(self.packaged_config())
        need = (config.get("relay", {}).get("max_connections", 1000)
                + config.get("delivery", {}).get("max_concurrent_connections", 500) + 512)
        self.assertGreaterEqual(int(limit.group(1)), need)

    def test_systemd_analyze_verify(self):
        analyze = shutil.which("systemd-analyze")
        if analyze is None:
            self.skipTest("systemd-analyze not installed (package systemd): the unit was "
                          "NOT verified")
        # verify loads the unit as systemd would and checks every directive and
        # that each Exec*= program exists. The only change: the binary is looked
        # for where the package was extracted, not in /usr/sbin; /bin/kill,
        # /bin/sh and the targets it names are this host's, as after dpkg -i.
        verify_dir = os.path.join(self.tmp, "verify")
        os.makedirs(verify_dir)
        unit = os.path.join(verify_dir, "poolgate.service")
        with open(unit, "w") as f:
            f.write(self.unit_text().replace(PACKAGED_BINARY, self.root + PACKAGED_BINARY))
        result = run(analyze, "verify", unit, check=False, cwd=verify_dir)
        # Unknown keys and bad values are only logged (exit status 0): any
        # output at all fails the test.
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertEqual(result.stdout + result.stderr, "")


if __name__ == "__main__":
    pgtest.main()

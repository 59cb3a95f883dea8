"""Network namespaces for poolgate's tests, demo and bench.

A NetNs is created with `ip netns add` and deleted on close(), which also
removes every interface, address, route, rule, tc filter and XDP program inside
it. Python code can run inside a namespace per thread with `entered()` (setns on
the calling thread only), so a test can be client and server at once without
subprocesses. poolgate itself runs through `nsenter --net`, not `ip netns exec`:
the latter remounts /sys, which hides /sys/fs/bpf and with it the pins.
"""
import contextlib
import ctypes
import os
import subprocess

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def run(cmd, check=True, capture=True, timeout=60, **kw):
    """Runs a command (list); returns CompletedProcess with text output."""
    result = subprocess.run(cmd, text=True, capture_output=capture, timeout=timeout, **kw)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} exited {result.returncode}:\n"
                           f"{result.stdout}{result.stderr}")
    return result


def _setns(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"setns: {os.strerror(err)}")


@contextlib.contextmanager
def entered(path):
    """Moves the calling thread into the namespace at `path` (/run/netns/NAME)
    for the with-block."""
    original = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(path, os.O_RDONLY)
    try:
        _setns(target)
        yield
    finally:
        _setns(original)
        os.close(original)
        os.close(target)


class NetNs:
    def __init__(self, name):
        self.name = name
        self.path = f"/run/netns/{name}"
        run(["ip", "netns", "add", name])
        # Before any interface exists, so new interfaces inherit them (see README:
        # strict rp_filter drops replies routed by mark; DAD delays IPv6 addresses).
        for key, value in [("net.ipv4.conf.all.rp_filter", 0),
                           ("net.ipv4.conf.default.rp_filter", 0),
                           ("net.ipv4.conf.all.arp_announce", 2),
                           ("net.ipv4.conf.default.arp_announce", 2),
                           ("net.ipv6.conf.all.accept_dad", 0),
                           ("net.ipv6.conf.default.accept_dad", 0)]:
            self.sh("sysctl", "-qw", f"{key}={value}")
        self.sh("ip", "link", "set", "lo", "up")

    def sh(self, *cmd, check=True, timeout=60, **kw):
        """Runs a command inside the namespace (network only; /sys is the host's);
        `kw` goes to subprocess.run (e.g. input= for stdin)."""
        return run(["nsenter", f"--net={self.path}", *map(str, cmd)], check=check,
                   timeout=timeout, **kw)

    def popen(self, *cmd, **kw):
        return subprocess.Popen(["nsenter", f"--net={self.path}", *map(str, cmd)], **kw)

    @contextlib.contextmanager
    def entered(self):
        """Moves the calling thread into the namespace for the with-block."""
        with entered(self.path):
            yield self

    def close(self):
        run(["ip", "netns", "del", self.name], check=False)

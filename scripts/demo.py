"""The embedded default world, shown step by step: a gateway with a normal and a
high-risk pool, a peer standing in for the internet, poolgate's policy routing
and eBPF programs between them. Every step prints what an operator would look
at; the world is torn down at the end, also on failure.

Until the relay exists (issues 3-6), connections are made by this script with
the same SO_MARK the relay will set."""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "lib"))
from peer import RecordingServer, connect_and_send  # noqa: E402
from relay import RawSession, Relay  # noqa: E402
from world import PEER_V4, PEER_V6, pool_marks  # noqa: E402


def step(title):
    print(f"\n=== {title}")


def show(ns, *cmd):
    print(f"$ {' '.join(map(str, cmd))}")
    print(ns.sh(*cmd).stdout.rstrip())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--poolgate", required=True)
    poolgate = os.path.abspath(parser.parse_args().poolgate)
    relay = Relay(poolgate, tag="demo")
    world = relay.world
    servers = []
    failures = 0
    try:
        gw, peer = world.gw, world.peer
        step("configuration (check-config against the gateway host)")
        print(world.pg("check-config").stdout.rstrip())

        step("policy routing: poolgate routes apply")
        print(world.pg("routes", "apply").stdout.rstrip())
        show(gw, "ip", "-4", "rule", "show")
        show(gw, "ip", "route", "show", "table", "100")
        show(gw, "ip", "-6", "route", "show", "table", "102")

        step("eBPF data plane: poolgate bpf attach")
        print(world.pg("bpf", "attach").stdout.rstrip())

        servers = [RecordingServer(peer, PEER_V4, 25), RecordingServer(peer, PEER_V6, 25)]
        step("marked SMTP connections to the peer's port 25: which source does the peer see?")
        print(f"{'pool':<11}{'fwmark':<8}{'table':<7}{'expected source':<20}{'peer saw':<20}ok")
        for pool, address, mark, table in pool_marks():
            server = servers[1] if ":" in address else servers[0]
            before = len(server.seen())
            error = connect_and_send(gw, PEER_V6 if ":" in address else PEER_V4, 25,
                                     b"EHLO demo\r\n", mark=mark)
            seen = server.wait_for(before + 1)
            source = seen[-1][1] if len(seen) > before else f"nothing ({error})"
            ok = source == address
            failures += not ok
            print(f"{pool:<11}{mark:<#8x}{table:<7}{address:<20}{source:<20}{'yes' if ok else 'NO'}")

        step("an unmarked connection to port 25 (strict_smtp): dropped by tc egress")
        error = connect_and_send(gw, PEER_V4, 25, b"EHLO rogue\r\n", timeout=1.0)
        print(f"unmarked connect: {error or 'CONNECTED (unexpected)'}")
        failures += error is None

        step("a misconfiguration: someone deletes the high-risk rules")
        for family in ("-4", "-6"):
            for line in gw.sh("ip", family, "rule", "show").stdout.splitlines():
                if "fwmark 0x20" in line:
                    gw.sh("ip", family, "rule", "del", "priority", line.split(":")[0])
        error = connect_and_send(gw, PEER_V4, 25, b"EHLO leak\r\n", mark=0x200, timeout=1.0)
        print(f"high-risk connect, routed via main: {error or 'CONNECTED (unexpected)'}")
        print("-> the tc program dropped it (source 198.51.100.1 is not 203.0.113.66): leak_drops")
        failures += error is None
        print(world.pg("routes", "show", check=False).stdout.rstrip())
        print(world.pg("routes", "apply").stdout.rstrip())

        step("a new inbound connection to a pool address (block_inbound_syn): dropped by XDP")
        error = connect_and_send(peer, "203.0.113.66", 25, b"", timeout=1.0)
        print(f"peer -> 203.0.113.66:25: {error or 'CONNECTED (unexpected)'}")

        step("the relay: poolgate run accepts mail from an internal server (loopback)")
        client = relay.smtp()
        client.ehlo("mx-internal.example.com")
        client.sendmail("newsletter@example.com", ["reader@example.org"],
                        "Subject: clean mail\r\n\r\nHello.\r\n")
        client.sendmail("", ["someone@example.net"],
                        "Subject: Undelivered Mail Returned to Sender\r\n\r\nbounce\r\n")
        client.quit()
        smuggler = RawSession(relay.connect())
        smuggler.reply()
        smuggler.command("EHLO smuggler.example.com")
        smuggler.send("MAIL FROM:<x@example.com>\r\nRCPT TO:<y@example.org>\r\nDATA\r\n")
        [smuggler.reply() for _ in range(3)]
        smuggler.send("hi\n.\nMAIL FROM:<forged@example.com>\r\n.\r\n")
        print("SMTP smuggling probe (<LF>.<LF>):", smuggler.reply()[1])
        outside = RawSession(relay.connect("198.51.100.1", netns=world.peer))
        print("client outside client_networks:", outside.reply()[1])
        print(relay.pg("queue", "list").stdout.rstrip())
        relay.stop()

        step("kernel counters: poolgate stats")
        print(gw.sh(poolgate, "stats", "--pin-path", world.pin_path).stdout.rstrip())
        step("the same maps as bpftool shows them (pool id 1 = high-risk)")
        show(gw, "bpftool", "map", "dump", "pinned", f"{world.pin_path}/pg1_marks")
        for name in ("pg1_pool_names", "pg1_pool_stats"):
            show(gw, "bpftool", "map", "lookup", "pinned", f"{world.pin_path}/{name}",
                 "key", "1", "0", "0", "0")
        show(gw, "bpftool", "map", "dump", "pinned", f"{world.pin_path}/pg1_global")
    finally:
        for server in servers:
            server.close()
        relay.close()
    step("torn down: namespaces, rules, programs and pins removed")
    print("demo " + ("ok" if failures == 0 else f"FAILED ({failures} checks)"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

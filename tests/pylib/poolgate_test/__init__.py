"""The Python helpers shared by the integration tests (tests/integration), the
demo (scripts/demo.py) and the benchmarks (tests/bench): worlds of network
namespaces and what runs in them.

    netns, world        namespaces; the gateway and peer hosts, pools, routes, BPF
    relay, mailworld    poolgate's relay in a World; a World with DNS and SMTP peers
    daemons, smtp_peer, helper processes in a namespace: the tests/peers scripts,
      dns_server, dnsq    dnsmasq and a tiny DNS client
    spamd, rspamd       the real scanners in a namespace
    postfix             a private Postfix instance (own directories and ports)
    admin_http          the admin API and /metrics as the tests read them
    delivery_checks,    what a test reads back: messages, DSNs, the queue, the log
      dsn, peer
    faults              the fault tests' invariants and faults
    demo_workload,      `make demo`'s workload and expectations, and the run that
      demo_world          both the demo and tests/integration/test_demo.py use

Imported as a package, never by editing the import path: every entry point puts
tests/pylib on PYTHONPATH (CTest, scripts/demo.sh, tests/bench/bench.sh; by
hand, `PYTHONPATH=tests/pylib /usr/bin/python3 tests/integration/test_x.py
--poolgate build/poolgate`). Debian's python3, stdlib plus the packages
scripts/install-deps.sh installs.
"""

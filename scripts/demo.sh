#!/usr/bin/env bash
# `make demo`: poolgate end to end in a self-contained world of network
# namespaces (gateway with a normal and a high-risk pool, DNS, recipient MX
# hosts, spamd), a mixed workload, the table of what happened, the kernel's
# per-pool counters; everything torn down. See scripts/demo.py.
# Usage: scripts/demo.sh build/poolgate
set -euo pipefail
poolgate=$(realpath "${1:-build/poolgate}")
here=$(cd "$(dirname "$0")" && pwd)
# demo.py's world and workload are the poolgate_test package (tests/pylib).
export PYTHONPATH="$here/../tests/pylib${PYTHONPATH:+:$PYTHONPATH}"
[ "$(id -u)" -eq 0 ] || { echo "demo: run as root (network namespaces, BPF)" >&2; exit 1; }
[ -x "$poolgate" ] || { echo "demo: $poolgate not found; run make demo (it builds)" >&2; exit 1; }
exec /usr/bin/python3 "$here/demo.py" --poolgate "$poolgate"

#!/usr/bin/env bash
# `make bench`: every benchmark, each comparing against a baseline in the same run
# and printing ratios. Usage: scripts/bench.sh build/poolgate
set -euo pipefail
poolgate=$(realpath "${1:-build/poolgate}")
build=$(dirname "$poolgate")
here=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" -eq 0 ] || { echo "bench: run as root (network namespaces, BPF)" >&2; exit 1; }
/usr/bin/python3 "$here/bench_dataplane.py" --poolgate "$poolgate" --blast "$build/tests/pg_blast"
/usr/bin/python3 "$here/bench_acceptance.py" --poolgate "$poolgate"
"$build/tests/classify_cost"
/usr/bin/python3 "$here/bench_relay_e2e.py" --poolgate "$poolgate"

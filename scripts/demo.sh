#!/usr/bin/env bash
# `make demo`: the data plane working in a self-contained world of network
# namespaces (see scripts/demo.py). Usage: scripts/demo.sh build/poolgate
set -euo pipefail
poolgate=$(realpath "${1:-build/poolgate}")
here=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" -eq 0 ] || { echo "demo: run as root (network namespaces, BPF)" >&2; exit 1; }
exec /usr/bin/python3 "$here/demo.py" --poolgate "$poolgate"

#!/usr/bin/env bash
# `make bench`: every benchmark, each comparing against a baseline in the same run
# and printing its own table; each also leaves its results in a temporary
# directory, from which bench_summary.py prints one summary table at the end.
# A failing bench is reported and the others still run (exit 1 at the end);
# an interrupted one (SIGINT/SIGTERM) stops the whole run.
# Every benchmark lives next to this script; their shared world helpers are
# the poolgate_test package (tests/pylib), hence PYTHONPATH.
# Usage: tests/bench/bench.sh build/poolgate
set -euo pipefail
poolgate=$(realpath "${1:-build/poolgate}")
build=$(dirname "$poolgate")
here=$(cd "$(dirname "$0")" && pwd)
export PYTHONPATH="$here/../pylib${PYTHONPATH:+:$PYTHONPATH}"
[ "$(id -u)" -eq 0 ] || { echo "bench: run as root (network namespaces, BPF)" >&2; exit 1; }
results=$(mktemp -d /tmp/pgbench-results-XXXXXX)
trap 'rm -rf "$results"' EXIT
read -r load1 load5 load15 _ < /proc/loadavg
echo "bench: load average at start $load1 $load5 $load15 ($(nproc) CPUs)"
failed=()

bench() {  # bench NAME COMMAND...: runs one, remembers a failure, stops on a signal
  local name=$1 rc=0
  shift
  "$@" || rc=$?
  if [ "$rc" -ge 128 ]; then
    echo "bench: $name interrupted (exit $rc)" >&2
    exit "$rc"
  elif [ "$rc" -ne 0 ]; then
    echo "bench: $name FAILED (exit $rc)" >&2
    failed+=("$name")
  fi
}

bench dataplane /usr/bin/python3 "$here/bench_dataplane.py" --poolgate "$poolgate" \
  --blast "$build/tests/pg_blast" --json "$results/dataplane.json"
bench acceptance /usr/bin/python3 "$here/bench_acceptance.py" --poolgate "$poolgate" \
  --json "$results/acceptance.json"
bench classify_cost bash -c 'set -o pipefail; "$1" | tee "$2"' _ "$build/tests/classify_cost" \
  "$results/classify.txt"
bench relay_e2e /usr/bin/python3 "$here/bench_relay_e2e.py" --poolgate "$poolgate" \
  --json "$results/relay_e2e.json"
bench queue_memory /usr/bin/python3 "$here/bench_queue_memory.py" --poolgate "$poolgate" \
  --json "$results/queue_memory.json"

/usr/bin/python3 "$here/bench_summary.py" "$results" --load-at-start "$load1 $load5 $load15" || true
if [ "${#failed[@]}" -ne 0 ]; then
  echo "bench: failed: ${failed[*]}" >&2
  exit 1
fi

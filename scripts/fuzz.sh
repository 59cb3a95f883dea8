#!/usr/bin/env bash
# Builds the libFuzzer targets of the untrusted-input parsers (tests/fuzz) with clang
# in build-fuzz/ and runs each for FUZZ_SECONDS (default 60), printing how many
# inputs it executed and what it found. Exits 1 when any target crashed; the
# crashing input is kept under build-fuzz/artifacts/<target>/ for
# `build-fuzz/fuzz/fuzz_<target> <file>` to replay.
#
#   FUZZ_SECONDS=300 scripts/fuzz.sh                  # longer runs
#   FUZZ_TARGETS="data_reader" scripts/fuzz.sh        # one target
#
# New inputs that reach new code go to build-fuzz/corpus/<target>/; the seeds in
# tests/fuzz/corpus/<target>/ are only read.
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZ_SECONDS=${FUZZ_SECONDS:-60}
BUILD=${FUZZ_BUILD:-build-fuzz}
read -r -a TARGETS <<< "${FUZZ_TARGETS:-command_parser line_reader data_reader dns_reply smtp_reply header_fields ndr_detect spool_records spamd_reply rspamd_reply header_scanner config}"

# libFuzzer's runtime is in libclang-rt-*-dev, which Debian's clang only
# recommends (install-deps installs without recommends).
runtime=$(clang++ -print-file-name=libclang_rt.fuzzer-x86_64.a 2>/dev/null || true)
if [ ! -f "$runtime" ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "fuzz: installing libclang-rt-dev (libFuzzer runtime)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libclang-rt-dev >/dev/null
  else
    echo "fuzz: libFuzzer runtime missing: apt-get install libclang-rt-dev" >&2
    exit 1
  fi
fi

# Through the main project once it knows POOLGATE_FUZZ; until then tests/fuzz
# builds on its own.
src=tests/fuzz
if grep -qs POOLGATE_FUZZ CMakeLists.txt tests/CMakeLists.txt; then src=.; fi
mkdir -p "$BUILD"
CC=clang CXX=clang++ cmake -S "$src" -B "$BUILD" -DPOOLGATE_FUZZ=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$BUILD/configure.log" 2>&1 ||
  { cat "$BUILD/configure.log" >&2; exit 1; }
cmake --build "$BUILD" -j "$(nproc)" --target "${TARGETS[@]/#/fuzz_}" >"$BUILD/build.log" 2>&1 ||
  { tail -50 "$BUILD/build.log" >&2; exit 1; }

failed=0
for t in "${TARGETS[@]}"; do
  corpus="$BUILD/corpus/$t"
  artifacts="$BUILD/artifacts/$t/"
  log="$BUILD/fuzz_$t.log"
  mkdir -p "$corpus" "$artifacts"
  status=0
  "$BUILD/fuzz/fuzz_$t" -max_total_time="$FUZZ_SECONDS" -print_final_stats=1 -timeout=10 \
    -rss_limit_mb=2048 -artifact_prefix="$artifacts" "$corpus" "tests/fuzz/corpus/$t" \
    >"$log" 2>&1 || status=$?
  execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | awk '{print $2}')
  found=$(find "$artifacts" -type f | wc -l)
  printf 'fuzz_%-16s %12s execs in %ss, coverage %s edges, corpus %s inputs, findings: %s\n' \
    "$t" "${execs:-?}" "$FUZZ_SECONDS" "${cov:-?}" "$(find "$corpus" -type f | wc -l)" "$found"
  if [ "$status" -ne 0 ] || [ "$found" -ne 0 ]; then
    failed=1
    echo "  exit $status; log: $log" >&2
    grep -E 'ERROR|invariant failed|SUMMARY|Test unit written' "$log" | head -10 | sed 's/^/  /' >&2
  fi
done
exit "$failed"

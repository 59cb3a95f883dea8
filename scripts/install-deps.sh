#!/usr/bin/env bash
# Installs every Debian 12 package poolgate needs to build, test, demo and bench.
# Idempotent: packages already present are skipped, and apt is not touched at all
# when nothing is missing.
set -euo pipefail

packages=(
  # build
  build-essential cmake pkg-config clang llvm
  libbpf-dev bpftool libelf-dev zlib1g-dev linux-libc-dev
  libnl-3-dev libnl-route-3-dev
  libboost-dev libboost-system-dev
  libc-ares-dev libidn2-dev libssl-dev
  libtomlplusplus-dev nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev
  librocksdb-dev
  libgtest-dev libgmock-dev
  libclang-rt-dev              # libFuzzer runtime for make fuzz
  dpkg-dev                     # make deb: dpkg-shlibdeps computes the package's Depends
  # tests, demo and bench: real peers in network namespaces. Postfix (the bench's
  # baseline and smtp-source) is not here: installing it would replace a host's
  # exim4; tests/bench/bench_acceptance.py installs it only where that is safe.
  iproute2 iputils-ping procps util-linux iperf3 dnsmasq python3
  python3-aiosmtpd openssl     # delivery client tests: a real SMTP peer, STARTTLS certificates
  spamassassin spamd spamc rspamd  # spam scanner tests run the real daemons (spamd is its own package in Debian 12)
  python3-prometheus-client    # admin API tests parse /metrics with Prometheus' own text-format parser
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}; run as root (or: sudo $0)" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"

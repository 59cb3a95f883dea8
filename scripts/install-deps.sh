#!/usr/bin/env bash
# Installs every Debian 12 package poolgate needs to build, test, demo and bench.
# Idempotent: packages already present are skipped, and apt is not touched at all
# when nothing is missing.
#
# Postfix comes last, and only where that is safe. A test relays through a
# private Postfix instance (tests/pylib/poolgate_test/postfix.py: its own
# config, queue and data directories, its own ports) and `make bench` uses one
# as its baseline; none of them touches the system instance. Debian's postfix
# conflicts with every other MTA, so installing it on a host with exim4 would
# remove exim4: the install is simulated first, and if apt would remove
# anything, postfix is not installed, the script says what apt would remove and
# what to do, and exits 1. It installs with debconf's "No configuration", so no
# system instance is configured or started.
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
  # tests, demo and bench: real peers in network namespaces (postfix: below)
  iproute2 iputils-ping procps util-linux iperf3 dnsmasq python3
  python3-aiosmtpd openssl     # delivery client tests: a real SMTP peer, STARTTLS certificates
  spamassassin spamd spamc rspamd  # spam scanner tests run the real daemons (spamd is its own package in Debian 12)
  python3-prometheus-client    # admin API tests parse /metrics with Prometheus' own text-format parser
)

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

missing=()
for p in "${packages[@]}"; do
  installed "$p" || missing+=("$p")
done
need_postfix=0
installed postfix || need_postfix=1

if [ ${#missing[@]} -eq 0 ] && [ "$need_postfix" -eq 0 ]; then
  echo "install-deps: all $((${#packages[@]} + 1)) packages present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  [ "$need_postfix" -eq 0 ] || missing+=(postfix)
  echo "install-deps: missing packages: ${missing[*]}; run as root (or: sudo $0)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
if [ ${#missing[@]} -ne 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
[ "$need_postfix" -eq 1 ] || exit 0

echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
removals=$(apt-get install -s -y --no-install-recommends postfix | awk '/^Remv /{print $2}')
if [ -n "$removals" ]; then
  echo "install-deps: NOT installing postfix: apt would remove $(echo $removals)." >&2
  echo "  The Postfix relay test (tests/integration/test_postfix_relay.py) and make bench" >&2
  echo "  run a private Postfix instance and need Debian's postfix package, which replaces" >&2
  echo "  any other MTA. Either accept that and run, as root:" >&2
  echo "      apt-get install --no-install-recommends postfix" >&2
  echo "  (answer \"No configuration\": the tests never use the system instance), or run" >&2
  echo "  the tests on a host or container without another MTA. Every other package is" >&2
  echo "  installed." >&2
  exit 1
fi
echo "install-deps: installing postfix (\"No configuration\": no system instance)"
apt-get install -y -qq --no-install-recommends postfix

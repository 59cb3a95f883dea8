# Thin wrapper over CMake: the real build lives in CMakeLists.txt.
BUILD ?= build
JOBS  ?= $(shell nproc)

.PHONY: all deps configure build test demo bench fuzz deb clean

all: build

deps:
	scripts/install-deps.sh

configure: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

build: configure
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 600

demo: build
	scripts/demo.sh $(BUILD)/poolgate

bench: build
	tests/bench/bench.sh $(BUILD)/poolgate

# libFuzzer targets of the untrusted-input parsers, clang + ASan/UBSan, in build-fuzz/.
FUZZ_SECONDS ?= 60
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh

# The Debian package (CPack; packaging/ and the end of CMakeLists.txt): binary,
# BPF objects, systemd unit, configuration. Builds only what it packages (not
# the tests), then $(BUILD)/poolgate_VERSION_ARCH.deb.
deb: configure
	cmake --build $(BUILD) -j $(JOBS) --target poolgate
	cd $(BUILD) && cpack -G DEB

clean:
	rm -rf $(BUILD) build-fuzz

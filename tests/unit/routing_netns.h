// Test support for the routing tests: every test enters a private network
// namespace (gone when the test process exits, so nothing leaks to the host and
// tests run in parallel), builds a small host there with `ip`, and inspects the
// result with `ip` too, the way an operator would.
#pragma once

#include "config/config.h"

#include <gtest/gtest.h>

#include <sched.h>
#include <sys/wait.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

namespace poolgate::testing {

struct CommandResult {
  int status = -1;
  std::string output;  // stdout and stderr
};

inline CommandResult run(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return result;
  std::array<char, 4096> buffer;
  while (size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe))
    result.output.append(buffer.data(), n);
  int status = ::pclose(pipe);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// Runs a command that must succeed; returns its output. With
// config/rt_protos.d/poolgate.conf installed, `ip` names poolgate's protocol;
// the tests expect the number either way.
inline std::string sh(const std::string& command) {
  CommandResult result = run(command);
  EXPECT_EQ(result.status, 0) << "`" << command << "` failed:\n" << result.output;
  for (size_t at; (at = result.output.find("proto poolgate")) != std::string::npos;)
    result.output.replace(at, 14, "proto 233");
  return result.output;
}

inline void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  ASSERT_TRUE(out.good()) << "cannot write " << path;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return text;
}

// The host: uplink pg0 (one end of a veth pair; the test kernel need not have
// the dummy driver) carrying the main and all pool addresses, gateways behind
// /32 and /128 routes, default routes in main via gateway .1. IPv6 addresses
// use nodad so they are usable at once; no link-local addresses, so nothing
// changes behind the test's back.
inline const char* const kGatewayV4 = "198.51.100.1";
inline const char* const kOtherGatewayV4 = "198.51.100.3";
inline const char* const kGatewayV6 = "2001:db8:100::1";
inline const char* const kOtherGatewayV6 = "2001:db8:100::3";

inline void build_host() {
  sh("ip link set lo up");
  sh("ip link add pg0 type veth peer name pg0peer");
  for (const char* name : {"pg0", "pg0peer"}) {
    sh(std::string("ip link set ") + name + " addrgenmode none");
    sh(std::string("ip link set ") + name + " up");
  }
  for (const char* address : {"198.51.100.2", "198.51.100.10", "198.51.100.11", "203.0.113.66"})
    sh(std::string("ip addr add ") + address + "/32 dev pg0");
  for (const char* address : {"2001:db8:100::2", "2001:db8:100::10", "2001:db8:203::66"})
    sh(std::string("ip -6 addr add ") + address + "/128 dev pg0 nodad");
  for (const char* gateway : {kGatewayV4, kOtherGatewayV4})
    sh(std::string("ip route add ") + gateway + "/32 dev pg0 scope link");
  for (const char* gateway : {kGatewayV6, kOtherGatewayV6})
    sh(std::string("ip -6 route add ") + gateway + "/128 dev pg0");
  sh(std::string("ip route add default via ") + kGatewayV4 + " dev pg0 src 198.51.100.2");
  sh(std::string("ip -6 route add default via ") + kGatewayV6 + " dev pg0 src 2001:db8:100::2");
}

// Five pool addresses: normal 198.51.100.10 (mark 0x100, table 100, rules
// 10000/10001), 198.51.100.11 (0x101, 101), 2001:db8:100::10 (0x102, 102);
// high-risk 203.0.113.66 (0x200, 200), 2001:db8:203::66 (0x201, 201).
inline const std::string kConfigText = R"([routing]
fwmark_mask   = 0x0fff
rule_priority = 10000
mirror_table  = "main"

[kernel]
interfaces = ["pg0"]

[[pool]]
name      = "normal"
fwmark    = 0x100
table     = 100
addresses = ["198.51.100.10", "198.51.100.11", "2001:db8:100::10"]

[[pool]]
name      = "high-risk"
fwmark    = 0x200
table     = 200
addresses = ["203.0.113.66", "2001:db8:203::66"]
)";

inline Config parse_test_config(const std::string& text = kConfigText) {
  LoadResult result = parse_config(text, "test.toml");
  std::string errors;
  for (const Diagnostic& d : result.diagnostics) errors += d.to_string() + "\n";
  EXPECT_TRUE(result.config.has_value()) << errors;
  return result.config ? *result.config : Config{};
}

inline std::string replace_once(std::string text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return at == std::string::npos ? text : text.replace(at, from.size(), to);
}

// Everything policy routing is made of, as `ip` prints it.
inline std::string routing_state() {
  return sh("ip -4 rule show") + sh("ip -6 rule show") + sh("ip -4 route show table all") +
         sh("ip -6 route show table all");
}

// A test fixture whose every test runs in its own network namespace with the
// host above built in it.
class PrivateHost : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::unshare(CLONE_NEWNET), 0)
        << "unshare(CLONE_NEWNET): " << std::strerror(errno)
        << "; these tests need root (CAP_SYS_ADMIN) to get a private network namespace";
    build_host();
    config_ = parse_test_config();
  }
  Config config_;
};

}  // namespace poolgate::testing

// Without the right to set SO_MARK the client sends nothing: no unmarked
// connection ever leaves (the product's core promise), the recipients are
// deferred with 4.4.0, and the start-up check names the capability. The
// capabilities are dropped in a forked child with the raw capset syscall
// (libcap may not be installed).
#include "delivery/fwmark_capability.h"
#include "common/operator_error.h"
#include "delivery_test_support.h"

#include <linux/capability.h>
#include <sys/syscall.h>

using namespace poolgate;
using namespace poolgate::delivery_test;

namespace {

// Removes CAP_NET_ADMIN and CAP_NET_RAW from the effective set.
bool drop_mark_capabilities() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (::syscall(SYS_capget, &header, data) != 0) return false;
  data[0].effective &= ~((1u << CAP_NET_ADMIN) | (1u << CAP_NET_RAW));
  return ::syscall(SYS_capset, &header, data) == 0;
}

class DeliveryPrivilege : public DeliveryNet {
 protected:
  // Runs `body` in a child without the capabilities; returns what it wrote.
  std::string in_unprivileged_child(const std::function<std::string()>& body) {
    int fds[2];
    EXPECT_EQ(::pipe(fds), 0);
    pid_t pid = ::fork();
    if (pid == 0) {
      ::close(fds[0]);
      std::string out = drop_mark_capabilities() ? body() : "capset failed";
      (void)!::write(fds[1], out.data(), out.size());
      ::_exit(0);
    }
    ::close(fds[1]);
    std::string out;
    char buffer[4096];
    for (ssize_t n; (n = ::read(fds[0], buffer, sizeof buffer)) > 0;) out.append(buffer, n);
    ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    return out;
  }
};

TEST_F(DeliveryPrivilege, WithoutCapabilityNothingIsSent) {
  start_aiosmtpd();
  std::string out = in_unprivileged_child([this] {
    Envelope e = make_envelope("alice@example.com", {"a@example.net", "b@example.net"});
    StringContentSource content(kContent);
    MessageResult result = deliver_one(options(), {e, content});
    std::string text;
    for (const RecipientResult& r : result.recipients)
      text += std::string(r.outcome == Outcome::TempFail ? "temp" : "other") + " " +
              std::string(stage_name(r.stage)) + " " + r.reply.str() + "\n";
    return text;
  });
  std::string expected =
      "temp connect 451 4.4.0 cannot set fwmark 0x100 on the socket: Operation not permitted "
      "(SO_MARK needs CAP_NET_ADMIN, or CAP_NET_RAW on Linux 5.17 and later)\n";
  EXPECT_EQ(out, expected + expected);
  std::this_thread::sleep_for(200ms);  // a connection, had there been one, would be recorded
  EXPECT_TRUE(connections().empty()) << connections().dump();
}

TEST_F(DeliveryPrivilege, StartupCheckNamesTheCapability) {
  std::string out = in_unprivileged_child([] {
    try {
      check_fwmark_capability();
      return std::string("no error");
    } catch (const OperatorError& e) {
      return std::string(e.what());
    }
  });
  EXPECT_NE(out.find("CAP_NET_ADMIN"), std::string::npos) << out;
  EXPECT_NE(out.find("SO_MARK"), std::string::npos) << out;
}

TEST_F(DeliveryPrivilege, MarkZeroIsRefused) {
  start_aiosmtpd();
  Envelope e = make_envelope("alice@example.com", {"a@example.net"});
  StringContentSource content(kContent);
  OutboundMessage m{e, content};
  auto results = deliver(options(), {&m}, {asio::ip::make_address(kPool), 0});
  EXPECT_EQ(results.at(0).recipients.at(0).reply.enhanced, "4.4.0");
  EXPECT_TRUE(connections().empty());
}

TEST_F(DeliveryPrivilege, SourceOfTheOtherFamilyIsRefused) {
  Envelope e = make_envelope("alice@example.com", {"a@example.net"});
  StringContentSource content(kContent);
  OutboundMessage m{e, content};
  auto results = deliver(options(), {&m}, {asio::ip::make_address("2001:db8:100::10"), kMark});
  const RecipientResult& r = results.at(0).recipients.at(0);
  EXPECT_EQ(r.reply.enhanced, "4.4.0");
  EXPECT_NE(r.reply.str().find("different address families"), std::string::npos) << r.reply.str();
}

}  // namespace

// The readiness datagram reaches a socket named in $NOTIFY_SOCKET, as a path
// and in the abstract namespace; without the variable nothing is sent.
#include "daemon/systemd_notify.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

namespace poolgate {
namespace {

class NotifySocket : public ::testing::Test {
 protected:
  // Binds a datagram socket at `name` ("@x" abstract) and exports it.
  void listen(const std::string& name) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd_, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, name.data(), name.size());
    if (name[0] == '@') address.sun_path[0] = '\0';
    else ::unlink(name.c_str());
    auto size = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
    ASSERT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&address), size), 0) << strerror(errno);
    timeval timeout{2, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    path_ = name;
    ::setenv("NOTIFY_SOCKET", name.c_str(), 1);
  }
  std::string receive() {
    char buffer[256];
    ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    return n < 0 ? "(nothing)" : std::string(buffer, size_t(n));
  }
  void TearDown() override {
    ::unsetenv("NOTIFY_SOCKET");
    if (fd_ >= 0) ::close(fd_);
    if (!path_.empty() && path_[0] == '/') ::unlink(path_.c_str());
  }
  int fd_ = -1;
  std::string path_;
};

TEST_F(NotifySocket, PathSocketGetsTheState) {
  listen("/tmp/poolgate-notify-test-" + std::to_string(::getpid()));
  EXPECT_TRUE(notify_systemd("READY=1\nSTATUS=accepting mail"));
  EXPECT_EQ(receive(), "READY=1\nSTATUS=accepting mail");
}

TEST_F(NotifySocket, AbstractSocketGetsTheState) {
  listen("@poolgate-notify-test-" + std::to_string(::getpid()));
  EXPECT_TRUE(notify_systemd("STOPPING=1"));
  EXPECT_EQ(receive(), "STOPPING=1");
}

TEST_F(NotifySocket, NoVariableSendsNothing) {
  ::unsetenv("NOTIFY_SOCKET");
  EXPECT_TRUE(notify_systemd("READY=1"));
}

TEST_F(NotifySocket, AbsentSocketIsAFailure) {
  ::setenv("NOTIFY_SOCKET", "/tmp/poolgate-notify-test-absent", 1);
  EXPECT_FALSE(notify_systemd("READY=1"));
}

}  // namespace
}  // namespace poolgate

// Test support for the DNS tests. Each test that talks to a server enters a
// private network namespace first (each TEST is its own process under ctest,
// so the namespace goes away with it) and starts its servers on 127.0.0.1
// there: dnsmasq for real answers, dns_responder.py for scripted failures, a
// bound-but-never-read UDP socket for silence. Servers are children that die
// with the test process (PR_SET_PDEATHSIG) and are stopped in TearDown.
#pragma once

#include <utility>  // Boost 1.74 awaitable.hpp uses std::exchange without it

#include "config/config.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <exception>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace poolgate::testing {

namespace asio = boost::asio;

inline void enter_private_network() {
  ASSERT_EQ(::unshare(CLONE_NEWNET), 0)
      << "unshare(CLONE_NEWNET): " << std::strerror(errno)
      << "; the DNS server tests need root (CAP_SYS_ADMIN) for a private network namespace";
  ASSERT_EQ(std::system("ip link set lo up"), 0);
}

inline sockaddr_in loopback(uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

// A UDP socket on 127.0.0.1 with a port the kernel picked. Kept open it is a
// server that never answers; closed, its port is free for a server to take
// (nothing else runs in the test's namespace to take it first).
class UdpSocket {
 public:
  UdpSocket() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in address = loopback(0);
    socklen_t length = sizeof address;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0)
      ADD_FAILURE() << "cannot bind a UDP socket on 127.0.0.1: " << std::strerror(errno);
    port_ = ntohs(address.sin_port);
  }
  ~UdpSocket() { close(); }
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  int fd() const { return fd_; }
  uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

inline uint16_t free_port() {
  UdpSocket socket;
  return socket.port();
}

// A child process that cannot outlive the test.
class ChildProcess {
 public:
  ChildProcess() = default;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() { stop(); }

  // `inherit_fd`, when given, becomes the child's fd 3.
  void start(const std::vector<std::string>& argv, int inherit_fd = -1) {
    pid_t parent = ::getpid();
    pid_ = ::fork();
    ASSERT_GE(pid_, 0) << "fork: " << std::strerror(errno);
    if (pid_ > 0) return;
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the test died before prctl
    if (inherit_fd >= 0 && inherit_fd != 3 && ::dup2(inherit_fd, 3) < 0) ::_exit(127);
    if (inherit_fd >= 0 && ::fcntl(3, F_SETFD, 0) < 0)
      ::_exit(127);  // dup2 onto itself keeps CLOEXEC
    std::vector<char*> args;
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }

  // SIGTERM, then SIGKILL if it does not exit within two seconds.
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 200; ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  bool exited() { return pid_ <= 0 || ::waitpid(pid_, nullptr, WNOHANG) == pid_; }

 private:
  pid_t pid_ = -1;
};

// dnsmasq on 127.0.0.1:port() answering from `records` (dnsmasq options) only.
class Dnsmasq {
 public:
  void start(const std::vector<std::string>& records) {
    port_ = free_port();
    std::vector<std::string> argv = {"/usr/sbin/dnsmasq",
                                     "--keep-in-foreground",
                                     "--conf-file=/dev/null",
                                     "--no-resolv",
                                     "--no-hosts",
                                     "--bind-interfaces",
                                     "--listen-address=127.0.0.1",
                                     "--port=" + std::to_string(port_),
                                     "--pid-file=",
                                     "--user=nobody",
                                     "--group=nogroup",
                                     "--log-facility=-"};
    argv.insert(argv.end(), records.begin(), records.end());
    process_.start(argv);
    // dnsmasq binds UDP and TCP before it serves; once TCP accepts, UDP is up too.
    for (int i = 0; i < 500; ++i) {
      if (accepts_tcp()) return;
      ASSERT_FALSE(process_.exited()) << "dnsmasq exited at start; see its messages above";
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    FAIL() << "dnsmasq did not come up on 127.0.0.1:" << port_;
  }
  void stop() { process_.stop(); }
  uint16_t port() const { return port_; }

 private:
  bool accepts_tcp() const {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address = loopback(port_);
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    return ok;
  }

  ChildProcess process_;
  uint16_t port_ = 0;
};

// dns_responder.py answering every query on its own socket the `mode` way.
// Its socket is bound here, inside the test's namespace, before the child
// starts: queries wait in it until the responder reads them, no readiness race.
class ScriptedResponder {
 public:
  void start(const std::string& mode) {
    socket_.emplace();
    process_.start({"/usr/bin/python3", POOLGATE_SOURCE_DIR "/tests/unit/dns_responder.py", mode},
                   socket_->fd());
  }
  void stop() { process_.stop(); }
  uint16_t port() const { return socket_ ? socket_->port() : 0; }

 private:
  std::optional<UdpSocket> socket_;
  ChildProcess process_;
};

inline DnsConfig dns_config(uint16_t port, uint32_t timeout_ms = 1000, uint32_t attempts = 2) {
  DnsConfig config;
  config.servers = {{asio::ip::make_address("127.0.0.1"), port}};
  config.timeout_ms = timeout_ms;
  config.attempts = attempts;
  return config;
}

// Runs the io_context until `work` completes (other work may remain queued).
template <class T>
T run_until_done(asio::io_context& io, asio::awaitable<T> work) {
  std::optional<T> result;
  std::exception_ptr error;
  bool done = false;
  asio::co_spawn(io, std::move(work), [&](std::exception_ptr e, T value) {
    error = e;
    result = std::move(value);
    done = true;
  });
  io.restart();
  while (!done && io.run_one() > 0) {
  }
  if (error) std::rethrow_exception(error);
  if (!done)
    throw std::runtime_error("the io_context ran out of work before the coroutine finished");
  return std::move(*result);
}

}  // namespace poolgate::testing

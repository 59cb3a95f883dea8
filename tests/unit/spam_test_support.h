// Test support for the spam scanners: real daemons (spamd, rspamd) started as
// child processes on a free loopback port, fake servers for the failure
// cases (one that never answers, one that answers what the test says), and a
// helper that runs one scan to completion on its own io_context.
#pragma once

#include "spam/scanner.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

namespace poolgate::spam_test {

namespace asio = boost::asio;
using namespace std::chrono_literals;

inline const std::string kGtube = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";

inline std::string message(const std::string& subject, const std::string& body) {
  return "From: Alice <alice@example.com>\r\nTo: bob@example.org\r\nSubject: " + subject +
         "\r\nMessage-ID: <test.1@example.com>\r\n\r\n" + body + "\r\n";
}
inline std::string plain_message() {
  return message("lunch", "Are we still on for lunch on Thursday? The usual place at noon.");
}
inline std::string gtube_message() { return message("test", kGtube); }

inline Envelope make_envelope() {
  Envelope e;
  e.queue_id = "SPAMTEST0001";
  e.sender = "alice@example.com";
  e.recipients.push_back({.address = "bob@example.org"});
  e.client_address = "127.0.0.1";
  e.client_helo = "localhost";
  return e;
}

inline SpamConfig make_config(ScannerKind kind, uint16_t port, uint32_t timeout_ms = 10000) {
  SpamConfig c;
  c.scanner = kind;
  c.address = {asio::ip::make_address("127.0.0.1"), port};
  c.timeout_ms = timeout_ms;
  return c;
}

// A coroutine function, not a lambda: its parameters live in its frame.
inline asio::awaitable<void> scan_into(Scanner* scanner, const Envelope* envelope,
                                       std::string_view content, SpamVerdict* out) {
  *out = co_await scanner->scan(*envelope, content);
}

// One scan with the scanner `config` asks for, run to completion.
inline SpamVerdict scan_once(const SpamConfig& config, const Envelope& envelope,
                             const std::string& content, const std::vector<Network>& trusted = {}) {
  asio::io_context io;
  auto scanner = make_scanner(io.get_executor(), config, trusted);
  SpamVerdict verdict;
  if (!scanner) return verdict;
  asio::co_spawn(io, scan_into(scanner.get(), &envelope, content, &verdict),
                 [](std::exception_ptr e) {
                   if (e) std::rethrow_exception(e);
                 });
  io.run();
  return verdict;
}

inline std::string status_name(SpamVerdict::Status s) {
  switch (s) {
    case SpamVerdict::Status::NotScanned: return "NotScanned";
    case SpamVerdict::Status::Clean: return "Clean";
    case SpamVerdict::Status::Spam: return "Spam";
    case SpamVerdict::Status::Failed: return "Failed";
  }
  return "?";
}
inline std::string describe(const SpamVerdict& v) {
  std::ostringstream out;
  out << status_name(v.status) << " scanner=" << v.scanner << " score=" << v.score
      << " required=" << v.required << " detail=" << v.detail;
  return out.str();
}

inline std::string http_reply(const std::string& status, const std::string& body) {
  return "HTTP/1.1 " + status + "\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

// A loopback TCP socket bound to a kernel-chosen port, listening or not.
inline int bound_socket(uint16_t& port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  port = ntohs(a.sin_port);
  return fd;
}

// A port nothing listens on (it was free a moment ago): connecting is refused.
inline uint16_t free_port() {
  uint16_t port = 0;
  ::close(bound_socket(port));
  return port;
}

inline bool port_listening(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

// Listens and never accepts: the kernel completes the handshake and takes the
// request into its buffers, and no reply ever comes.
class SilentListener {
 public:
  SilentListener() : fd_(bound_socket(port_)) { ::listen(fd_, 16); }
  ~SilentListener() { ::close(fd_); }
  uint16_t port() const { return port_; }

 private:
  uint16_t port_ = 0;
  int fd_;
};

// Answers every connection with `reply` once it has read the whole request
// (headers, then Content-length bytes; or up to EOF), then closes. Both the
// spamc and the HTTP request carry a Content-length header.
class ScriptedServer {
 public:
  explicit ScriptedServer(std::string reply) : reply_(std::move(reply)), fd_(bound_socket(port_)) {
    ::listen(fd_, 16);
    thread_ = std::thread([this] { serve(); });
  }
  ~ScriptedServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  uint16_t port() const { return port_; }
  std::string last_request() {
    std::lock_guard lock(mutex_);
    return request_;
  }

 private:
  static bool complete(const std::string& request) {
    size_t end = request.find("\r\n\r\n");
    if (end == std::string::npos) return false;
    std::string head = request.substr(0, end);
    for (char& c : head) c = char(std::tolower(static_cast<unsigned char>(c)));
    size_t at = head.find("content-length:");
    if (at == std::string::npos) return true;
    return request.size() - (end + 4) >= std::stoul(head.substr(at + 15));
  }
  void serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      std::string request;
      char buffer[65536];
      while (!stop_ && !complete(request)) {
        pollfd c{client, POLLIN, 0};
        if (::poll(&c, 1, 20) <= 0) continue;
        ssize_t n = ::read(client, buffer, sizeof buffer);
        if (n <= 0) break;
        request.append(buffer, size_t(n));
      }
      {
        std::lock_guard lock(mutex_);
        request_ = request;
      }
      (void)!::write(client, reply_.data(), reply_.size());
      ::shutdown(client, SHUT_RDWR);
      ::close(client);
    }
  }

  std::string reply_;
  uint16_t port_ = 0;
  int fd_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::string request_;
  std::thread thread_;
};

// A daemon run for the test: its own process group (spamd forks children),
// output to `log`, SIGTERM to the group at the end; SIGKILL to the daemon if
// the test process dies first (PR_SET_PDEATHSIG).
class Daemon {
 public:
  Daemon(std::vector<std::string> argv, std::string log) : log_(std::move(log)) {
    pid_ = ::fork();
    if (pid_ == 0) {
      ::setpgid(0, 0);
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      int out = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(out, 1);
      ::dup2(out, 2);
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
  }
  ~Daemon() {
    if (pid_ <= 0) return;
    ::kill(-pid_, SIGTERM);
    bool reaped = false;
    for (int i = 0; i < 250 && !(reaped = ::waitpid(pid_, nullptr, WNOHANG) == pid_); ++i)
      std::this_thread::sleep_for(20ms);
    ::kill(-pid_, SIGKILL);  // whatever is left of the group
    if (!reaped) ::waitpid(pid_, nullptr, 0);
  }
  // Waits until `port` accepts connections; false when the daemon exited or
  // the time ran out.
  bool wait_for_port(uint16_t port, std::chrono::seconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (port_listening(port)) return true;
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }
  std::string log() const {
    std::ifstream in(log_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

 private:
  std::string log_;
  pid_t pid_ = -1;
};

inline std::string make_temp_dir(const char* pattern) {
  std::string dir = std::string("/tmp/") + pattern + "-XXXXXX";
  if (!::mkdtemp(dir.data())) return "";
  return dir;
}

}  // namespace poolgate::spam_test

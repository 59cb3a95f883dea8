// A blocking SMTP client over loopback for the tests that need no root: it
// connects to 127.0.0.1 (from another 127/8 address when `source` is given, so
// one test can be both an allowed and a refused client), reads whole (multi-line) replies and sends raw lines,
// so a test sees exactly the bytes a real client would, pipelining included.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace poolgate::testing {

struct SmtpReplyText {
  int code = 0;      // 0: the connection closed or timed out before a reply
  std::string text;  // every line as received, CRLF kept
};

class LoopbackSmtpClient {
 public:
  explicit LoopbackSmtpClient(uint16_t port, int timeout_s = 10, const char* source = nullptr) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) throw std::runtime_error("socket");
    timeval tv{timeout_s, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (source) {
      sockaddr_in local{};
      local.sin_family = AF_INET;
      if (::inet_pton(AF_INET, source, &local.sin_addr) != 1 ||
          ::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
        ::close(fd_);
        throw std::runtime_error(std::string("bind to ") + source);
      }
    }
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
      ::close(fd_);
      throw std::runtime_error("connect to 127.0.0.1:" + std::to_string(port));
    }
  }
  ~LoopbackSmtpClient() { ::close(fd_); }
  LoopbackSmtpClient(const LoopbackSmtpClient&) = delete;
  LoopbackSmtpClient& operator=(const LoopbackSmtpClient&) = delete;

  void send(const std::string& bytes) {
    size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return;  // the server closed: the next reply() says so
      done += static_cast<size_t>(n);
    }
  }

  // One reply: lines until one whose fourth character is a space.
  SmtpReplyText reply() {
    SmtpReplyText out;
    for (;;) {
      std::string line;
      if (!read_line(line)) return {0, out.text};
      out.text += line;
      if (line.size() < 4) return {0, out.text};
      if (line[3] == ' ') {
        out.code = std::stoi(line.substr(0, 3));
        return out;
      }
    }
  }

  SmtpReplyText command(const std::string& line) {
    send(line + "\r\n");
    return reply();
  }

  // True once the server has closed the connection (EOF within the timeout).
  bool closed() {
    char c;
    return ::recv(fd_, &c, 1, 0) == 0;
  }

 private:
  bool read_line(std::string& line) {
    for (;;) {
      size_t eol = buffer_.find("\r\n");
      if (eol != std::string::npos) {
        line = buffer_.substr(0, eol + 2);
        buffer_.erase(0, eol + 2);
        return true;
      }
      char chunk[4096];
      ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) return false;
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }

  int fd_ = -1;
  std::string buffer_;
};

}  // namespace poolgate::testing

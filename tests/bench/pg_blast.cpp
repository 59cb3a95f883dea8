// pg_blast: a minimal traffic generator for `make bench`. It exists because the
// data-plane benchmark needs marked sockets (SO_MARK before connect, like the
// relay), which iperf3 cannot set. Bounded: every mode runs for --seconds only.
//
//   pg_blast tcp-sink PORT SECONDS               accept + discard, print bytes
//   pg_blast tcp-send ADDR PORT MARK SECONDS     stream 256 KiB writes
//   pg_blast udp-sink PORT SECONDS               count datagrams, print pps
//   pg_blast udp-send ADDR PORT MARK SECONDS SIZE  sendmmsg bursts of SIZE bytes
// Output: one line `bytes=N packets=N seconds=S` on stdout.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void die(const char* what) {
  std::perror(what);
  std::exit(1);
}

// Parses ADDR PORT into a sockaddr of the right family.
socklen_t make_address(const char* text, int port, sockaddr_storage& out) {
  std::memset(&out, 0, sizeof out);
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out);
  if (inet_pton(AF_INET, text, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    return sizeof *v4;
  }
  if (inet_pton(AF_INET6, text, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    return sizeof *v6;
  }
  std::fprintf(stderr, "bad address %s\n", text);
  std::exit(2);
}

int listen_any(int type, int port) {
  int fd = socket(AF_INET6, type, 0);
  if (fd < 0) die("socket");
  int zero = 0, one = 1;
  setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  int buffer = 8 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
  sockaddr_in6 any{};
  any.sin6_family = AF_INET6;
  any.sin6_port = htons(port);
  if (bind(fd, reinterpret_cast<sockaddr*>(&any), sizeof any) < 0) die("bind");
  if (type == SOCK_STREAM && listen(fd, 16) < 0) die("listen");
  return fd;
}

int marked_socket(const sockaddr_storage& to, int type, unsigned mark) {
  int fd = socket(to.ss_family, type, 0);
  if (fd < 0) die("socket");
  if (mark && setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof mark) < 0) die("SO_MARK");
  return fd;
}

void report(unsigned long long bytes, unsigned long long packets, double seconds) {
  std::printf("bytes=%llu packets=%llu seconds=%.3f\n", bytes, packets, seconds);
}

double since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

int tcp_sink(int port, double seconds) {
  int listener = listen_any(SOCK_STREAM, port);
  std::vector<char> buffer(1 << 20);
  unsigned long long bytes = 0;
  auto start = Clock::now();
  while (since(start) < seconds) {
    pollfd p{listener, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    int conn = accept(listener, nullptr, nullptr);
    if (conn < 0) continue;
    ssize_t n;
    while ((n = recv(conn, buffer.data(), buffer.size(), 0)) > 0) bytes += n;
    close(conn);
  }
  report(bytes, 0, since(start));
  return 0;
}

int tcp_send(const char* address, int port, unsigned mark, double seconds) {
  sockaddr_storage to;
  socklen_t length = make_address(address, port, to);
  int fd = marked_socket(to, SOCK_STREAM, mark);
  if (connect(fd, reinterpret_cast<sockaddr*>(&to), length) < 0) die("connect");
  std::vector<char> buffer(256 << 10, 'x');
  unsigned long long bytes = 0;
  auto start = Clock::now();
  while (since(start) < seconds) {
    ssize_t n = send(fd, buffer.data(), buffer.size(), 0);
    if (n < 0) die("send");
    bytes += n;
  }
  double elapsed = since(start);
  close(fd);
  report(bytes, 0, elapsed);
  return 0;
}

int udp_sink(int port, double seconds) {
  int fd = listen_any(SOCK_DGRAM, port);
  constexpr int kBatch = 256;
  std::vector<char> storage(kBatch * 2048);
  mmsghdr messages[kBatch];
  iovec vectors[kBatch];
  for (int i = 0; i < kBatch; ++i) {
    vectors[i] = {storage.data() + i * 2048, 2048};
    messages[i] = {};
    messages[i].msg_hdr.msg_iov = &vectors[i];
    messages[i].msg_hdr.msg_iovlen = 1;
  }
  // recvmmsg's own timeout is only checked after a datagram arrives, so once the
  // sender stops it would block for ever: a socket receive timeout ends it.
  timeval wait{0, 100'000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
  unsigned long long packets = 0, bytes = 0;
  Clock::time_point first{}, last{};
  auto start = Clock::now();
  while (since(start) < seconds) {
    int n = recvmmsg(fd, messages, kBatch, MSG_WAITFORONE, nullptr);
    if (n <= 0) continue;
    if (packets == 0) first = Clock::now();
    last = Clock::now();
    packets += n;
    for (int i = 0; i < n; ++i) bytes += messages[i].msg_len;
  }
  // Rate over the time packets were actually arriving.
  report(bytes, packets, packets ? std::chrono::duration<double>(last - first).count() : 0.0);
  return 0;
}

int udp_send(const char* address, int port, unsigned mark, double seconds, int size) {
  sockaddr_storage to;
  socklen_t length = make_address(address, port, to);
  int fd = marked_socket(to, SOCK_DGRAM, mark);
  if (connect(fd, reinterpret_cast<sockaddr*>(&to), length) < 0) die("connect");
  constexpr int kBatch = 64;
  std::vector<char> payload(size, 'u');
  mmsghdr messages[kBatch];
  iovec vector{payload.data(), payload.size()};
  for (auto& message : messages) {
    message = {};
    message.msg_hdr.msg_iov = &vector;
    message.msg_hdr.msg_iovlen = 1;
  }
  unsigned long long packets = 0;
  auto start = Clock::now();
  while (since(start) < seconds) {
    int n = sendmmsg(fd, messages, kBatch, 0);
    if (n > 0) packets += n;
  }
  report(packets * size, packets, since(start));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "tcp-sink" && argc == 4) return tcp_sink(std::atoi(argv[2]), std::atof(argv[3]));
  if (mode == "tcp-send" && argc == 6)
    return tcp_send(argv[2], std::atoi(argv[3]), std::strtoul(argv[4], nullptr, 0),
                    std::atof(argv[5]));
  if (mode == "udp-sink" && argc == 4) return udp_sink(std::atoi(argv[2]), std::atof(argv[3]));
  if (mode == "udp-send" && argc == 7)
    return udp_send(argv[2], std::atoi(argv[3]), std::strtoul(argv[4], nullptr, 0),
                    std::atof(argv[5]), std::atoi(argv[6]));
  std::fprintf(stderr, "usage: see the comment at the top of pg_blast.cpp\n");
  return 2;
}

#include "routing/route_watch.h"

#include "common/operator_error.h"
#include "routing/entries.h"

#include <spdlog/spdlog.h>

#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace poolgate {

namespace {

// The groups of rtnetlink.h's enum rtnetlink_groups poolgate's plan depends on.
constexpr unsigned kGroups[] = {RTNLGRP_IPV4_RULE,   RTNLGRP_IPV6_RULE,  RTNLGRP_IPV4_ROUTE,
                                RTNLGRP_IPV6_ROUTE,  RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR};

// Big enough that a burst (a DHCP renewal rewriting a table, our own apply)
// does not overflow before the io_context gets to read it.
constexpr int kReceiveBuffer = 1 << 20;

// A route's table: RTA_TABLE when present (ids above 255), else rtm_table.
uint32_t route_table(const nlmsghdr* msg) {
  const auto* rtm = static_cast<const rtmsg*>(NLMSG_DATA(msg));
  int length = static_cast<int>(msg->nlmsg_len) - static_cast<int>(NLMSG_LENGTH(sizeof(rtmsg)));
  for (const rtattr* attr = RTM_RTA(rtm); RTA_OK(attr, length); attr = RTA_NEXT(attr, length))
    if (attr->rta_type == RTA_TABLE && RTA_PAYLOAD(attr) >= sizeof(uint32_t)) {
      uint32_t table;
      std::memcpy(&table, RTA_DATA(attr), sizeof table);
      return table;
    }
  return rtm->rtm_table;
}

int open_socket() {
  const int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0)
    throw OperatorError(std::string("cannot open an rtnetlink socket to watch routing: ") +
                        std::strerror(errno));
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
    const int err = errno;
    ::close(fd);
    throw OperatorError(std::string("cannot bind the rtnetlink watch socket: ") +
                        std::strerror(err));
  }
  for (unsigned group : kGroups) {
    if (::setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof group) != 0) {
      const int err = errno;
      ::close(fd);
      throw OperatorError("cannot subscribe to rtnetlink group " + std::to_string(group) + ": " +
                          std::strerror(err));
    }
  }
  // A bigger buffer is an optimisation: a small one still works, it just
  // overflows (ENOBUFS, a full comparison) sooner.
  int size = kReceiveBuffer;
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  return fd;
}

}  // namespace

bool relevant_change(const nlmsghdr* msg, const std::set<uint32_t>& watched_tables) {
  switch (msg->nlmsg_type) {
    case RTM_NEWRULE:
    case RTM_DELRULE:
      return msg->nlmsg_len >= NLMSG_LENGTH(sizeof(fib_rule_hdr));
    case RTM_NEWADDR:
    case RTM_DELADDR:
      return msg->nlmsg_len >= NLMSG_LENGTH(sizeof(ifaddrmsg));
    case RTM_NEWROUTE:
    case RTM_DELROUTE: {
      if (msg->nlmsg_len < NLMSG_LENGTH(sizeof(rtmsg))) return false;
      const auto* rtm = static_cast<const rtmsg*>(NLMSG_DATA(msg));
      // Cached exceptions (PMTU, redirects) are not configuration.
      if (rtm->rtm_flags & RTM_F_CLONED) return false;
      return rtm->rtm_protocol == kPoolgateProtocol ||
             watched_tables.count(route_table(msg)) > 0;
    }
    default:
      return false;
  }
}

RouteWatch::RouteWatch(const boost::asio::any_io_executor& executor, OnChange on_change)
    : socket_(executor, open_socket()), on_change_(std::move(on_change)), buffer_(64 * 1024) {}

RouteWatch::~RouteWatch() { stop(); }

void RouteWatch::start() {
  if (running_) return;
  running_ = true;
  wait();
}

void RouteWatch::stop() {
  running_ = false;
  boost::system::error_code ignored;
  socket_.cancel(ignored);
}

void RouteWatch::wait() {
  socket_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                     [this](const boost::system::error_code& ec) {
                       // Aborted: stop() or destruction; `this` may be gone.
                       if (ec == boost::asio::error::operation_aborted) return;
                       if (!running_) return;
                       if (ec) {
                         spdlog::error("routing watch: {}; relying on periodic checks", ec.message());
                         running_ = false;
                         return;
                       }
                       if (drain()) wait();
                     });
}

bool RouteWatch::drain() {
  std::string reason;
  for (;;) {
    sockaddr_nl from{};
    socklen_t from_length = sizeof from;
    const ssize_t n = ::recvfrom(socket_.native_handle(), buffer_.data(), buffer_.size(), 0,
                                 reinterpret_cast<sockaddr*>(&from), &from_length);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == ENOBUFS) {
        reason = "lost events (ENOBUFS)";
        continue;
      }
      spdlog::error("routing watch: reading the rtnetlink socket: {}; relying on periodic checks",
                    std::strerror(errno));
      running_ = false;
      return false;
    }
    // Only the kernel (port 0) speaks for the routing tables.
    if (from.nl_pid != 0) continue;
    int length = static_cast<int>(n);
    for (auto* msg = reinterpret_cast<const nlmsghdr*>(buffer_.data()); NLMSG_OK(msg, length);
         msg = NLMSG_NEXT(msg, length)) {
      if (!reason.empty() || !relevant_change(msg, tables_)) continue;
      if (msg->nlmsg_type == RTM_NEWROUTE || msg->nlmsg_type == RTM_DELROUTE)
        reason = "route change in table " + std::to_string(route_table(msg));
      else if (msg->nlmsg_type == RTM_NEWRULE || msg->nlmsg_type == RTM_DELRULE)
        reason = "rule change";
      else
        reason = "address change";
    }
  }
  // One callback per batch: the keeper debounces anyway.
  if (!reason.empty() && running_) on_change_(reason);
  return running_;
}

}  // namespace poolgate

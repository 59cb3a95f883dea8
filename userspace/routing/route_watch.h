// A subscription to the kernel's routing changes (rtnetlink multicast groups
// for IPv4/IPv6 rules, routes and addresses), read on an Asio executor. It
// only says "something that may matter changed": what changed is found out by
// comparing with the plan again (routes_compare), which is simpler and cannot
// miss anything the way interpreting single events could.
//
// Routes are filtered (poolgate's own protocol, or a table in watched_tables:
// the mirror and the pool tables), because a busy main table must not turn
// into a dump per change. Rules and addresses always count: they change
// rarely, and a pool address becoming usable changes the plan.
//
// Netlink multicast is unreliable by design: when the socket's buffer
// overflows the kernel drops messages and reports ENOBUFS, which is passed on
// as a change of unknown content (compare everything).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <linux/netlink.h>

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

namespace poolgate {

// Whether `msg` (one message from the subscription) is a change worth a
// comparison. Pure, for unit tests; messages too short for their type are
// ignored.
bool relevant_change(const nlmsghdr* msg, const std::set<uint32_t>& watched_tables);

class RouteWatch {
 public:
  // `what` is a short reason for debug logs: "rule change", "route change in
  // table 100", "address change", "lost events (ENOBUFS)".
  using OnChange = std::function<void(const std::string& what)>;

  // Opens and subscribes the socket (no privilege needed). Throws OperatorError.
  RouteWatch(const boost::asio::any_io_executor& executor, OnChange on_change);
  ~RouteWatch();
  RouteWatch(const RouteWatch&) = delete;
  RouteWatch& operator=(const RouteWatch&) = delete;

  void set_watched_tables(std::set<uint32_t> tables) { tables_ = std::move(tables); }
  void start();
  // Idempotent; no callback runs after it.
  void stop();
  bool running() const { return running_; }

 private:
  void wait();
  // Reads until the socket is empty; false when reading failed for good.
  bool drain();

  boost::asio::posix::stream_descriptor socket_;
  OnChange on_change_;
  std::set<uint32_t> tables_;
  std::vector<char> buffer_;
  bool running_ = false;
};

}  // namespace poolgate

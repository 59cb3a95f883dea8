// c-ares 1.18 inside the Asio event loop. c-ares 1.18 has no event thread of
// its own: it tells us, through ARES_OPT_SOCK_STATE_CB, which sockets it opened
// and whether it wants to read or write them, and expects ares_process_fd()
// when they are ready and when ares_timeout() passes. This class does exactly
// that with stream_descriptors and one steady_timer, so a thousand lookups cost
// a thousand small heap objects, not threads, and nothing ever blocks.
//
// Single-threaded: use it from the one thread running its executor's
// io_context (or a strand), like the rest of poolgate's event loop.
#pragma once

#include <utility>  // Boost 1.74 awaitable.hpp uses std::exchange without it

#include "config/config.h"
#include "dns/dns_raw_reply.h"
#include "dns/dns_types.h"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace poolgate {

class AresChannel {
 public:
  // Servers from config.servers, else /etc/resolv.conf. Throws
  // std::runtime_error when c-ares cannot be set up.
  AresChannel(boost::asio::any_io_executor executor, const DnsConfig& config);
  // Queries still running complete with ARES_EDESTRUCTION (TempFail).
  ~AresChannel();
  AresChannel(const AresChannel&) = delete;
  AresChannel& operator=(const AresChannel&) = delete;

  // One query, class IN, for the name as given (no search domains). Completes
  // with c-ares' status and the reply, or with ARES_ETIMEOUT once deadline()
  // has passed, whatever c-ares is still trying.
  boost::asio::awaitable<RawReply> query(std::string name, RecordType type);

  // The most one query may take: timeout_ms x attempts x servers. c-ares 1.18
  // doubles the per-try timeout on every round through the server list, so
  // without this cap two attempts at 3 s would take 9 s, not 6.
  std::chrono::milliseconds deadline() const { return deadline_; }
  size_t server_count() const;
  size_t open_sockets() const;  // sockets c-ares has open now (tests: none leak)

 private:
  class Engine;
  std::shared_ptr<Engine> engine_;
  std::chrono::milliseconds deadline_{0};
};

}  // namespace poolgate

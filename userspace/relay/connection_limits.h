// Counts open sessions in total and per client address, so that one client (or
// a flood) cannot take every slot. A Slot is held for the life of a session and
// gives its place back when destroyed.
#pragma once

#include <boost/asio/ip/address.hpp>

#include <cstdint>
#include <map>
#include <memory>

namespace poolgate {

class ConnectionLimits {
 public:
  ConnectionLimits(uint32_t total, uint32_t per_client) : total_(total), per_client_(per_client) {}

  class Slot {
   public:
    Slot(ConnectionLimits& owner, boost::asio::ip::address client)
        : owner_(&owner), client_(client) {}
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot() { owner_->release(client_); }

   private:
    ConnectionLimits* owner_;
    boost::asio::ip::address client_;
  };

  // nullptr when either limit is reached (the caller answers 421 4.7.0).
  std::unique_ptr<Slot> acquire(const boost::asio::ip::address& client);
  // A reload: new maxima for the next acquire(); sessions already over them
  // keep their slots and end on their own.
  void set_limits(uint32_t total, uint32_t per_client) {
    total_ = total;
    per_client_ = per_client;
  }
  uint32_t open() const { return open_; }

 private:
  void release(const boost::asio::ip::address& client);

  uint32_t total_;
  uint32_t per_client_;
  uint32_t open_ = 0;
  std::map<boost::asio::ip::address, uint32_t> by_client_;
};

}  // namespace poolgate

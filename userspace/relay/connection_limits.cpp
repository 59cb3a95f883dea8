#include "relay/connection_limits.h"

namespace poolgate {

std::unique_ptr<ConnectionLimits::Slot> ConnectionLimits::acquire(
    const boost::asio::ip::address& client) {
  uint32_t& mine = by_client_[client];
  if (open_ >= total_ || mine >= per_client_) {
    if (mine == 0) by_client_.erase(client);
    return nullptr;
  }
  ++open_;
  ++mine;
  return std::make_unique<Slot>(*this, client);
}

void ConnectionLimits::release(const boost::asio::ip::address& client) {
  --open_;
  auto it = by_client_.find(client);
  if (it != by_client_.end() && --it->second == 0) by_client_.erase(it);
}

}  // namespace poolgate

#include "queue/destination.h"

#include <algorithm>

namespace poolgate {

Destination::Destination(DestinationKey k, const DeliveryConfig& config) : key(std::move(k)) {
  reconfigure(config);
}

void Destination::reconfigure(const DeliveryConfig& config) {
  connection_limit = config.connections_per_destination;
  messages_per_second = config.messages_per_second;
  tls = config.tls;
  if (const DestinationConfig* override = config.find_destination(key.domain)) {
    if (override->tls) tls = *override->tls;
    if (override->connections) connection_limit = *override->connections;
    if (override->messages_per_second) messages_per_second = *override->messages_per_second;
  }
  connection_limit = std::max<uint32_t>(connection_limit, 1);
}

std::chrono::steady_clock::duration Destination::reserve_send_slot(
    std::chrono::steady_clock::time_point now) {
  if (messages_per_second <= 0) return {};
  auto slot = std::max(now, next_send);
  next_send = slot + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                         std::chrono::duration<double>(1.0 / messages_per_second));
  return slot - now;
}

}  // namespace poolgate

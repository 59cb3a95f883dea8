#include "spool/keys.h"

#include "spool/queue_id.h"

namespace poolgate::spool_keys {

std::string indexed(std::string_view queue_id, uint32_t index) {
  std::string key(queue_id);
  for (int shift = 24; shift >= 0; shift -= 8) key.push_back(static_cast<char>(index >> shift));
  return key;
}

std::string staging_marker(std::string_view queue_id) {
  return std::string(kStagingMetaPrefix) + std::string(queue_id);
}

bool split_indexed(std::string_view key, std::string_view& queue_id, uint32_t& index) {
  if (key.size() != kQueueIdLength + 4) return false;
  queue_id = key.substr(0, kQueueIdLength);
  index = 0;
  for (size_t i = kQueueIdLength; i < key.size(); ++i)
    index = (index << 8) | static_cast<uint8_t>(key[i]);
  return true;
}

}  // namespace poolgate::spool_keys

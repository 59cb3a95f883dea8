#include "delivery/spool_content_source.h"

#include <stdexcept>

namespace poolgate {

std::string_view SpoolContentSource::next() {
  std::optional<std::string> chunk = spool_.read_chunk(queue_id_, next_chunk_);
  if (!chunk || chunk->empty()) {
    if (delivered_ != expected_)
      throw std::runtime_error("spool: message " + queue_id_ + " has " +
                               std::to_string(delivered_) + " bytes of content, its envelope says " +
                               std::to_string(expected_));
    chunk_.clear();
    return {};
  }
  ++next_chunk_;
  delivered_ += chunk->size();
  if (delivered_ > expected_)
    throw std::runtime_error("spool: message " + queue_id_ + " has more content than its envelope says");
  chunk_ = std::move(*chunk);
  return chunk_;
}

}  // namespace poolgate

// A message's content pulled from the spool one chunk at a time while the
// client sends it, so a 30 MB message never sits whole in memory during
// delivery. A missing chunk or a total that disagrees with the envelope's size
// throws: the client then drops the connection before the final dot, and the
// next hop never takes a truncated message.
#pragma once

#include "delivery/content_source.h"
#include "spool/spool_view.h"

#include <cstdint>
#include <string>

namespace poolgate {

class SpoolContentSource : public ContentSource {
 public:
  SpoolContentSource(const SpoolView& spool, std::string queue_id, uint64_t expected_size)
      : spool_(spool), queue_id_(std::move(queue_id)), expected_(expected_size) {}
  std::string_view next() override;

 private:
  const SpoolView& spool_;
  std::string queue_id_;
  uint64_t expected_;
  uint64_t delivered_ = 0;
  uint32_t next_chunk_ = 0;
  std::string chunk_;  // the view next() returned stays valid until the next call
};

}  // namespace poolgate

// Where a relay session keeps the message it is receiving. The first
// relay.stream_threshold_bytes of DATA (the head) stay in memory: the
// classifier reads them (headers, and the scanner's max_scan_bytes, which the
// threshold must not be below) and the Received: and trace headers are put in
// front of them. Everything after the head goes to the spool while it arrives,
// in chunks of the spool's chunk size (spool/chunk_stager.h), so a 36 MB
// message costs the head and two chunks of memory, not 36 MB (or, as before,
// several copies of it). The commit then stores the head as chunk 0 and adopts
// the staged chunks 1..n: the stored message is the same bytes either way.
//
// A message that ends within the threshold (or within the first chunk past
// it) never touches the spool before its commit. Every byte held counts
// against the sessions' shared DataBudget; when the next bytes do not fit, the
// buffer drops what it has and ignores the rest, and the session answers 452
// 4.3.1 at the end of data. Staged chunks of a message that is not committed
// (rejected, refused, cut off) are discarded when the buffer goes away.
#pragma once

#include <utility>  // Boost 1.74 awaitable.hpp uses std::exchange without it

#include "relay/data_budget.h"
#include "spool/chunk_stager.h"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace poolgate {

struct MessageBufferLimits {
  uint64_t stream_threshold = 0;  // relay.stream_threshold_bytes
  uint64_t budget = 0;            // relay.max_data_in_flight_bytes (the session's generation)
  uint32_t chunk_bytes = 0;       // Spool::chunk_bytes()
};

// The most memory a message of `size` content bytes takes while it arrives:
// all of it up to the threshold, then the head plus the chunk being written
// and the one being filled. What MAIL FROM SIZE= is held against.
uint64_t memory_for_message(uint64_t size, const MessageBufferLimits& limits);

class MessageBuffer {
 public:
  // `queue_id`: the id the message will be committed under (Spool::new_queue_id).
  MessageBuffer(Spool& spool, boost::asio::any_io_executor executor, DataBudget& budget,
                MessageBufferLimits limits, std::string queue_id);
  ~MessageBuffer();  // gives back the budget; staged chunks go unless committed
  MessageBuffer(const MessageBuffer&) = delete;
  MessageBuffer& operator=(const MessageBuffer&) = delete;

  // The DataReader's sink: content in pieces of any size.
  void append(std::string_view bytes);
  // After each DataReader::feed(), before reading more: writes every full
  // chunk past the head, each after the previous write completed. This wait is
  // the backpressure: a client faster than the disk is simply read slower.
  boost::asio::awaitable<void> flush();
  // At the end of data: writes what is left past the head (when chunks were
  // already written) and waits for every write.
  boost::asio::awaitable<void> finish();
  // The message is rejected anyway: free its memory now, keep nothing more.
  void drop();

  bool dropped() const { return dropped_; }
  bool over_budget() const { return over_budget_; }
  std::error_code error() const { return error_; }  // a chunk could not be written
  uint64_t size() const { return size_; }           // content bytes received
  const std::string& queue_id() const { return queue_id_; }

  // After finish(): the head (the whole message when nothing was staged), for
  // the session to prefix, classify and commit with staged().
  std::string& head() { return head_; }
  StagedContent staged() const { return stager_ ? stager_->staged() : StagedContent{}; }
  // The commit adopted the staged chunks.
  void committed();

 private:
  boost::asio::awaitable<void> settle();  // waits for the write in flight
  void start_chunk(std::string bytes);

  Spool& spool_;
  boost::asio::any_io_executor executor_;
  DataBudget& budget_;
  MessageBufferLimits limits_;
  std::string queue_id_;
  std::string head_;
  std::string tail_;  // past the head, not yet handed to the spool
  std::optional<ChunkStager> stager_;  // from the first chunk on
  uint64_t held_ = 0;       // bytes taken from the budget
  uint64_t in_flight_ = 0;  // of which in the chunk being written
  uint64_t size_ = 0;
  bool dropped_ = false;
  bool over_budget_ = false;
  std::error_code error_;
};

}  // namespace poolgate

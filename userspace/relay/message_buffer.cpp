#include "relay/message_buffer.h"

#include <algorithm>

namespace poolgate {
namespace {

constexpr size_t kPrefixRoom = 4096;  // Received: and the trace header fit in this

}  // namespace

uint64_t memory_for_message(uint64_t size, const MessageBufferLimits& limits) {
  if (size <= limits.stream_threshold) return size;
  return std::min<uint64_t>(size, limits.stream_threshold + 2 * uint64_t{limits.chunk_bytes});
}

MessageBuffer::MessageBuffer(Spool& spool, boost::asio::any_io_executor executor,
                             DataBudget& budget, MessageBufferLimits limits,
                             std::string queue_id)
    : spool_(spool),
      executor_(std::move(executor)),
      budget_(budget),
      limits_(limits),
      queue_id_(std::move(queue_id)) {}

MessageBuffer::~MessageBuffer() { budget_.give_back(held_); }

void MessageBuffer::append(std::string_view bytes) {
  if (dropped_ || bytes.empty()) return;
  if (!budget_.try_take(bytes.size(), limits_.budget)) {
    over_budget_ = true;
    drop();
    return;
  }
  held_ += bytes.size();
  size_ += bytes.size();
  if (head_.size() < limits_.stream_threshold) {
    size_t take = std::min<uint64_t>(bytes.size(), limits_.stream_threshold - head_.size());
    // Grows as a string does, but never past the threshold, and with room for
    // the Received: and trace headers put in front later without a copy.
    size_t need = head_.size() + take;
    if (need > head_.capacity())
      head_.reserve(std::min<uint64_t>(limits_.stream_threshold,
                                       std::max<uint64_t>(need, 2 * head_.capacity())) +
                    kPrefixRoom);
    head_.append(bytes.substr(0, take));
    bytes.remove_prefix(take);
  }
  if (bytes.empty()) return;
  // One allocation for the chunk being filled (a feed adds at most a read's
  // worth past it before flush() cuts it).
  if (tail_.capacity() < limits_.chunk_bytes) tail_.reserve(limits_.chunk_bytes + 64 * 1024);
  tail_.append(bytes);
}

void MessageBuffer::drop() {
  dropped_ = true;
  // The chunk in flight stays counted until its write completes (settle()).
  uint64_t freed = head_.size() + tail_.size();
  budget_.give_back(freed);
  held_ -= freed;
  std::string().swap(head_);
  std::string().swap(tail_);
  if (stager_) stager_->discard();
}

boost::asio::awaitable<void> MessageBuffer::settle() {
  if (!stager_) co_return;
  std::error_code ec = co_await stager_->wait();
  budget_.give_back(in_flight_);
  held_ -= in_flight_;
  in_flight_ = 0;
  if (ec && !error_) {
    error_ = ec;
    if (!dropped_) drop();
  }
}

void MessageBuffer::start_chunk(std::string bytes) {
  if (!stager_) stager_.emplace(spool_, executor_, queue_id_);
  in_flight_ = bytes.size();
  stager_->start(std::move(bytes));
}

boost::asio::awaitable<void> MessageBuffer::flush() {
  while (!dropped_ && tail_.size() >= limits_.chunk_bytes) {
    co_await settle();
    if (dropped_) break;
    // Every staged chunk but the last has exactly chunk_bytes; the rest of
    // the tail (less than a read) starts the next one.
    std::string chunk = std::move(tail_);
    tail_.reserve(limits_.chunk_bytes + 64 * 1024);
    tail_.assign(chunk, limits_.chunk_bytes);
    chunk.resize(limits_.chunk_bytes);
    start_chunk(std::move(chunk));
  }
}

boost::asio::awaitable<void> MessageBuffer::finish() {
  co_await settle();
  if (dropped_) co_return;
  if (!stager_) {
    // Nothing staged: a message just past the threshold stays in memory and
    // is committed whole, with no staging write at all.
    head_ += tail_;
    std::string().swap(tail_);
    co_return;
  }
  if (!tail_.empty()) {
    start_chunk(std::move(tail_));
    std::string().swap(tail_);
    co_await settle();
  }
}

void MessageBuffer::committed() {
  if (stager_) stager_->adopted();
}

}  // namespace poolgate

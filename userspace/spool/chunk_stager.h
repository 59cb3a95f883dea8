// Writes one message's content to the spool while the message still arrives
// (Spool::stage_chunk_async): chunk 1, 2, ... each as it fills, one write in
// flight at a time. The writer waits for the previous write before it starts
// the next (and before it reads more from its client), so a slow disk slows
// the client instead of filling memory: what one message holds is the chunk
// being written and the one being filled.
//
// Completions come from the spool's committer thread and are posted to the
// writer's executor. The destructor discards what was staged unless the
// commit adopted it; a write still in flight then completes into shared state,
// never into a destroyed stager.
#pragma once

#include <utility>  // Boost 1.74 awaitable.hpp uses std::exchange without it

#include "spool/spool.h"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <memory>
#include <string>
#include <system_error>

namespace poolgate {

class ChunkStager {
 public:
  // `queue_id`: from Spool::new_queue_id(), the id the message is committed under.
  ChunkStager(Spool& spool, boost::asio::any_io_executor executor, std::string queue_id);
  ~ChunkStager();
  ChunkStager(const ChunkStager&) = delete;
  ChunkStager& operator=(const ChunkStager&) = delete;

  const std::string& queue_id() const { return queue_id_; }

  // Starts writing `bytes` as the next chunk. Only when nothing is in flight
  // (after wait()).
  void start(std::string bytes);
  bool in_flight() const;
  // Waits for the write in flight, if any. The first write that failed stays
  // the answer: the staged content is incomplete and must not be committed.
  boost::asio::awaitable<std::error_code> wait();

  // What was staged: what Spool::commit_staged_async adopts (after wait()).
  StagedContent staged() const { return staged_; }
  // The commit took the chunks over: nothing to discard.
  void adopted() { adopted_ = true; }
  // Drops what was staged now (the destructor does it too). Queued behind a
  // write in flight, so it also removes that chunk.
  void discard();

 private:
  struct State;
  Spool& spool_;
  boost::asio::any_io_executor executor_;
  std::string queue_id_;
  std::shared_ptr<State> state_;
  StagedContent staged_;
  bool adopted_ = false;
  bool discarded_ = false;
};

}  // namespace poolgate

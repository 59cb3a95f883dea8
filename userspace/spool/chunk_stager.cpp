#include "spool/chunk_stager.h"

#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <functional>
#include <stdexcept>

namespace poolgate {

namespace asio = boost::asio;

// Shared with the completion of the write in flight, which may arrive after
// the stager is gone. Touched only on the writer's executor.
struct ChunkStager::State {
  bool busy = false;
  std::error_code error;
  std::function<void()> waiter;  // resumes wait(), if it is waiting
};

ChunkStager::ChunkStager(Spool& spool, asio::any_io_executor executor, std::string queue_id)
    : spool_(spool),
      executor_(std::move(executor)),
      queue_id_(std::move(queue_id)),
      state_(std::make_shared<State>()) {}

ChunkStager::~ChunkStager() { discard(); }

bool ChunkStager::in_flight() const { return state_->busy; }

void ChunkStager::start(std::string bytes) {
  if (state_->busy) throw std::logic_error("ChunkStager: a chunk is already in flight");
  state_->busy = true;
  ++staged_.chunks;
  staged_.bytes += bytes.size();
  spool_.stage_chunk_async(
      queue_id_, staged_.chunks, std::move(bytes),
      [state = state_, executor = executor_](std::error_code ec) {
        asio::post(executor, [state, ec] {
          state->busy = false;
          if (ec && !state->error) state->error = ec;
          if (auto waiter = std::move(state->waiter)) {
            state->waiter = nullptr;
            waiter();
          }
        });
      });
}

asio::awaitable<std::error_code> ChunkStager::wait() {
  if (state_->busy) {
    // A raw pointer (the stager, which owns the state, outlives this wait): GCC
    // 12 destroys a co_await expression's temporaries twice, and a shared_ptr
    // captured here would drop a reference it never took.
    State* state = state_.get();
    co_await asio::async_initiate<decltype(asio::use_awaitable), void()>(
        [state](auto handler) {
          // The coroutine's handler is move-only; std::function wants a copy.
          auto shared = std::make_shared<decltype(handler)>(std::move(handler));
          state->waiter = [shared] { (*shared)(); };
        },
        asio::use_awaitable);
  }
  co_return state_->error;
}

void ChunkStager::discard() {
  if (adopted_ || discarded_ || staged_.chunks == 0) return;
  discarded_ = true;
  // Nobody waits for the answer: if it fails (or a crash comes first), the
  // next open removes the chunks (orphan_chunks.h).
  spool_.discard_staged_async(queue_id_, staged_.chunks, [](std::error_code) {});
}

}  // namespace poolgate

#include "spool/spool_commit.h"

#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>

namespace poolgate {

namespace asio = boost::asio;

asio::awaitable<CommitResult> commit_to_spool(Spool& spool, Envelope envelope,
                                              std::string content, StagedContent staged,
                                              CommitKind kind) {
  auto executor = co_await asio::this_coro::executor;
  auto [error, queue_id] = co_await asio::async_initiate<
      decltype(asio::use_awaitable), void(std::error_code, std::string)>(
      [&spool, &envelope, &content, staged, kind, executor](auto handler) {
        // The spool takes a copyable std::function; the coroutine's handler is
        // move-only, so it travels in a shared_ptr.
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        Spool::CommitCallback done = [shared, executor](std::error_code ec, std::string id) {
          asio::post(executor, [shared, ec, id = std::move(id)]() mutable {
            (*shared)(ec, std::move(id));
          });
        };
        if (staged.chunks > 0)
          spool.commit_staged_async(std::move(envelope), std::move(content), staged,
                                    std::move(done));
        else
          spool.commit_async(std::move(envelope), std::move(content), std::move(done), kind);
      },
      asio::use_awaitable);
  co_return CommitResult{error, queue_id};
}

}  // namespace poolgate

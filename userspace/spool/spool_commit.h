// Awaits a spool commit from a coroutine (a relay session storing a message,
// the delivery engine storing a DSN): the spool's committer thread completes
// it, and the completion is posted back to the coroutine's executor, so the
// event loop never blocks on fsync while other writers share the sync (group
// commit).
#pragma once

#include "spool/spool.h"

#include <boost/asio/awaitable.hpp>

#include <string>
#include <system_error>

namespace poolgate {

struct CommitResult {
  std::error_code error;
  std::string queue_id;
};

// With `staged` chunks (chunk_stager.h), `content` is the message's head and
// the commit adopts the chunks (Spool::commit_staged_async).
boost::asio::awaitable<CommitResult> commit_to_spool(Spool& spool, Envelope envelope,
                                                     std::string content,
                                                     StagedContent staged = {},
                                                     CommitKind kind = CommitKind::ClientMail);

}  // namespace poolgate

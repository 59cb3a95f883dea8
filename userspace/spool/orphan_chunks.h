// What a crash in the middle of a streamed DATA leaves: content chunks staged
// under a queue id that never got its envelope (batch_builder.h, StageChunkOp).
// Nothing refers to them and no one would ever remove them, so the read-write
// open removes them before anything else writes.
#pragma once

#include <cstddef>

namespace poolgate {

class SpoolDb;

struct OrphanChunks {
  size_t messages = 0;  // queue ids whose chunks were removed
  size_t chunks = 0;
};

// Finds them through their spool/staging/ markers (keys.h), so the cost is
// what was in flight at the crash, never a scan of every message's content.
// A marker whose message did get its envelope (cannot happen: the commit
// erases it in the same batch) is dropped and the message left alone. Throws
// SpoolError when the database refuses the read or the write.
OrphanChunks remove_orphan_chunks(const SpoolDb& db);

}  // namespace poolgate

// The spool's key layout, one column family per kind of record:
//
//   envelopes    <queue id>                    envelope record (records.h)
//   content      <queue id><chunk, u32 BE>     the message bytes, in chunks
//   recipients   <queue id><index, u32 BE>     recipient status (records.h)
//   meta         <name>                        named records (spool/..., reserved)
//
// A message streamed in while it arrives has content chunks (1..n) before it
// has an envelope, marked by a spool/staging/<queue id> meta record.
//
// Queue ids have a fixed length and sort by arrival, so a message's chunks and
// recipients are contiguous and in order, and iterating `envelopes` walks the
// queue oldest first. Separate families keep the small, hot envelope and status
// records out of the content's SST files (an envelope scan at startup never
// reads message bodies) and let content use larger memtables.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace poolgate::spool_keys {

inline constexpr const char* kEnvelopes = "envelopes";
inline constexpr const char* kContent = "content";
inline constexpr const char* kRecipients = "recipients";
inline constexpr const char* kMeta = "meta";

// Meta names under this prefix belong to the spool itself.
inline constexpr std::string_view kReservedMetaPrefix = "spool/";
inline constexpr const char* kFormatMeta = "spool/format";
inline constexpr const char* kQueueIdFloorMeta = "spool/queue_id_floor";
// spool/staging/<queue id>: the message has staged content chunks and no
// envelope yet (Spool::stage_chunk_async). Written with its first chunk,
// erased by the commit that adopts them or the discard that drops them, each in
// the same atomic batch; so a chunk without an envelope always has one, and
// open() finds a crash's leftovers without reading every message's content.
inline constexpr std::string_view kStagingMetaPrefix = "spool/staging/";
std::string staging_marker(std::string_view queue_id);

// <queue id><index as 4 bytes big-endian>: chunk or recipient number `index`.
std::string indexed(std::string_view queue_id, uint32_t index);

// Splits an indexed key; false when it is not one.
bool split_indexed(std::string_view key, std::string_view& queue_id, uint32_t& index);

}  // namespace poolgate::spool_keys

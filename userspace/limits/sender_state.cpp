#include "limits/sender_state.h"

#include "spool/tlv.h"

#include <cctype>
#include <vector>

namespace poolgate {
namespace {

constexpr uint8_t kVersion = 1;

// Field tags. A window is a nested record of (bucket index, count) pairs as
// consecutive uint fields: bucket indexes as deltas from the previous one, so
// an hour of minute buckets costs a few bytes per active minute.
enum Tag : uint32_t {
  kExternalHour = 1,
  kInternalHour = 2,
  kRecipientsDay = 3,
  kMessagesMinute = 4,
  kBlockedUntil = 5,
  kBlockedSince = 6,
  kBlockReasons = 7,
  kLastExceeded = 8,
  kTimesExceeded = 9,
  kLastReasons = 10,
};
enum WindowTag : uint32_t { kBucketDelta = 1, kBucketCount = 2 };

void put_window(TlvWriter& out, uint32_t tag, const SlidingWindow& window) {
  if (window.empty()) return;
  TlvWriter fields;
  int64_t previous = 0;
  for (const auto& [index, n] : window.buckets()) {
    fields.sint(kBucketDelta, index - previous);
    fields.uint(kBucketCount, n);
    previous = index;
  }
  out.nested(tag, fields);
}

void get_window(std::string_view value, SlidingWindow& window) {
  TlvReader in(value, "sender limit window");
  std::vector<std::pair<int64_t, uint64_t>> buckets;
  int64_t index = 0;
  bool have_index = false;
  uint32_t tag;
  std::string_view field;
  while (in.next(tag, field)) {
    if (tag == kBucketDelta) {
      index += in.as_sint(field);
      have_index = true;
    } else if (tag == kBucketCount) {
      if (!have_index) throw RecordError("sender limit window: count without a bucket");
      buckets.emplace_back(index, in.as_uint(field));
      have_index = false;
    }
  }
  window.restore(std::move(buckets));
}

}  // namespace

bool SenderState::idle_at(int64_t now) {
  bool empty = external_hour.expire(now) & internal_hour.expire(now) &
               recipients_day.expire(now) & messages_minute.expire(now);
  // A limit reached in the last day keeps the sender in `senders list`.
  return empty && !blocked_at(now) && now - last_exceeded_unix >= 86400;
}

bool lift_block(SenderState& state) {
  if (state.blocked_until == 0) return false;
  SenderState fresh;
  state = fresh;
  return true;
}

std::string encode_sender_state(const SenderState& state) {
  TlvWriter out(kVersion);
  put_window(out, kExternalHour, state.external_hour);
  put_window(out, kInternalHour, state.internal_hour);
  put_window(out, kRecipientsDay, state.recipients_day);
  put_window(out, kMessagesMinute, state.messages_minute);
  if (state.blocked_until) out.sint(kBlockedUntil, state.blocked_until);
  if (state.blocked_since) out.sint(kBlockedSince, state.blocked_since);
  if (!state.block_reasons.empty()) out.bytes(kBlockReasons, state.block_reasons);
  if (state.last_exceeded_unix) out.sint(kLastExceeded, state.last_exceeded_unix);
  if (state.times_exceeded) out.uint(kTimesExceeded, state.times_exceeded);
  if (!state.last_reasons.empty()) out.bytes(kLastReasons, state.last_reasons);
  return out.take();
}

SenderState decode_sender_state(std::string_view record) {
  TlvReader in(record, kVersion, "sender limit state");
  SenderState state;
  uint32_t tag;
  std::string_view value;
  while (in.next(tag, value)) {
    switch (tag) {
      case kExternalHour: get_window(value, state.external_hour); break;
      case kInternalHour: get_window(value, state.internal_hour); break;
      case kRecipientsDay: get_window(value, state.recipients_day); break;
      case kMessagesMinute: get_window(value, state.messages_minute); break;
      case kBlockedUntil: state.blocked_until = in.as_sint(value); break;
      case kBlockedSince: state.blocked_since = in.as_sint(value); break;
      case kBlockReasons: state.block_reasons = std::string(value); break;
      case kLastExceeded: state.last_exceeded_unix = in.as_sint(value); break;
      case kTimesExceeded: state.times_exceeded = in.as_uint(value); break;
      case kLastReasons: state.last_reasons = std::string(value); break;
      default: break;  // a newer poolgate's field
    }
  }
  return state;
}

std::string sender_key(std::string_view auth_user, std::string_view envelope_sender) {
  std::string key(auth_user.empty() ? envelope_sender : auth_user);
  for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return key;
}

}  // namespace poolgate

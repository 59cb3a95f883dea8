#include "spool/queue_id.h"

#include <algorithm>
#include <chrono>

namespace poolgate {
namespace {

constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr int kSequenceBits = 12;
constexpr int kRandomBits = 16;
constexpr uint32_t kMaxSequence = (1u << kSequenceBits) - 1;
constexpr uint64_t kMaxMicros = (uint64_t{1} << 52) - 1;

using u128 = unsigned __int128;

int digit_value(char c) {
  const char* at = std::find(kAlphabet, kAlphabet + 32, c);
  return at == kAlphabet + 32 ? -1 : static_cast<int>(at - kAlphabet);
}

}  // namespace

uint64_t system_clock_micros() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

QueueIdGenerator::QueueIdGenerator(uint64_t floor_micros, Clock clock)
    : clock_(std::move(clock)),
      last_micros_(floor_micros),
      sequence_(kMaxSequence),  // the floor's microsecond counts as used up
      random_(std::random_device{}()) {}

void QueueIdGenerator::raise_floor(uint64_t floor_micros) {
  std::lock_guard lock(mutex_);
  if (floor_micros >= last_micros_) {
    last_micros_ = floor_micros;
    sequence_ = kMaxSequence;
  }
}

std::string QueueIdGenerator::next() {
  uint64_t micros;
  uint32_t sequence;
  uint32_t random;
  {
    std::lock_guard lock(mutex_);
    uint64_t now = clock_();
    if (now > last_micros_) {
      last_micros_ = now;
      sequence_ = 0;
    } else if (sequence_ < kMaxSequence) {
      ++sequence_;  // same microsecond (or the clock went back): next sequence
    } else {
      ++last_micros_;  // 4096 ids in one microsecond: borrow the next one
      sequence_ = 0;
    }
    micros = std::min(last_micros_, kMaxMicros);
    sequence = sequence_;
    random = random_() & ((1u << kRandomBits) - 1);
  }
  u128 value = (u128{micros} << (kSequenceBits + kRandomBits)) |
               (u128{sequence} << kRandomBits) | random;
  std::string id(kQueueIdLength, '0');
  for (size_t i = kQueueIdLength; i-- > 0; value >>= 5) id[i] = kAlphabet[value & 31];
  return id;
}

std::optional<uint64_t> QueueIdGenerator::micros_of(std::string_view id) {
  if (id.size() != kQueueIdLength) return std::nullopt;
  u128 value = 0;
  for (char c : id) {
    int digit = digit_value(c);
    if (digit < 0) return std::nullopt;
    value = (value << 5) | static_cast<unsigned>(digit);
  }
  return static_cast<uint64_t>(value >> (kSequenceBits + kRandomBits));
}

}  // namespace poolgate

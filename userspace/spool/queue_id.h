// Queue ids: 16 characters of base32 over 80 bits,
//
//   52 bits  microseconds since the Unix epoch (good until the year 2112)
//   12 bits  sequence number within one microsecond
//   16 bits  random
//
// written most significant bit first in an alphabet whose ASCII order is its
// numeric order (Crockford's: 0-9 A-Z without I L O U), so comparing two ids as
// strings compares their arrival, and RocksDB's bytewise key order is the queue
// order. Within a process the (time, sequence) pair strictly increases, even if
// the clock steps back; across restarts the spool seeds the generator with a
// persisted floor (the time of the highest id ever committed), so an id is never
// reused. The random part keeps ids from different spools (hosts, tests) apart.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>

namespace poolgate {

inline constexpr size_t kQueueIdLength = 16;

uint64_t system_clock_micros();

class QueueIdGenerator {
 public:
  using Clock = std::function<uint64_t()>;  // microseconds since the epoch

  explicit QueueIdGenerator(uint64_t floor_micros = 0, Clock clock = system_clock_micros);

  // Thread-safe; every id is greater than every id this generator issued before
  // and than any id whose time part is <= the floor.
  std::string next();

  // Never issue an id with a time part <= floor_micros from now on.
  void raise_floor(uint64_t floor_micros);

  // The time part of an id, nullopt when the string is not a queue id.
  static std::optional<uint64_t> micros_of(std::string_view id);

 private:
  std::mutex mutex_;
  Clock clock_;
  uint64_t last_micros_;
  uint32_t sequence_;
  std::mt19937 random_;
};

}  // namespace poolgate

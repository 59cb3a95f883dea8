// The embedded CounterStore: one spool meta record per sender,
// "limits/sender/<sender>" -> encode_sender_state(), so counts and blocks
// survive a restart with no extra database.
//
// Every state is read into memory when the store opens (the records are small
// and only senders active in the last day have one; idle ones are pruned
// then), so load() never touches the disk on the event loop.
//
// save() writes with put_meta_async: the event loop does not wait for the
// fsync. At most one write per sender is in flight; saves arriving meanwhile
// only mark the sender dirty and the newest state is written when the flight
// lands, so a busy sender costs one record per group commit, not one per
// message. Crash semantics: what was acknowledged by the spool survives; a
// crash (kill -9, power loss) loses at most each sender's increments since its
// last completed write, i.e. the last batch (the in-flight write and the dirty
// state behind it), never older counts and never a record half-written.
//
// Thread-safe: save() runs on the event loop, completions on the spool's
// committer thread. flush() (and the destructor) wait for every write and must
// be called before the Spool is destroyed, never from a spool callback.
#pragma once

#include "limits/counter_store.h"

#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace poolgate {
class Spool;
class SpoolView;

inline constexpr const char* kSenderMetaPrefix = "limits/sender/";

// Every sender record in a spool (also a read-only one, for `senders list`).
// Records that do not decode are skipped and described in `problems`.
std::vector<std::pair<std::string, SenderState>> read_sender_states(
    const SpoolView& spool, std::vector<std::string>* problems = nullptr);

class SpoolCounterStore : public CounterStore {
 public:
  // Loads every record; records idle at `now` are erased (blocking: startup).
  SpoolCounterStore(Spool& spool, int64_t now);
  ~SpoolCounterStore() override;

  SenderState load(const std::string& sender) override;
  void save(const std::string& sender, const SenderState& state) override;
  std::vector<std::pair<std::string, SenderState>> list() const override;
  // Blocking (waits for the spool): for operators and startup, not per message.
  void erase(const std::string& sender) override;
  // Drops idle senders from memory only; their records (all counts expired)
  // are erased at the next start, and until then read as idle anyway.
  void forget_idle(int64_t now) override;

  // Waits until every save so far is durable (or failed).
  void flush();
  // Writes that failed (logged): for metrics.
  uint64_t write_errors() const;

 private:
  void start_write(const std::string& sender, std::string value);
  void written(const std::string& sender, std::error_code ec);

  Spool& spool_;
  mutable std::mutex mutex_;
  std::condition_variable idle_;
  std::map<std::string, SenderState> states_;
  std::set<std::string> in_flight_;
  std::set<std::string> dirty_;
  uint64_t write_errors_ = 0;
};

}  // namespace poolgate

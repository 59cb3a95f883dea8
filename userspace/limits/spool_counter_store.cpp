#include "limits/spool_counter_store.h"

#include "common/log_text.h"
#include "spool/spool.h"
#include "spool/tlv.h"

#include <spdlog/spdlog.h>

namespace poolgate {

namespace {
std::string meta_name(const std::string& sender) { return kSenderMetaPrefix + sender; }
}  // namespace

std::vector<std::pair<std::string, SenderState>> read_sender_states(
    const SpoolView& spool, std::vector<std::string>* problems) {
  std::vector<std::pair<std::string, SenderState>> out;
  const std::string prefix = kSenderMetaPrefix;
  for (auto& [name, value] : spool.list_meta(prefix)) {
    std::string sender = name.substr(prefix.size());
    try {
      out.emplace_back(sender, decode_sender_state(value));
    } catch (const RecordError& e) {
      // One bad record must not lift every other sender's limits.
      std::string what = "sender " + sender + ": " + e.what();
      if (problems) problems->push_back(what);
      else spdlog::warn("limits: skipping undecodable record: {}", what);
    }
  }
  return out;
}

SpoolCounterStore::SpoolCounterStore(Spool& spool, int64_t now) : spool_(spool) {
  std::vector<std::string> idle;
  for (auto& [sender, state] : read_sender_states(spool)) {
    if (state.idle_at(now)) idle.push_back(sender);
    else states_.emplace(sender, std::move(state));
  }
  for (const std::string& sender : idle) spool_.erase_meta(meta_name(sender));
  if (!states_.empty() || !idle.empty())
    spdlog::info("limits: {} sender(s) with live counters restored from the spool, {} idle pruned",
                 states_.size(), idle.size());
}

SpoolCounterStore::~SpoolCounterStore() { flush(); }

SenderState SpoolCounterStore::load(const std::string& sender) {
  std::lock_guard lock(mutex_);
  auto it = states_.find(sender);
  return it == states_.end() ? SenderState{} : it->second;
}

void SpoolCounterStore::save(const std::string& sender, const SenderState& state) {
  std::string value = encode_sender_state(state);
  {
    std::lock_guard lock(mutex_);
    states_[sender] = state;
    if (in_flight_.count(sender)) {
      dirty_.insert(sender);  // written when the flight lands (coalesced)
      return;
    }
    in_flight_.insert(sender);
  }
  start_write(sender, std::move(value));
}

// Called without the lock: after close() the spool completes at once, on this
// thread, and written() takes the lock.
void SpoolCounterStore::start_write(const std::string& sender, std::string value) {
  spool_.put_meta_async(meta_name(sender), std::move(value),
                        [this, sender](std::error_code ec) { written(sender, ec); });
}

void SpoolCounterStore::written(const std::string& sender, std::error_code ec) {
  std::string again;
  {
    std::lock_guard lock(mutex_);
    if (ec) {
      ++write_errors_;
      // The count stays in memory and the next save retries; only a crash
      // before then loses it.
      spdlog::warn("limits: saving counters of {} failed: {}", log_text(sender), ec.message());
    }
    if (!ec && dirty_.erase(sender)) {
      auto it = states_.find(sender);
      if (it != states_.end()) again = encode_sender_state(it->second);
    }
    if (again.empty()) {
      dirty_.erase(sender);
      in_flight_.erase(sender);
      if (in_flight_.empty()) idle_.notify_all();
      return;
    }
  }
  start_write(sender, std::move(again));
}

std::vector<std::pair<std::string, SenderState>> SpoolCounterStore::list() const {
  std::lock_guard lock(mutex_);
  return {states_.begin(), states_.end()};
}

void SpoolCounterStore::erase(const std::string& sender) {
  flush();  // a write still in flight must not land after the erase
  {
    std::lock_guard lock(mutex_);
    states_.erase(sender);
  }
  spool_.erase_meta(meta_name(sender));
}

void SpoolCounterStore::forget_idle(int64_t now) {
  std::lock_guard lock(mutex_);
  for (auto it = states_.begin(); it != states_.end();) {
    if (!in_flight_.count(it->first) && it->second.idle_at(now)) it = states_.erase(it);
    else ++it;
  }
}

void SpoolCounterStore::flush() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] { return in_flight_.empty(); });
}

uint64_t SpoolCounterStore::write_errors() const {
  std::lock_guard lock(mutex_);
  return write_errors_;
}

}  // namespace poolgate

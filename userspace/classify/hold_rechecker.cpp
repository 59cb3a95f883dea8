#include "classify/hold_rechecker.h"

#include "classify/classifier.h"
#include "common/log_text.h"
#include "spool/errors.h"
#include "spool/spool.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <ctime>
#include <optional>

namespace poolgate {

namespace asio = boost::asio;

namespace {

constexpr uint32_t kMaxRecheckSeconds = 30;

}  // namespace

HoldRechecker::HoldRechecker(asio::io_context& io, Classifier& classifier, Spool& spool,
                             Release release)
    : io_(io), classifier_(classifier), spool_(spool), release_(std::move(release)) {}

void HoldRechecker::add(const Envelope& envelope) {
  if (!envelope.hold_for_dns || stopping_) return;
  auto [it, inserted] = held_.emplace(envelope.queue_id, Held{envelope, nullptr, false});
  if (inserted) asio::co_spawn(io_, watch(envelope.queue_id), asio::detached);
}

bool HoldRechecker::recheck_now(const std::string& queue_id) {
  auto it = held_.find(queue_id);
  if (it == held_.end()) return false;
  if (it->second.wait) it->second.wait->cancel();
  else it->second.again_now = true;  // a lookup is under way: the next one right after it
  return true;
}

void HoldRechecker::stop() {
  stopping_ = true;
  for (auto& [id, held] : held_)
    if (held.wait) held.wait->cancel();
}

uint32_t HoldRechecker::interval_s() const {
  return std::clamp<uint32_t>(classifier_.config().classify.dns_unknown_after_s / 2, 1,
                              kMaxRecheckSeconds);
}

asio::awaitable<void> HoldRechecker::watch(std::string queue_id) {
  while (!stopping_) {
    auto it = held_.find(queue_id);
    if (it == held_.end()) co_return;
    // The first chunk holds the headers (the From: check). None: the message
    // left the spool meanwhile (`queue delete`, `queue bounce`).
    std::optional<std::string> headers;
    try {
      headers = spool_.read_chunk(queue_id, 0);
    } catch (const std::exception& e) {
      spdlog::warn("{}: reading its headers for the sender domain check: {}", queue_id, e.what());
      headers = std::string();
    }
    if (!headers) {
      held_.erase(it);
      co_return;
    }
    it->second.again_now = false;
    Envelope envelope = it->second.envelope;
    // The cache never keeps a failure, so this is a fresh lookup.
    std::vector<DomainCheck> checks = co_await classifier_.check_domains(envelope, *headers);
    it = held_.find(queue_id);
    if (it == held_.end() || stopping_) co_return;
    Decision decision = resolve_hold(envelope, checks, classifier_.config(), std::time(nullptr));
    if (decision.action != Decision::Action::Hold) {
      held_.erase(it);
      // Durable, so `queue show` and a restart see the decision acted on. The
      // delivery does not wait for it: a crash before it is written only
      // repeats the check.
      spool_.reclassify_async(queue_id, decision.pool, decision.reasons, false,
                              [queue_id](std::error_code ec) {
                                if (ec && ec != SpoolErrc::not_found)
                                  spdlog::warn("{}: saving its decision: {}", queue_id, ec.message());
                              });
      if (release_(queue_id, decision.pool, decision.reasons))
        spdlog::info("{}: sender domain checked again: pool={} reasons={}", queue_id,
                     decision.pool, log_text(decision.reasons_text()));
      co_return;
    }
    if (it->second.again_now) continue;  // `queue retry` during the lookup
    auto wait = std::make_shared<asio::steady_timer>(io_, std::chrono::seconds(interval_s()));
    it->second.wait = wait;  // recheck_now() and stop() cancel it
    boost::system::error_code ec;
    co_await wait->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    it = held_.find(queue_id);
    if (it != held_.end()) it->second.wait.reset();
  }
}

}  // namespace poolgate

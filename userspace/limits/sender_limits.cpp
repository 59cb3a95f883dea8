#include "limits/sender_limits.h"

#include "common/log_text.h"
#include "config/limits_section.h"
#include "mail/domain_name.h"

#include <spdlog/spdlog.h>

namespace poolgate {
namespace {

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& part : parts) out += (out.empty() ? "" : ", ") + part;
  return out;
}

}  // namespace

const char* limit_name(Limit limit) {
  switch (limit) {
    case Limit::RecipientsPerMessage: return "recipients-per-message";
    case Limit::ExternalPerHour: return "external-per-hour";
    case Limit::InternalPerHour: return "internal-per-hour";
    case Limit::RecipientsPerDay: return "recipients-per-day";
    case Limit::MessagesPerMinute: return "messages-per-minute";
  }
  return "?";
}

SenderLimits::SenderLimits(const LimitsConfig& config,
                           const std::vector<std::string>& internal_domains, CounterStore& store,
                           Clock clock)
    : store_(store), clock_(std::move(clock)) {
  reconfigure(config, internal_domains);
}

void SenderLimits::reconfigure(const LimitsConfig& config,
                               const std::vector<std::string>& internal_domains) {
  config_ = config;
  internal_domains_.clear();
  for (const std::string& domain : internal_domains) internal_domains_.insert(normalize_domain(domain));
}

bool SenderLimits::is_internal(const std::string& recipient) const {
  // "Postmaster" without a domain (RFC 5321 4.1.1.3) is the relay's own.
  if (recipient.find('@') == std::string::npos) return true;
  return internal_domains_.count(address_domain(recipient)) != 0;
}

void SenderLimits::check(Limit limit, uint64_t count, uint32_t configured,
                         std::vector<std::string>& exceeded, std::vector<Limit>& which) const {
  if (configured == 0 || count <= configured) return;  // 0 = no limit
  exceeded.push_back("limit:" + std::string(limit_name(limit)) + " " + std::to_string(count) +
                     ">" + std::to_string(configured));
  which.push_back(limit);
}

LimitVerdict SenderLimits::check_and_count(const Envelope& envelope) {
  return check_and_count(envelope, clock_());
}

LimitVerdict SenderLimits::check_and_count(const Envelope& envelope, int64_t now) {
  LimitVerdict verdict;
  verdict.action = config_.action;
  if (now - last_forget_ >= 3600) {  // keep the store's memory to active senders
    store_.forget_idle(now);
    last_forget_ = now;
  }
  std::string sender = sender_key(envelope.auth_user, envelope.sender);
  if (sender.empty()) {
    ++counters_.messages_unlimited;
    return verdict;
  }

  SenderState state = store_.load(sender);
  if (state.blocked_until != 0 && !state.blocked_at(now)) {
    // Block-for-today reached midnight. The counts go with the block: the
    // day window would otherwise still hold yesterday's recipients and block
    // the sender again on its first message of the new day.
    lift_block(state);
    ++counters_.blocks_expired;
    spdlog::info("limits: {}: block-for-today expired at 00:00 UTC", log_text(sender));
  }
  if (state.blocked_at(now)) {
    ++counters_.messages_blocked;
    verdict.blocked = true;
    return verdict;  // not counted: see sender_limits.h
  }

  uint64_t external = 0, internal = 0;
  for (const Recipient& r : envelope.recipients) (is_internal(r.address) ? internal : external) += 1;
  state.external_hour.add(now, external);
  state.internal_hour.add(now, internal);
  state.recipients_day.add(now, external + internal);
  state.messages_minute.add(now, 1);
  ++counters_.messages_counted;

  std::vector<Limit> which;
  check(Limit::RecipientsPerMessage, external + internal, config_.recipients_per_message,
        verdict.exceeded, which);
  check(Limit::ExternalPerHour, state.external_hour.count(now),
        config_.external_recipients_per_hour, verdict.exceeded, which);
  check(Limit::InternalPerHour, state.internal_hour.count(now),
        config_.internal_recipients_per_hour, verdict.exceeded, which);
  check(Limit::RecipientsPerDay, state.recipients_day.count(now), config_.recipients_per_day,
        verdict.exceeded, which);
  check(Limit::MessagesPerMinute, state.messages_minute.count(now), config_.messages_per_minute,
        verdict.exceeded, which);

  if (!which.empty()) {
    ++counters_.messages_over_limit;
    for (Limit limit : which) ++counters_.reached[static_cast<size_t>(limit)];
    std::string reasons = join(verdict.exceeded);
    spdlog::warn("limits: {} reached {} (queue id {}, action {})", log_text(sender), reasons,
                 envelope.queue_id.empty() ? "-" : envelope.queue_id, limit_action_name(config_.action));
    state.last_exceeded_unix = now;
    ++state.times_exceeded;
    state.last_reasons = reasons;
    if (config_.action == LimitAction::BlockForToday || config_.action == LimitAction::Block)
      impose_block(sender, state, now, reasons);
  }
  store_.save(sender, state);
  return verdict;
}

void SenderLimits::impose_block(const std::string& sender, SenderState& state, int64_t now,
                                const std::string& reasons) {
  bool for_today = config_.action == LimitAction::BlockForToday;
  state.blocked_until = for_today ? next_utc_midnight(now) : kBlockedUntilRelease;
  state.blocked_since = now;
  state.block_reasons = reasons;
  ++counters_.blocks_imposed;
  spdlog::warn("limits: {} blocked {} ({})", log_text(sender),
               for_today ? "until 00:00 UTC" : "until released (poolgate senders release)", reasons);
}

bool SenderLimits::release(const std::string& sender_in) {
  std::string sender = sender_key("", sender_in);
  SenderState state = store_.load(sender);
  if (!lift_block(state)) return false;
  store_.save(sender, state);
  ++counters_.releases;
  spdlog::info("limits: {} released by the operator", log_text(sender));
  return true;
}

std::vector<SenderReport> SenderLimits::report() const {
  int64_t now = clock_();
  std::vector<SenderReport> out;
  for (const auto& [sender, state] : store_.list()) out.push_back(report_of(sender, state, now));
  return out;
}

}  // namespace poolgate

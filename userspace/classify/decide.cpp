#include "classify/decide.h"

#include <fmt/format.h>

namespace poolgate {
namespace {

bool rejects(const LimitVerdict& limits) {
  if (limits.blocked) return true;
  return !limits.exceeded.empty() &&
         (limits.action == LimitAction::Block || limits.action == LimitAction::BlockForToday);
}

Reply reject_reply(const LimitVerdict& limits) {
  // The issue asks 5.1.8 for block-for-today: the sender's address is refused
  // for the rest of the day; 5.7.1 (delivery not authorized) for a block that
  // lasts until an operator releases it.
  if (limits.action == LimitAction::BlockForToday)
    return make_reply(550, "5.1.8",
                            "sender blocked by outbound spam policy until 00:00 UTC");
  return make_reply(550, "5.7.1", "sender blocked by outbound spam policy");
}

std::string scanner_failed_reason(const SpamVerdict& spam) {
  std::string detail = spam.scanner;
  if (!spam.detail.empty()) detail += (detail.empty() ? "" : ": ") + spam.detail;
  return detail.empty() ? "spam:scanner-failed" : "spam:scanner-failed (" + detail + ")";
}

std::string spam_reason(const SpamVerdict& spam) {
  return fmt::format("spam:{} score={:.1f} required={:.1f}",
                     spam.scanner.empty() ? "scanner" : spam.scanner, spam.score, spam.required);
}

std::string domain_reason(const DomainCheck& check, const char* what, bool with_detail) {
  std::string text = check.role + "-domain:" + what + " " + check.domain;
  if (with_detail && !check.detail.empty()) text += " (" + check.detail + ")";
  return text;
}

std::string sender_domain(const Facts& facts) {
  if (!facts.sender_domain.empty()) return facts.sender_domain;
  for (const DomainCheck& check : facts.domains)
    if (check.role == "sender") return check.domain;
  return "";
}

}  // namespace

Decision decide(const Facts& facts, const Config& config) {
  Decision decision;
  std::vector<std::string>& reasons = decision.reasons;
  const LimitVerdict& limits = facts.limits;
  bool high_risk = false;

  // 1. Limits that refuse.
  const bool reject = rejects(limits);
  if (limits.blocked) reasons.push_back("limit:sender-blocked");
  if (reject) reasons.insert(reasons.end(), limits.exceeded.begin(), limits.exceeded.end());

  // 2. Scanner failure: the reason whatever the setting.
  bool tempfail = false;
  if (facts.spam.status == SpamVerdict::Status::Failed) {
    reasons.push_back(scanner_failed_reason(facts.spam));
    tempfail = config.spam.on_scanner_failure == ScannerFailure::TempFail;
    high_risk = config.spam.on_scanner_failure == ScannerFailure::HighRisk;
  }

  // 3. Domains without A and MX.
  bool any_none = false, any_unknown = false;
  for (const DomainCheck& check : facts.domains) {
    if (check.status == DomainStatus::None) {
      reasons.push_back(domain_reason(check, "no-a-no-mx", false));
      any_none = true;
    }
    any_unknown = any_unknown || check.status == DomainStatus::Unknown;
  }
  high_risk = high_risk || any_none;

  // 5 before 4, because holding depends on it; its reasons still come after 4's.
  std::vector<std::string> later;
  if (facts.ndr) later.push_back(*facts.ndr);
  if (facts.spam.status == SpamVerdict::Status::Spam) later.push_back(spam_reason(facts.spam));
  high_risk = high_risk || facts.ndr || facts.spam.status == SpamVerdict::Status::Spam;
  if (!reject && !limits.exceeded.empty()) {
    later.insert(later.end(), limits.exceeded.begin(), limits.exceeded.end());
    high_risk = high_risk || limits.action == LimitAction::HighRisk;
  }

  // 4. Domains DNS could not answer for.
  const bool young = facts.now_unix - facts.received_unix <
                     static_cast<int64_t>(config.classify.dns_unknown_after_s);
  const bool hold = any_unknown && young && !high_risk;
  for (const DomainCheck& check : facts.domains)
    if (check.status == DomainStatus::Unknown)
      reasons.push_back(hold ? domain_reason(check, "unknown", false)
                             : domain_reason(check, "unverified", true));
  high_risk = high_risk || any_unknown;  // held or not: never normal unverified
  reasons.insert(reasons.end(), later.begin(), later.end());

  // 6, 7. The pool of mail no rule sent to high-risk.
  if (high_risk) {
    decision.pool = kHighRiskPool;
  } else if (!facts.sender_internal && config.find_pool(kRelayPool)) {
    decision.pool = kRelayPool;
    std::string domain = sender_domain(facts);
    reasons.push_back(domain.empty() ? "relay:external-sender" : "relay:external-sender " + domain);
  } else {
    decision.pool = config.classify.default_pool;
  }

  if (reject) {
    decision.action = Decision::Action::Reject;
    decision.reply = reject_reply(limits);
  } else if (tempfail) {
    decision.action = Decision::Action::TempFail;
    decision.reply = make_reply(451, "4.7.1",
                                      "message could not be checked for spam, try again later");
  } else if (hold) {
    decision.action = Decision::Action::Hold;
  } else {
    decision.action = Decision::Action::Accept;
  }
  return decision;
}

}  // namespace poolgate

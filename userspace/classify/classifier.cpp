#include "classify/classifier.h"

#include "classify/decide.h"
#include "classify/domain_check.h"
#include "classify/from_domain.h"
#include "classify/ndr_detect.h"
#include "limits/ndr_surge.h"
#include "limits/sender_limits.h"
#include "mail/domain_name.h"
#include "spam/scanner.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace poolgate {

namespace asio = boost::asio;

namespace {

bool is_internal(const std::string& domain, const Config& config) {
  const auto& internal = config.relay.internal_domains;
  return std::any_of(internal.begin(), internal.end(),
                     [&](const std::string& d) { return normalize_domain(d) == domain; });
}

}  // namespace

asio::awaitable<std::vector<DomainCheck>> Classifier::check_domains(const Envelope& envelope,
                                                                    std::string_view content) {
  std::vector<DomainCheck> checks;
  std::string sender = address_domain(envelope.sender);
  bool aaaa = config_->classify.check_aaaa;
  // A null sender has no domain to check: that message is an NDR anyway.
  if (!sender.empty()) checks.push_back(co_await check_domain(*parts_.dns, "sender", sender, aaaa));
  if (config_->classify.check_from_domain) {
    std::string from = from_domain(header_block(content));
    if (!from.empty() && from != sender)
      checks.push_back(co_await check_domain(*parts_.dns, "from", from, aaaa));
  }
  co_return checks;
}

asio::awaitable<Decision> Classifier::classify(const Envelope& envelope, std::string_view content,
                                               int64_t now_unix) {
  Facts facts;
  facts.received_unix = envelope.received_unix ? envelope.received_unix : now_unix;
  facts.now_unix = now_unix;
  facts.ndr = detect_ndr(envelope, content, config_->classify);
  std::string sender_domain = address_domain(envelope.sender);
  facts.sender_internal = sender_domain.empty() || is_internal(sender_domain, *config_);
  if (facts.ndr && parts_.surge) parts_.surge->observe_ndr(sender_domain);  // logs any alert
  facts.domains = co_await check_domains(envelope, content);
  if (parts_.limits) facts.limits = parts_.limits->check_and_count(envelope);
  if (parts_.scanner) facts.spam = co_await parts_.scanner->scan(envelope, content);
  Decision decision = decide(facts, *config_);
  if (decision.action == Decision::Action::Hold) {
    // The pool it gets once verified: the same facts with the unknown
    // domains taken as existing.
    Facts verified = facts;
    for (DomainCheck& check : verified.domains)
      if (check.status == DomainStatus::Unknown) check.status = DomainStatus::Exists;
    decision.pool = decide(verified, *config_).pool;
  }
  count(decision);
  co_return decision;
}

std::string reason_key(std::string_view reason) {
  size_t end = reason.find_first_of(" (");
  return std::string(reason.substr(0, end));
}

void Classifier::count(const Decision& decision) {
  ++counters_.decisions[{action_name(decision.action), decision.pool}];
  for (const std::string& reason : decision.reasons) ++counters_.reasons[reason_key(reason)];
  // "clean" too, so the reasons add up to a picture of all the mail.
  if (decision.reasons.empty()) ++counters_.reasons["clean"];
}

const char* action_name(Decision::Action action) {
  switch (action) {
    case Decision::Action::Accept: return "accept";
    case Decision::Action::Hold: return "hold";
    case Decision::Action::TempFail: return "tempfail";
    case Decision::Action::Reject: return "reject";
  }
  return "?";
}

std::string trace_header(const Decision& decision) {
  return "X-Poolgate-Classification: pool=" + decision.pool + "; reasons=" +
         decision.reasons_text() + "\r\n";
}

Decision resolve_hold(const Envelope& envelope, const std::vector<DomainCheck>& checks,
                      const Config& config, int64_t now_unix) {
  Decision out;
  out.pool = envelope.pool;
  // The arrival's "unknown" findings are replaced by what this check found.
  for (const std::string& reason : envelope.reasons)
    if (reason.find("-domain:unknown ") == std::string::npos) out.reasons.push_back(reason);
  bool unknown = false;
  for (const DomainCheck& check : checks) {
    if (check.status == DomainStatus::None) {
      out.pool = kHighRiskPool;
      out.reasons.push_back(check.role + "-domain:no-a-no-mx " + check.domain);
      return out;
    }
    unknown = unknown || check.status == DomainStatus::Unknown;
  }
  if (!unknown) return out;
  if (now_unix - envelope.received_unix >= int64_t(config.classify.dns_unknown_after_s)) {
    // Never out through the normal pool unverified.
    out.pool = kHighRiskPool;
    for (const DomainCheck& check : checks)
      if (check.status == DomainStatus::Unknown)
        out.reasons.push_back(check.role + "-domain:unverified " + check.domain + " (" +
                              check.detail + ")");
    return out;
  }
  out.action = Decision::Action::Hold;
  return out;
}

}  // namespace poolgate

// The classification pipeline, run for every accepted message before the 250
// (so the decision is durable with the message) and by `poolgate classify`
// offline. It gathers the facts (NDR detection, sender and From: domain
// checks through the delivery resolver, the spam scanner, the sender limits),
// and decide() turns them into a pool, reasons and an answer.
//
// The rules that only read the message run first; the scanner is asked last
// and always (its verdict is a reason even when another rule already chose
// high-risk), so the decision explains everything it knows.
#pragma once

#include <utility>  // Boost 1.74 awaitable.hpp uses std::exchange without it

#include "classify/decision.h"
#include "config/config.h"
#include "dns/dns_lookup.h"
#include "mail/envelope.h"

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <map>
#include <string_view>

namespace poolgate {
class Scanner;
class SenderLimits;
class NdrSurgeDetector;

struct ClassifierParts {
  DnsLookup* dns = nullptr;          // required
  Scanner* scanner = nullptr;       // null: no scanner ([spam] scanner = "none")
  SenderLimits* limits = nullptr;     // null: no limits (offline classify)
  NdrSurgeDetector* surge = nullptr;  // null: no surge detection
};

// What the classifier decided since start, for metrics.
struct ClassifyCounters {
  // (action, pool): ("accept", normal pool), ("hold", high-risk pool), ("tempfail", ...)
  std::map<std::pair<std::string, std::string>, uint64_t> decisions;
  // reason_key() of each reason given: "spam:spamd", "limit:external-per-hour";
  // "clean" for a decision without any
  std::map<std::string, uint64_t> reasons;
};

class Classifier {
 public:
  Classifier(const Config& config, ClassifierParts parts) : config_(&config), parts_(parts) {}
  const Config& config() const { return *config_; }
  // A reload: later messages are classified with `config` and `scanner`
  // (both outlive their use here; the daemon keeps every generation).
  void reconfigure(const Config& config, Scanner* scanner) {
    config_ = &config;
    parts_.scanner = scanner;
  }
  const ClassifyCounters& counters() const { return counters_; }

  // The decision for a new message. For Action::Hold, `pool` is the pool the
  // message gets once its sender domains are verified (decide() with the
  // unknown domains taken as existing); the caller marks it hold_for_dns.
  boost::asio::awaitable<Decision> classify(const Envelope& envelope, std::string_view content,
                                            int64_t now_unix);

  // The sender domain rule's lookups: the envelope sender's domain, and the
  // From: header's when check_from_domain and different. Used again for a
  // held message before its delivery (resolve_hold()).
  boost::asio::awaitable<std::vector<DomainCheck>> check_domains(const Envelope& envelope,
                                                                 std::string_view content);

 private:
  void count(const Decision& decision);

  const Config* config_;
  ClassifierParts parts_;
  ClassifyCounters counters_;
};

// A reason without its details, a label of bounded cardinality for metrics:
// "spam:spamd score=12.3 required=5.0" -> "spam:spamd",
// "sender-domain:no-a-no-mx example.net" -> "sender-domain:no-a-no-mx".
std::string reason_key(std::string_view reason);
const char* action_name(Decision::Action action);

// "X-Poolgate-Classification: pool=high-risk; reasons=ndr:null-sender\r\n"
std::string trace_header(const Decision& decision);

// What a held message does after its domains were looked up again: Accept
// (pool set: its stored pool, or high-risk when a domain has none or stayed
// unknown past dns_unknown_after_s, with the reason added) or Hold (ask again
// later).
Decision resolve_hold(const Envelope& envelope, const std::vector<DomainCheck>& checks,
                      const Config& config, int64_t now_unix);

}  // namespace poolgate

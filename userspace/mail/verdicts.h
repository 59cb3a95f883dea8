// What the rules below classification find about one message, in words every
// layer shares: a sender domain's DNS status (classify/domain_check), the spam
// scanner's verdict (spam/), the sender limits' verdict and the configured
// action for it (limits/, config [limits]). classify/decision.h gathers them
// into Facts and turns those into a Decision; the rules themselves need only
// this vocabulary, so they sit below classify/.
#pragma once

#include "mail/pool_names.h"

#include <string>
#include <string_view>
#include <vector>

namespace poolgate {

// Whether a sender domain exists for mail: an MX or an A record (AAAA too
// when check_aaaa). NXDOMAIN and NODATA are None; a timeout or SERVFAIL is
// Unknown, never None.
enum class DomainStatus { Exists, None, Unknown };

struct DomainCheck {
  std::string role;    // "sender" (envelope) or "from" (From: header)
  std::string domain;  // lower case
  DomainStatus status = DomainStatus::Unknown;
  std::string detail;  // for logs: "MX nxdomain, A nxdomain"
};

struct SpamVerdict {
  enum class Status { NotScanned, Clean, Spam, Failed };
  Status status = Status::NotScanned;
  std::string scanner;  // "spamd", "rspamd", "header"
  double score = 0;
  double required = 0;
  std::string detail;  // Failed: why (timeout, connection refused, garbage)
};

// [limits] action: what happens to a message of a sender over a limit.
enum class LimitAction { HighRisk, BlockForToday, Block, Alert };

// The configuration names the actions "send it through this pool" ([limits]
// action, [spam] on_scanner_failure) after the pool, so they are spelled
// through the pool constants, never on their own.
inline constexpr std::string_view kHighRiskAction = kHighRiskPool;
inline constexpr std::string_view kNormalAction = kNormalPool;

struct LimitVerdict {
  // One entry per limit reached: "limit:external-per-hour 501>500".
  std::vector<std::string> exceeded;
  LimitAction action = LimitAction::HighRisk;
  bool blocked = false;  // the sender is blocked (block-for-today / block) before this message
};

}  // namespace poolgate

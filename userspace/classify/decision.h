// What the classification rules found about one message (the facts), and the
// decision made from them: the pool, every reason, and what the relay answers.
// The rules (ndr_detect, sender domain check, spam scanner, sender limits)
// each fill their part of Facts with the verdicts of mail/verdicts.h;
// decide() (decide.h) alone turns Facts into a Decision, so precedence lives
// in one place and a table test can drive it.
#pragma once

#include "mail/pool_names.h"
#include "mail/verdicts.h"
#include "smtp/reply.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace poolgate {

struct Facts {
  std::optional<std::string> ndr;  // "ndr:null-sender", "ndr:delivery-status", "ndr:auto-replied"
  std::vector<DomainCheck> domains;
  SpamVerdict spam;
  LimitVerdict limits;
  bool sender_internal = true;  // the envelope sender's domain is one of relay.internal_domains
  std::string sender_domain;    // the envelope sender's domain, lower case ("" for <>): for reasons
  int64_t received_unix = 0;    // for dns_unknown_after_s
  int64_t now_unix = 0;
};

struct Decision {
  enum class Action {
    Accept,    // deliver through `pool`
    Hold,      // a sender domain could not be checked: keep it queued, check again before delivery
    TempFail,  // answer `reply` (4xx): scanner failure with on_scanner_failure = "tempfail"
    Reject,    // answer `reply` (5xx): the sender is blocked by the limits
  };
  Action action = Action::Accept;
  std::string pool{kNormalPool};
  std::vector<std::string> reasons;  // every rule that fired, in precedence order; empty = clean
  Reply reply;                 // TempFail/Reject only

  std::string reasons_text() const;  // "ndr:null-sender, spam:spamd score=12.3 required=5.0" or "clean"
};

}  // namespace poolgate

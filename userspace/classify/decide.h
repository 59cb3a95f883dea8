// decide(): the one place where the facts the classification rules found
// (decision.h) become a decision: which pool, or hold, tempfail, reject, and
// every reason. Pure: no I/O, no clock (Facts carries now), so a table test
// drives every combination.
//
// Precedence, highest first. The action comes from the highest rule that
// sets one; the pool from the highest pool rule (3-7), computed even when the
// action is Reject or TempFail so logs show where the mail would have gone.
//
//   1. Reject    limits.blocked, or limits exceeded with action "block" or
//                "block-for-today": 550 5.7.1 (block, blocked), 550 5.1.8
//                (block-for-today, until 00:00 UTC).
//   2. TempFail  spam Failed with on_scanner_failure = "tempfail": 451 4.7.1.
//                (kNormalAction: the message goes on as not scanned; kHighRiskAction:
//                it is a high-risk rule of 5.)
//   3. high-risk a checked domain (envelope sender, From:) has neither A nor
//                MX (DomainStatus::None). Nothing below can override it.
//   4. Hold      a domain is Unknown (DNS timeout/SERVFAIL), none is None, the
//                message is younger than dns_unknown_after_s and no rule of 5
//                already sends it to high-risk: queue it, check DNS again
//                before delivery (hold_rechecker.h); the high-risk pool is the
//                fallback value.
//                Otherwise an Unknown domain means high-risk: never the normal
//                pool unverified. (Holding a message that goes high-risk
//                anyway would only delay it: the answer cannot change that.)
//   5. high-risk an NDR; spam Spam; scanner failure with kHighRiskAction; limits
//                exceeded with action kHighRiskAction. ("alert": reason only.)
//   6. "relay"   a pool named relay is configured and the envelope sender's
//                domain is not one of relay.internal_domains.
//   7. [classify] default_pool.
//
// Reasons: every rule that fires adds its reason, also when a higher rule has
// already decided, always in this order:
//   limit:sender-blocked, then the limits exceeded when they reject (action
//     block/block-for-today, or the sender is blocked anyway);
//   spam:scanner-failed (SCANNER: DETAIL)                 [any on_scanner_failure]
//   ROLE-domain:no-a-no-mx DOMAIN                         [each None, Facts order]
//   ROLE-domain:unknown DOMAIN                            [each Unknown, when held]
//   ROLE-domain:unverified DOMAIN (DETAIL)                [each Unknown, not held]
//   the NDR reason (ndr:null-sender, ...)
//   spam:SCANNER score=S required=R
//   the limits exceeded when their action is high-risk or alert
//   relay:external-sender DOMAIN                          [when rule 6 picks the pool]
// ROLE is DomainCheck::role ("sender", "from"). No reason: a clean message.
#pragma once

#include "classify/decision.h"
#include "config/config.h"
#include "mail/pool_names.h"

namespace poolgate {

inline constexpr const char* kRelayPool = "relay";

Decision decide(const Facts& facts, const Config& config);

}  // namespace poolgate

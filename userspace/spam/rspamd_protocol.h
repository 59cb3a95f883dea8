// rspamd's scan protocol (https://rspamd.com/doc/architecture/protocol.html):
// HTTP POST /checkv2 with the message as the body and the SMTP envelope in
// request headers; the reply is JSON. Pure functions, tested without rspamd.
//
// From: to Spam mapping. rspamd's action is its own decision from the score
// and the configured thresholds; poolgate follows it:
//   "reject", "add header", "rewrite subject", "discard", "quarantine"
//       -> Spam (rspamd would have refused or marked the message)
//   "no action", "greylist", "soft reject"
//       -> Clean (greylisting is a delay, not a spam verdict; soft reject is
//          rspamd's rate limiting or a temporary problem, not the content)
//   anything else -> Failed (an action poolgate does not know).
#pragma once

#include "mail/verdicts.h"
#include "mail/envelope.h"

#include <string>
#include <string_view>
#include <optional>
#include <utility>
#include <vector>

namespace poolgate {

// The request headers describing `envelope`, in order: From (the envelope
// sender, "<>" when null), Rcpt (one per recipient), IP, Helo, Queue-Id, User
// (only for an authenticated client). Empty values are left out; CR, LF and
// other control characters are dropped so that no value can add a header.
std::vector<std::pair<std::string, std::string>> rspamd_headers(const Envelope& envelope);

// The verdict in an HTTP reply: `status` the HTTP status code, `body` the JSON.
// Score and required score from "score" and "required_score"; the action and
// the rules with a non-zero score go into detail. scanner = "rspamd".
SpamVerdict parse_rspamd_reply(unsigned status, std::string_view body);

// Whether rspamd's `action` makes the message Spam (see the table above);
// nullopt for an unknown action.
std::optional<bool> rspamd_action_is_spam(std::string_view action);

}  // namespace poolgate

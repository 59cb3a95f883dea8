// The admin API's shape of a queued message (GET /queue), which `poolgate
// queue list --json` prints too, whether it came from the daemon or, with no
// daemon running, from the spool. Owned here so the API's contract lives with
// the API; the CLI only formats what it gets.
#pragma once

#include "mail/envelope.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace poolgate {

nlohmann::ordered_json envelope_to_json(const Envelope& envelope);
nlohmann::ordered_json queue_to_json(const std::vector<Envelope>& messages);

// The words the JSON uses, for text views that show the same fields.
const char* recipient_state_name(RecipientState state);
// DSN NOTIFY as in the RCPT parameter ("SUCCESS,FAILURE"); "" for the default.
std::string notify_text(uint8_t notify);
// DSN RET as in the MAIL parameter ("FULL", "HDRS"); "" when not given.
const char* dsn_ret_text(DsnRet ret);

}  // namespace poolgate

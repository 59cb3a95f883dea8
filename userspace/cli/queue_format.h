// How `poolgate queue` prints messages: a table, or one message in full. The
// JSON form is the admin API's (admin/queue_json.h).
#pragma once

#include "mail/envelope.h"

#include <nlohmann/json.hpp>

#include <string>

namespace poolgate {

// From queue_to_json()'s form (admin/queue_json.h): the daemon's /queue view,
// or the spool's messages when no daemon runs.
std::string format_queue_table(const nlohmann::ordered_json& messages);
std::string format_envelope(const Envelope& envelope);

}  // namespace poolgate

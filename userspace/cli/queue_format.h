// How `poolgate queue` prints messages: a table, JSON, or one message in full.
#pragma once

#include "mail/envelope.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace poolgate {

nlohmann::ordered_json envelope_to_json(const Envelope& envelope);
nlohmann::ordered_json queue_to_json(const std::vector<Envelope>& messages);
// From queue_to_json()'s form, which is also the daemon's /queue view.
std::string format_queue_table(const nlohmann::ordered_json& messages);
std::string format_envelope(const Envelope& envelope);

}  // namespace poolgate

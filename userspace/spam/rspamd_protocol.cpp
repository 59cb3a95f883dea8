#include "spam/rspamd_protocol.h"

#include "spam/failure.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace poolgate {


namespace {

constexpr const char* kScanner = "rspamd";
constexpr size_t kSymbolsInDetail = 10;

std::string header_value(std::string_view value) {
  std::string out;
  for (char c : value)
    if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) out += c;
  return out;
}

SpamVerdict unparseable(std::string_view why, std::string_view body) {
  return failed_verdict(kScanner, "unparseable reply: " + std::string(why) + ": " +
                                      printable_excerpt(body));
}

// "symbols=BAYES_SPAM(7.1),MIME_GOOD(-0.1)": the rules that moved the score,
// largest first. When none did, the action was forced (GTUBE scores 0 and
// forces reject), so every rule that hit is named instead.
std::string symbols_detail(const nlohmann::json& symbols) {
  if (!symbols.is_object()) return "";
  std::vector<std::pair<double, std::string>> hits, all;
  for (const auto& [name, symbol] : symbols.items()) {
    double score = symbol.is_object() && symbol.contains("score") && symbol["score"].is_number()
                       ? symbol["score"].get<double>()
                       : 0;
    all.emplace_back(score, name);
    if (score != 0) hits.emplace_back(score, name);
  }
  if (hits.empty()) hits = std::move(all);
  std::sort(hits.begin(), hits.end(), [](const auto& a, const auto& b) {
    if (std::abs(a.first) != std::abs(b.first)) return std::abs(a.first) > std::abs(b.first);
    return a.second < b.second;
  });
  std::string out;
  for (size_t i = 0; i < hits.size() && i < kSymbolsInDetail; ++i) {
    char score[32];
    std::snprintf(score, sizeof score, "%g", hits[i].first);
    out += (i ? "," : "") + hits[i].second + "(" + score + ")";
  }
  return out.empty() ? "" : " symbols=" + out;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> rspamd_headers(const Envelope& envelope) {
  std::vector<std::pair<std::string, std::string>> headers;
  auto add = [&](const char* name, std::string_view value) {
    std::string clean = header_value(value);
    if (!clean.empty()) headers.emplace_back(name, std::move(clean));
  };
  add("From", envelope.sender.empty() ? "<>" : envelope.sender);
  for (const Recipient& r : envelope.recipients) add("Rcpt", r.address);
  add("IP", envelope.client_address);
  add("Helo", envelope.client_helo);
  add("Queue-Id", envelope.queue_id);
  add("User", envelope.auth_user);  // rspamd relaxes its checks for authenticated senders
  return headers;
}

std::optional<bool> rspamd_action_is_spam(std::string_view action) {
  for (std::string_view spam : {"reject", "add header", "rewrite subject", "discard", "quarantine"})
    if (action == spam) return true;
  for (std::string_view clean : {"no action", "greylist", "soft reject"})
    if (action == clean) return false;
  return std::nullopt;
}

SpamVerdict parse_rspamd_reply(unsigned status, std::string_view body) {
  nlohmann::json reply = nlohmann::json::parse(body, nullptr, false);
  if (status != 200) {
    // rspamd explains its errors as {"error": "..."}.
    std::string why = reply.is_object() && reply.contains("error") && reply["error"].is_string()
                          ? reply["error"].get<std::string>()
                          : std::string(body);
    return failed_verdict(kScanner,
                          "HTTP status " + std::to_string(status) + ": " + printable_excerpt(why));
  }
  if (reply.is_discarded()) return unparseable("not JSON", body);
  if (!reply.is_object()) return unparseable("not a JSON object", body);
  auto number = [&](const char* key) -> std::optional<double> {
    if (!reply.contains(key) || !reply[key].is_number()) return std::nullopt;
    return reply[key].get<double>();
  };
  std::optional<double> score = number("score"), required = number("required_score");
  if (!score || !required) return unparseable("no score or required_score", body);
  if (!reply.contains("action") || !reply["action"].is_string())
    return unparseable("no action", body);
  std::string action = reply["action"].get<std::string>();
  std::optional<bool> spam = rspamd_action_is_spam(action);
  if (!spam) return unparseable("unknown action \"" + printable_excerpt(action, 40) + "\"", body);

  SpamVerdict verdict;
  verdict.status = *spam ? SpamVerdict::Status::Spam : SpamVerdict::Status::Clean;
  verdict.scanner = kScanner;
  verdict.score = *score;
  verdict.required = *required;
  verdict.detail = "action=" + action;
  if (reply.contains("symbols")) verdict.detail += symbols_detail(reply["symbols"]);
  return verdict;
}

}  // namespace poolgate

#include "spam/header_scanner.h"

#include "net/plain_address.h"
#include "spam/failure.h"
#include "mail/header_fields.h"
#include "spam/text_util.h"

namespace poolgate {


namespace {

constexpr const char* kScanner = "header";

// The number after `key` ("score=") in a SpamAssassin status line
// ("Yes, score=15.0 required=5.0 tests=GTUBE autolearn=no").
std::optional<double> status_number(std::string_view status, std::string_view key) {
  for (size_t at = 0; (at = status.find(key, at)) != std::string_view::npos; at += key.size()) {
    if (at > 0 && status[at - 1] != ' ' && status[at - 1] != '\t' && status[at - 1] != ',')
      continue;  // "xscore=" is not "score="
    std::string_view rest = status.substr(at + key.size());
    size_t end = rest.find_first_of(" \t,;");
    return parse_number(rest.substr(0, end));
  }
  return std::nullopt;
}

}  // namespace

SpamVerdict judge_spam_headers(std::string_view message) {
  SpamVerdict verdict;
  verdict.scanner = kScanner;
  verdict.status = SpamVerdict::Status::Clean;
  std::string why, seen;  // the field that made it spam; the first X-Spam field at all
  for (const HeaderField& field : parse_header_fields(message)) {
    bool flag = iequals(field.name, "X-Spam-Flag");
    bool status = iequals(field.name, "X-Spam-Status");
    if (!flag && !status) continue;
    if (seen.empty()) seen = field.name + ": " + printable_excerpt(field.value, 80);
    bool says_spam = flag ? iequals(field.value, "YES") : istarts_with(field.value, "Yes");
    if (status) {
      // The numbers count for a clean message too (logs), but a spam
      // status's numbers win over an earlier clean one's.
      if (says_spam || verdict.status != SpamVerdict::Status::Spam) {
        if (auto score = status_number(field.value, "score=")) verdict.score = *score;
        if (auto required = status_number(field.value, "required=")) verdict.required = *required;
      }
    }
    if (says_spam && verdict.status != SpamVerdict::Status::Spam) {
      verdict.status = SpamVerdict::Status::Spam;
      why = field.name + ": " + printable_excerpt(field.value, 80);
    }
  }
  verdict.detail = !why.empty() ? why : !seen.empty() ? seen : "no X-Spam-Flag or X-Spam-Status";
  return verdict;
}

HeaderScanner::HeaderScanner(std::vector<Network> trusted_clients)
    : trusted_clients_(std::move(trusted_clients)) {}

bool HeaderScanner::trusted(const std::string& client_address) const {
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(client_address, ec);
  if (ec) return false;  // no address (a locally submitted message?) is no proof of trust
  address = plain_address(address);
  for (const Network& network : trusted_clients_)
    if (network.contains(address)) return true;
  return false;
}

SpamVerdict HeaderScanner::judge(const Envelope& envelope, std::string_view content) const {
  if (!trusted(envelope.client_address)) {
    SpamVerdict verdict;
    verdict.status = SpamVerdict::Status::Clean;
    verdict.scanner = kScanner;
    verdict.detail = "header ignored: untrusted client";
    return verdict;
  }
  return judge_spam_headers(content);
}

boost::asio::awaitable<SpamVerdict> HeaderScanner::scan(const Envelope& envelope,
                                                        std::string_view content) {
  co_return judge(envelope, content);
}

}  // namespace poolgate

#include "spam/spamd_protocol.h"

#include "spam/failure.h"
#include "spam/text_util.h"

#include <charconv>
#include <vector>

namespace poolgate {


namespace {

constexpr const char* kScanner = "spamd";

// Where the header block ends: {end of headers, start of body}; npos when the
// blank line has not come (yet). spamd writes CRLF; LF alone is accepted.
std::pair<size_t, size_t> split_headers(std::string_view reply) {
  size_t crlf = reply.find("\r\n\r\n"), lf = reply.find("\n\n");
  if (crlf != std::string_view::npos && (lf == std::string_view::npos || crlf < lf))
    return {crlf, crlf + 4};
  if (lf != std::string_view::npos) return {lf, lf + 2};
  return {std::string_view::npos, std::string_view::npos};
}

std::vector<std::string_view> lines_of(std::string_view block) {
  std::vector<std::string_view> lines;
  while (!block.empty()) {
    size_t end = block.find('\n');
    lines.push_back(trim(block.substr(0, end)));
    if (end == std::string_view::npos) break;
    block.remove_prefix(end + 1);
  }
  return lines;
}

// The value of header `name` among `lines` (the status line excluded).
std::optional<std::string_view> header(const std::vector<std::string_view>& lines,
                                       std::string_view name) {
  for (size_t i = 1; i < lines.size(); ++i) {
    size_t colon = lines[i].find(':');
    if (colon != std::string_view::npos && iequals(trim(lines[i].substr(0, colon)), name))
      return trim(lines[i].substr(colon + 1));
  }
  return std::nullopt;
}

std::optional<size_t> parse_size(std::string_view text) {
  text = trim(text);
  size_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

SpamVerdict unparseable(std::string_view why, std::string_view reply) {
  return failed_verdict(kScanner, "unparseable reply: " + std::string(why) + ": " +
                                      printable_excerpt(reply));
}

}  // namespace

std::string spamd_request(std::string_view message) {
  std::string request = "SYMBOLS SPAMC/1.5\r\nContent-length: " + std::to_string(message.size()) +
                        "\r\nUser: poolgate\r\n\r\n";
  request.append(message);
  return request;
}

bool spamd_reply_complete(std::string_view reply) {
  auto [headers_end, body_start] = split_headers(reply);
  if (headers_end == std::string_view::npos) return false;
  auto length = header(lines_of(reply.substr(0, headers_end)), "Content-length");
  if (!length) return true;
  auto size = parse_size(*length);
  return !size || reply.size() - body_start >= *size;  // a bad length is parse_spamd_reply's to report
}

SpamVerdict parse_spamd_reply(std::string_view reply) {
  if (trim(reply).empty()) return failed_verdict(kScanner, "empty reply (connection closed)");
  auto [headers_end, body_start] = split_headers(reply);
  std::vector<std::string_view> lines = lines_of(reply.substr(0, headers_end));

  // "SPAMD/1.1 0 EX_OK"
  if (lines.empty()) return unparseable("no status line", reply);
  std::string_view status = lines.front();
  if (!status.starts_with("SPAMD/1.")) return unparseable("not a SPAMD/1.x reply", reply);
  size_t code_start = status.find(' ');
  if (code_start == std::string_view::npos) return unparseable("no result code", reply);
  std::string_view rest = trim(status.substr(code_start + 1));
  size_t code_end = rest.find(' ');
  auto code = parse_size(rest.substr(0, code_end));
  if (!code) return unparseable("no result code", reply);
  std::string_view message =
      code_end == std::string_view::npos ? std::string_view{} : trim(rest.substr(code_end + 1));
  if (*code != 0) {
    std::string name(sysexits_name(int(*code)));
    return failed_verdict(kScanner, "spamd replied " + std::to_string(*code) +
                                        (name.empty() ? "" : " " + name) + ": " +
                                        printable_excerpt(message));
  }

  // "Spam: True ; 1002.3 / 5.0" (True/False; Yes/No from old spamd versions)
  auto spam = header(lines, "Spam");
  if (!spam) return unparseable("no Spam header", reply);
  size_t semicolon = spam->find(';'), slash = spam->find('/', semicolon);
  if (semicolon == std::string_view::npos || slash == std::string_view::npos)
    return unparseable("malformed Spam header", reply);
  std::string_view flag = trim(spam->substr(0, semicolon));
  auto score = parse_number(spam->substr(semicolon + 1, slash - semicolon - 1));
  auto required = parse_number(spam->substr(slash + 1));
  bool is_spam = iequals(flag, "True") || iequals(flag, "Yes");
  if ((!is_spam && !iequals(flag, "False") && !iequals(flag, "No")) || !score || !required)
    return unparseable("malformed Spam header", reply);

  SpamVerdict verdict;
  verdict.status = is_spam ? SpamVerdict::Status::Spam : SpamVerdict::Status::Clean;
  verdict.scanner = kScanner;
  verdict.score = *score;
  verdict.required = *required;
  // SYMBOLS puts the rule names in the body: Content-length bytes of it.
  if (body_start != std::string_view::npos) {
    std::string_view body = reply.substr(body_start);
    if (auto length = header(lines, "Content-length")) {
      auto size = parse_size(*length);
      if (!size) return unparseable("malformed Content-length", reply);
      body = body.substr(0, *size);
    }
    if (!trim(body).empty()) verdict.detail = "tests=" + printable_excerpt(trim(body), 1000);
  }
  return verdict;
}

std::string_view sysexits_name(int code) {
  static constexpr const char* kNames[] = {
      "EX_USAGE",    "EX_DATAERR", "EX_NOINPUT",   "EX_NOUSER",    "EX_NOHOST",
      "EX_UNAVAILABLE", "EX_SOFTWARE", "EX_OSERR", "EX_OSFILE",    "EX_CANTCREAT",
      "EX_IOERR",    "EX_TEMPFAIL", "EX_PROTOCOL", "EX_NOPERM",    "EX_CONFIG"};
  if (code == 0) return "EX_OK";
  if (code >= 64 && code <= 78) return kNames[code - 64];
  return "";
}

}  // namespace poolgate

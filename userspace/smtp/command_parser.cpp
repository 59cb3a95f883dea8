#include "smtp/command_parser.h"

#include "smtp/address.h"

#include <array>
#include <utility>

namespace poolgate {

namespace {

constexpr std::array<std::pair<std::string_view, Verb>, 11> kVerbs{{
    {"EHLO", Verb::Ehlo}, {"HELO", Verb::Helo}, {"MAIL", Verb::Mail}, {"RCPT", Verb::Rcpt},
    {"DATA", Verb::Data}, {"RSET", Verb::Rset}, {"NOOP", Verb::Noop}, {"QUIT", Verb::Quit},
    {"VRFY", Verb::Vrfy}, {"HELP", Verb::Help}, {"STARTTLS", Verb::Starttls},
}};

// Verbs of other extensions and of RFC 821 that we recognize but do not
// implement: 502 rather than 500 (RFC 5321 4.2.4). BDAT in particular: CHUNKING
// is never offered, so a well-behaved client never sends it.
constexpr std::array<std::string_view, 10> kUnsupported{
    "BDAT", "EXPN", "AUTH", "ETRN", "TURN", "ATRN", "SEND", "SOML", "SAML", "VERB"};

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = char(c - 'a' + 'A');
  return out;
}

bool has_control(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

std::string_view trim_leading_spaces(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  return s;
}

// Address errors differ between MAIL and RCPT in code and enhanced code.
Reply path_error(PathStatus status, bool sender) {
  switch (status) {
    case PathStatus::NeedsSmtputf8:
      return sender ? replies::sender_needs_smtputf8() : replies::recipient_needs_smtputf8();
    case PathStatus::TooLong:
      return make_reply(501, sender ? "5.1.7" : "5.1.3", "Path too long");
    default:
      return sender ? replies::bad_sender_syntax() : replies::bad_recipient_syntax();
  }
}

// "MAIL FROM:<path> params" / "RCPT TO:<path> params". Spaces after the colon
// are tolerated, like Postfix; a missing '<' is not (RFC 5321 4.1.2 Path).
std::optional<Reply> parse_transaction(std::string_view arg, const ParseOptions& opts,
                                       Command& cmd) {
  bool sender = cmd.verb == Verb::Mail;
  std::string_view prefix = sender ? "FROM:" : "TO:";
  if (arg.size() < prefix.size() || upper(arg.substr(0, prefix.size())) != prefix)
    return replies::syntax(sender ? "Syntax: MAIL FROM:<address>" : "Syntax: RCPT TO:<address>");
  std::string_view rest = trim_leading_spaces(arg.substr(prefix.size()));

  PathOptions path_opts;
  path_opts.allow_null = sender;
  path_opts.allow_postmaster = !sender;
  ParsedPath path;
  if (rest.empty() || rest[0] != '<') return path_error(PathStatus::Syntax, sender);
  // Pass 1 only finds where the path ends; whether UTF-8 is allowed in it
  // depends on the SMTPUTF8 parameter that follows it.
  path_opts.utf8 = true;
  PathStatus status = parse_path(rest, path_opts, path);
  if (path.length == 0) return path_error(PathStatus::Syntax, sender);
  std::string_view params = rest.substr(path.length);
  if (!params.empty() && params[0] != ' ') return path_error(PathStatus::Syntax, sender);

  path_opts.utf8 = sender ? opts.offered.smtputf8 && opts.esmtp && has_smtputf8_param(params)
                          : opts.smtputf8;
  status = parse_path(rest, path_opts, path);
  if (status != PathStatus::Ok) return path_error(status, sender);
  cmd.path = std::move(path.mailbox);
  cmd.source_route = path.source_route;
  return sender ? parse_mail_params(params, opts, cmd.mail)
                : parse_rcpt_params(params, opts, cmd.rcpt);
}

// Per-verb argument rules of RFC 5321 4.1.1.
std::optional<Reply> check_argument(Command& cmd, const ParseOptions& opts) {
  const bool empty = cmd.argument.empty();
  switch (cmd.verb) {
    case Verb::Ehlo:
    case Verb::Helo:
      if (empty) return replies::syntax("Syntax: " + cmd.name + " hostname");
      return std::nullopt;
    case Verb::Mail:
    case Verb::Rcpt:
      return parse_transaction(cmd.argument, opts, cmd);
    case Verb::Vrfy:
      if (empty) return replies::syntax("Syntax: VRFY address");
      return std::nullopt;
    case Verb::Data:
    case Verb::Rset:
    case Verb::Quit:
    case Verb::Starttls:
      if (!empty) return replies::syntax("Syntax: " + cmd.name);
      return std::nullopt;
    case Verb::Noop:
    case Verb::Help:
      return std::nullopt;
    case Verb::Unsupported:
    case Verb::Unknown:
      break;  // answered before the argument is looked at
  }
  return replies::command_unrecognized();
}

}  // namespace

std::string_view verb_name(Verb verb) {
  for (const auto& [name, v] : kVerbs)
    if (v == verb) return name;
  return verb == Verb::Unsupported ? "UNSUPPORTED" : "UNKNOWN";
}

ParseResult parse_command(std::string_view line, const ParseOptions& options) {
  ParseResult result;
  Command& cmd = result.command;
  if (options.overlong) {
    result.error = replies::line_too_long();
    return result;
  }
  // Trailing spaces are tolerated (some clients send "DATA "), leading ones not.
  while (!line.empty() && line.back() == ' ') line.remove_suffix(1);
  size_t space = line.find(' ');
  cmd.name = upper(line.substr(0, space));
  for (const auto& [name, verb] : kVerbs)
    if (cmd.name == name) cmd.verb = verb;
  for (auto name : kUnsupported)
    if (cmd.name == name) cmd.verb = Verb::Unsupported;
  if (space != std::string_view::npos) cmd.argument = trim_leading_spaces(line.substr(space));

  if (cmd.verb == Verb::Unknown) {
    result.error = replies::command_unrecognized();
  } else if (cmd.verb == Verb::Unsupported) {
    result.error = replies::not_implemented(cmd.name);
  } else if (has_control(line)) {
    // No argument grammar of RFC 5321 admits control characters; a CR here is a
    // bare CR that the line reader passed through.
    result.error = replies::syntax("Syntax error: control character in command");
  } else {
    result.error = check_argument(cmd, options);
  }
  return result;
}

}  // namespace poolgate

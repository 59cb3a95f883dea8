// Parses one SMTP command line (without its CRLF) into a Command, or into the
// exact reply the session must send (RFC 5321 4.1, 4.2, 4.3.2). Pure: no session
// state beyond what ParseOptions carries, so sequencing (503) stays with the
// session.
#pragma once

#include "smtp/esmtp_params.h"
#include "smtp/reply.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace poolgate {

enum class Verb : uint8_t {
  Ehlo, Helo, Mail, Rcpt, Data, Rset, Noop, Quit, Vrfy, Help, Starttls,
  Unsupported,  // a known verb poolgate does not implement (BDAT, EXPN, AUTH, ...): 502
  Unknown,      // anything else: 500
};

struct Command {
  Verb verb = Verb::Unknown;
  std::string name;      // the verb as sent, upper-cased
  std::string argument;  // what follows the verb and its space(s), trailing spaces cut
  // MAIL/RCPT only:
  std::string path;           // mailbox without brackets; "" is the null sender <>
  bool source_route = false;  // an RFC 5321 A-d-l was given and dropped
  MailParams mail;
  RcptParams rcpt;
};

struct ParseOptions : ParamContext {
  bool overlong = false;  // the line reader cut this line: 500 5.5.2 line too long
};

struct ParseResult {
  Command command;             // verb and name are set even when error is
  std::optional<Reply> error;  // the reply to send instead of acting
  bool ok() const { return !error; }
};

ParseResult parse_command(std::string_view line, const ParseOptions& options = {});

std::string_view verb_name(Verb verb);

}  // namespace poolgate

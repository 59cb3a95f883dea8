// Fuzzes parse_command. Byte 0 picks the session context; the rest is the line.
// Besides memory safety it checks that every error is a well-formed one-line
// reply, that accepted paths are valid mailboxes, and that formatting an
// accepted MAIL/RCPT and parsing it again gives the same path and parameters.
#include "fuzz_check.h"
#include "smtp/address.h"
#include "smtp/command_parser.h"
#include "smtp/command_writer.h"

#include <cstdint>
#include <string_view>

using namespace poolgate;

namespace {

bool iequals_postmaster(std::string_view s) {
  if (s.size() != 10) return false;
  for (size_t i = 0; i < 10; ++i)
    if ((s[i] | 0x20) != "postmaster"[i]) return false;
  return true;
}

void check_reply(const Reply& r) {
  FUZZ_CHECK(r.code >= 500 && r.code <= 555);
  FUZZ_CHECK(valid_enhanced_code(r.enhanced) && r.enhanced[0] == '5');
  std::string w = r.wire();
  FUZZ_CHECK(w.size() <= 512 && w.ends_with("\r\n"));
  FUZZ_CHECK(w.find('\n') == w.size() - 1 && w.find('\r') == w.size() - 2);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t ctl = data[0];
  std::string_view line(reinterpret_cast<const char*>(data + 1), size - 1);

  ParseOptions opts;
  opts.esmtp = !(ctl & 1);
  opts.smtputf8 = ctl & 2;
  opts.overlong = (ctl & 0xfc) == 0xfc;
  if (ctl & 4) opts.offered = Capabilities{};
  if (ctl & 8) opts.offered.smtputf8 = false;

  ParseResult r = parse_command(line, opts);
  if (!r.ok()) {
    check_reply(*r.error);
    return 0;
  }
  FUZZ_CHECK(!opts.overlong);
  const Command& c = r.command;
  FUZZ_CHECK(c.verb != Verb::Unknown && c.verb != Verb::Unsupported);
  if (c.verb != Verb::Mail && c.verb != Verb::Rcpt) return 0;

  bool utf8 = c.verb == Verb::Mail ? c.mail.smtputf8 : opts.smtputf8;
  bool null_ok = c.verb == Verb::Mail && c.path.empty();
  bool postmaster = c.verb == Verb::Rcpt && iequals_postmaster(c.path);
  FUZZ_CHECK(null_ok || postmaster || is_valid_mailbox(c.path, utf8));
  if (c.mail.envid) FUZZ_CHECK(!c.mail.envid->empty() && c.mail.envid->size() <= kMaxEnvid);
  FUZZ_CHECK((c.rcpt.notify & kNotifyNever) == 0 || c.rcpt.notify == kNotifyNever);

  // Relaying what was accepted must mean the same thing to the next hop.
  Capabilities hop = Capabilities::server_all();
  std::string again = c.verb == Verb::Mail ? format_mail(c.path, c.mail, hop)
                                           : format_rcpt(c.path, c.rcpt, hop, opts.smtputf8);
  ParseOptions reparse;
  reparse.smtputf8 = opts.smtputf8;
  ParseResult r2 = parse_command(again, reparse);
  if (!r2.ok()) {
    std::fprintf(stderr, "reparse of \"%s\" failed: %s\n", again.c_str(), r2.error->str().c_str());
    FUZZ_CHECK(r2.ok());
  }
  FUZZ_CHECK(r2.command.verb == c.verb);
  FUZZ_CHECK(r2.command.path == c.path);
  FUZZ_CHECK(r2.command.mail == c.mail);
  FUZZ_CHECK(r2.command.rcpt == c.rcpt);
  return 0;
}

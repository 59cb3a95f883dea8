// An SMTP reply (RFC 5321 4.2) with its RFC 3463 enhanced status code, and the
// standard replies the session sends. One place for codes and texts, so that the
// session, the parser and the readers cannot drift apart.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace poolgate {

struct Reply {
  int code = 0;                    // three digits, 200..599
  std::string enhanced;            // "x.y.z", or empty: the greeting and the
                                   // replies to EHLO/HELO carry none (RFC 2034 3)
  std::vector<std::string> lines;  // at least one; text only, no code

  // Wire form: "250-2.0.0 first\r\n250 2.0.0 last\r\n". The enhanced code is
  // repeated on every line (RFC 2034 3). Control characters in the text are
  // replaced by '?' and lines are cut to 512 octets (RFC 5321 4.5.3.1.5), so a
  // text that echoes client input can never inject a reply line.
  std::string wire() const;
  // All lines joined by a space, with code and enhanced code, for logs.
  std::string str() const;

  bool positive() const { return code >= 200 && code < 400; }
  bool transient() const { return code >= 400 && code < 500; }
  bool permanent() const { return code >= 500 && code < 600; }

  friend bool operator==(const Reply&, const Reply&) = default;
};

Reply make_reply(int code, std::string_view enhanced, std::string_view text);

// True for a well-formed RFC 3463 code "class.subject.detail": class 2, 4 or 5,
// subject and detail 1..3 digits without leading zeros.
bool valid_enhanced_code(std::string_view code);

// The standard replies. Texts follow Postfix where clients and operators are
// used to them; codes follow RFC 5321 4.2/4.3.2 and RFC 3463.
namespace replies {
Reply ok();                                     // 250 2.0.0 (RSET, NOOP)
Reply sender_ok();                              // 250 2.1.0
Reply recipient_ok();                           // 250 2.1.5
Reply queued(std::string_view queue_id);        // 250 2.0.0 Ok: queued as ID
Reply start_data();                             // 354 (no enhanced code: 3xx)
Reply bye();                                    // 221 2.0.0
Reply help();                                   // 214 2.0.0
Reply cannot_vrfy();                            // 252 2.0.0 (RFC 5321 3.5.3)
Reply ready_for_tls();                          // 220 2.0.0
Reply tls_unavailable();                        // 454 4.7.0
Reply shutting_down();                          // 421 4.3.2
Reply timeout();                                // 421 4.4.2
Reply too_many_recipients();                    // 452 4.5.3 (RFC 5321 4.5.3.1.10)
Reply insufficient_storage();                   // 452 4.3.1 (RFC 1870 6.1)
Reply command_unrecognized();                   // 500 5.5.2
Reply line_too_long();                          // 500 5.5.2 (RFC 5321 4.5.3.1.4)
Reply bare_lf_in_command();                     // 500 5.5.2
Reply syntax(std::string_view usage);           // 501 5.5.4
Reply bad_sender_syntax();                      // 501 5.1.7
Reply bad_recipient_syntax();                   // 501 5.1.3
Reply not_implemented(std::string_view verb);   // 502 5.5.1
Reply bad_sequence(std::string_view why);       // 503 5.5.1
Reply unknown_parameter();                      // 555 5.5.4 (RFC 5321 4.1.1.11)
Reply sender_needs_smtputf8();                  // 550 5.6.7 (RFC 6531 3.5)
Reply recipient_needs_smtputf8();               // 553 5.6.7 (RFC 6531 3.5)
Reply size_exceeded();                          // 552 5.3.4 (RFC 1870 6.1, 6.3)
Reply data_line_too_long();                     // 552 5.3.4 (see data_reader.h)
Reply bare_newline_in_data(bool bare_cr);       // 550 5.5.2 (see data_reader.h)
Reply nul_in_data();                            // 554 5.6.0 (see data_reader.h)
Reply transaction_failed();                     // 554 5.5.0
}  // namespace replies

}  // namespace poolgate

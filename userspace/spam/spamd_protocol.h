// SpamAssassin's spamc/spamd protocol, SPAMC/1.5 (spamd(1p), the spamc
// PROTOCOL document), as pure functions so that tests can drive them without
// a daemon. poolgate asks SYMBOLS: the verdict of CHECK plus the names of the
// rules that hit, for the logs.
//
//   request:  SYMBOLS SPAMC/1.5\r\n
//             Content-length: <bytes of message>\r\n
//             User: poolgate\r\n
//             \r\n
//             <message>
//   reply:    SPAMD/1.1 0 EX_OK\r\n
//             Content-length: <bytes of body>\r\n
//             Spam: True ; 1002.3 / 5.0\r\n
//             \r\n
//             GTUBE,MISSING_DATE,...
//
// A code other than 0 is a sysexits.h EX_* failure ("SPAMD/1.0 76 Bad header
// line: ..."); spamd closes the connection after its reply.
#pragma once

#include "mail/verdicts.h"

#include <string>
#include <string_view>

namespace poolgate {

// The whole request for `message` (sent as is: spamd takes CRLF or LF lines).
std::string spamd_request(std::string_view message);

// Whether `reply` holds a complete reply: the header block has ended and the
// body is as long as its Content-length says (no Content-length: no body).
// Lets the client stop reading without waiting for spamd to close.
bool spamd_reply_complete(std::string_view reply);

// The verdict in a (complete) reply: Spam or Clean with score and required
// score, the rule names in detail; Failed for a non-zero code or anything that
// does not parse. scanner = "spamd".
SpamVerdict parse_spamd_reply(std::string_view reply);

// "EX_PROTOCOL" for 76, and so on (sysexits.h); "" for codes outside it.
std::string_view sysexits_name(int code);

}  // namespace poolgate

// Helpers shared by the dsn_* tests: a typical original message, and a runner
// that checks a generated DSN with Python's standard `email` package, an
// independent MIME / RFC 3464 parser.
#pragma once

#include "dsn/dsn.h"

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>

namespace poolgate::dsn_test {

inline Recipient rcpt(std::string address, uint8_t notify = kNotifyDefault, std::string orcpt = "") {
  Recipient r;
  r.address = std::move(address);
  r.notify = notify;
  r.orcpt = std::move(orcpt);
  return r;
}

inline Envelope original() {
  Envelope e;
  e.queue_id = "0CJ3N8V2K4M5P6Q7";
  e.sender = "alice@example.com";
  e.recipients = {rcpt("bob@example.org"), rcpt("carol@example.org")};
  e.received_unix = 1700000000;  // Tue, 14 Nov 2023 22:13:20 +0000
  e.client_address = "192.0.2.7";
  e.client_helo = "client.example.com";
  return e;
}

inline const std::string kContent =
    "Received: from client.example.com ([192.0.2.7])\r\n"
    "\tby relay.example.net; Tue, 14 Nov 2023 22:13:20 +0000\r\n"
    "From: Alice <alice@example.com>\r\n"
    "To: bob@example.org, carol@example.org\r\n"
    "Subject: Quarterly numbers\r\n"
    "Message-ID: <q3@example.com>\r\n"
    "\r\n"
    "Hello Bob,\r\n"
    "BODY-MARKER-1234\r\n";

inline DsnOptions options() {
  DsnOptions o;
  o.reporting_mta = "relay.example.net";
  o.now_unix = 1700003600;
  return o;
}

inline RecipientReport failed(size_t index, int code = 550, std::string enhanced = "5.1.1",
                              std::string text = "User unknown") {
  RecipientReport r;
  r.index = index;
  r.action = Action::Failed;
  r.reply = make_reply(code, enhanced, text);
  r.from_peer = true;
  r.remote_mta = "dns; mx1.example.org";
  r.last_attempt_unix = 1700003500;
  return r;
}

inline RecipientReport delayed(size_t index) {
  RecipientReport r;
  r.index = index;
  r.action = Action::Delayed;
  r.reply = make_reply(451, "4.7.1", "Greylisted, try again later");
  r.from_peer = true;
  r.remote_mta = "dns; mx1.example.org";
  r.last_attempt_unix = 1700003500;
  r.will_retry_until_unix = 1700432000;
  return r;
}

struct PyResult {
  int status = -1;
  std::string output;
};

// Helpers every check script starts with. RAW is the DSN as bytes, MSG the
// parsed message (compat32, the parser MTAs and MUAs written in Python use).
inline constexpr std::string_view kPrelude = R"PY(
import sys, re, email, email.parser
RAW = open(sys.argv[1], 'rb').read()
MSG = email.message_from_bytes(RAW)

def unfold(v):
    return None if v is None else re.sub(r'\r?\n', '', str(v))

def all_defects(m):
    d = [type(x).__name__ for x in m.defects]
    if m.is_multipart():
        for p in m.get_payload():
            d += all_defects(p)
    return d

def report_parts():
    assert MSG.get_content_type() == 'multipart/report', MSG.get_content_type()
    parts = MSG.get_payload()
    assert isinstance(parts, list) and len(parts) in (2, 3), parts
    assert parts[0].get_content_type() == 'text/plain', parts[0].get_content_type()
    return parts

def status_groups(part):
    # (per-message fields, [per-recipient fields...]) of part two.
    if part.get_content_type() == 'message/delivery-status':
        blocks = part.get_payload()  # Python parses each block as headers
    else:
        assert part.get_content_type() == 'message/global-delivery-status', part.get_content_type()
        # message/global-delivery-status: Python has no special case for it,
        # so split the raw part at empty lines and parse each block as headers.
        text = RAW.decode('utf-8')
        pieces = text.split('--' + MSG.get_param('boundary'))
        body = pieces[2].split('\r\n\r\n', 1)[1]
        blocks = [email.parser.Parser().parsestr(b + '\r\n')
                  for b in body.strip('\r\n').split('\r\n\r\n')]
    assert len(blocks) >= 2, blocks
    for b in blocks:
        assert len(b.keys()) > 0, 'empty status block'
    return blocks[0], blocks[1:]
)PY";

// Runs kPrelude + `script` with the DSN content in a temporary file; status 0
// means every assert held.
inline PyResult run_python(std::string_view content, std::string_view script) {
  char dir[] = "/tmp/dsn_test_XXXXXX";
  if (!mkdtemp(dir)) return {-1, "mkdtemp failed"};
  std::string msg_path = std::string(dir) + "/dsn.eml";
  std::string py_path = std::string(dir) + "/check.py";
  {
    std::ofstream(msg_path, std::ios::binary) << content;
    std::ofstream(py_path, std::ios::binary) << kPrelude << script << "\nprint('OK')\n";
  }
  std::string cmd = "/usr/bin/python3 " + py_path + " " + msg_path + " 2>&1";
  PyResult r;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
    int rc = pclose(p);
    r.status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  }
  std::remove(msg_path.c_str());
  std::remove(py_path.c_str());
  rmdir(dir);
  return r;
}

// Every line ends in CRLF and none is longer than 998 octets (RFC 5322 2.1.1).
inline ::testing::AssertionResult wire_clean(std::string_view content) {
  size_t start = 0, line_no = 1;
  while (start < content.size()) {
    size_t lf = content.find('\n', start);
    if (lf == std::string_view::npos)
      return ::testing::AssertionFailure() << "line " << line_no << " has no CRLF";
    if (lf == start || content[lf - 1] != '\r')
      return ::testing::AssertionFailure() << "bare LF on line " << line_no;
    size_t len = lf - 1 - start;
    if (content.substr(start, len).find('\r') != std::string_view::npos)
      return ::testing::AssertionFailure() << "bare CR on line " << line_no;
    if (len > 998) return ::testing::AssertionFailure() << "line " << line_no << " is " << len;
    start = lf + 1;
    ++line_no;
  }
  return ::testing::AssertionSuccess();
}

// The boundary parameter of the top-level Content-Type.
inline std::string boundary_of(std::string_view content) {
  size_t at = content.find("boundary=\"");
  if (at == std::string_view::npos) return "";
  at += 10;
  return std::string(content.substr(at, content.find('"', at) - at));
}

}  // namespace poolgate::dsn_test

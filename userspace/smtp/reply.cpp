#include "smtp/reply.h"

namespace poolgate {

namespace {

constexpr size_t kMaxReplyLine = 512;  // incl. code and CRLF, RFC 5321 4.5.3.1.5

// One wire line: "CODE" SEP ["ENH "] TEXT CRLF, sanitized and cut to the limit.
void append_line(std::string& out, int code, char sep, std::string_view enhanced,
                 std::string_view text) {
  size_t start = out.size();
  out += std::to_string(code);
  out += sep;
  if (!enhanced.empty()) {
    out += enhanced;
    if (!text.empty()) out += ' ';
  }
  for (unsigned char c : text) out += (c < 0x20 || c == 0x7f) ? '?' : char(c);
  if (out.size() - start > kMaxReplyLine - 2) out.resize(start + kMaxReplyLine - 2);
  out += "\r\n";
}

bool valid_number(std::string_view s) {
  if (s.empty() || s.size() > 3) return false;
  if (s.size() > 1 && s[0] == '0') return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace

std::string Reply::wire() const {
  std::string out;
  if (lines.empty()) {
    append_line(out, code, ' ', enhanced, "");
    return out;
  }
  for (size_t i = 0; i < lines.size(); ++i)
    append_line(out, code, i + 1 < lines.size() ? '-' : ' ', enhanced, lines[i]);
  return out;
}

std::string Reply::str() const {
  std::string out = std::to_string(code);
  if (!enhanced.empty()) out += " " + enhanced;
  for (const auto& l : lines) out += " " + l;
  return out;
}

Reply make_reply(int code, std::string_view enhanced, std::string_view text) {
  return Reply{code, std::string(enhanced), {std::string(text)}};
}

bool valid_enhanced_code(std::string_view code) {
  if (code.size() < 5 || (code[0] != '2' && code[0] != '4' && code[0] != '5') || code[1] != '.')
    return false;
  std::string_view rest = code.substr(2);
  size_t dot = rest.find('.');
  if (dot == std::string_view::npos) return false;
  return valid_number(rest.substr(0, dot)) && valid_number(rest.substr(dot + 1));
}

namespace replies {

Reply ok() { return make_reply(250, "2.0.0", "Ok"); }
Reply sender_ok() { return make_reply(250, "2.1.0", "Ok"); }
Reply recipient_ok() { return make_reply(250, "2.1.5", "Ok"); }
Reply queued(std::string_view queue_id) {
  return make_reply(250, "2.0.0", "Ok: queued as " + std::string(queue_id));
}
// 3xx replies carry no enhanced code: RFC 2034 defines them for 2xx/4xx/5xx.
Reply start_data() { return make_reply(354, "", "End data with <CR><LF>.<CR><LF>"); }
Reply bye() { return make_reply(221, "2.0.0", "Bye"); }
Reply help() { return make_reply(214, "2.0.0", "See RFC 5321"); }
Reply cannot_vrfy() {
  return make_reply(252, "2.0.0", "Cannot VRFY user, but will accept message and attempt delivery");
}
Reply ready_for_tls() { return make_reply(220, "2.0.0", "Ready to start TLS"); }
Reply tls_unavailable() {
  return make_reply(454, "4.7.0", "TLS not available due to temporary reason");
}
Reply shutting_down() {
  return make_reply(421, "4.3.2", "Service shutting down, closing transmission channel");
}
Reply timeout() {
  return make_reply(421, "4.4.2", "Timeout exceeded, closing transmission channel");
}
Reply too_many_recipients() { return make_reply(452, "4.5.3", "Error: too many recipients"); }
Reply insufficient_storage() {
  return make_reply(452, "4.3.1", "Insufficient system storage");
}
Reply command_unrecognized() { return make_reply(500, "5.5.2", "Error: command not recognized"); }
Reply line_too_long() { return make_reply(500, "5.5.2", "Error: line too long"); }
Reply bare_lf_in_command() { return make_reply(500, "5.5.2", "Error: bare <LF> received"); }
Reply syntax(std::string_view usage) { return make_reply(501, "5.5.4", usage); }
Reply bad_sender_syntax() { return make_reply(501, "5.1.7", "Bad sender address syntax"); }
Reply bad_recipient_syntax() {
  return make_reply(501, "5.1.3", "Bad recipient address syntax");
}
Reply not_implemented(std::string_view verb) {
  return make_reply(502, "5.5.1", std::string(verb) + " command not implemented");
}
Reply bad_sequence(std::string_view why) { return make_reply(503, "5.5.1", why); }
Reply unknown_parameter() {
  return make_reply(555, "5.5.4", "MAIL FROM/RCPT TO parameters not recognized or not implemented");
}
Reply sender_needs_smtputf8() {
  return make_reply(550, "5.6.7", "Non-ASCII sender address requires SMTPUTF8");
}
Reply recipient_needs_smtputf8() {
  return make_reply(553, "5.6.7", "Non-ASCII recipient address requires SMTPUTF8");
}
Reply size_exceeded() {
  return make_reply(552, "5.3.4", "Message size exceeds fixed maximum message size");
}
Reply data_line_too_long() {
  return make_reply(552, "5.3.4", "Message line too long (RFC 5321 4.5.3.1.6: 1000 octets)");
}
Reply bare_newline_in_data(bool bare_cr) {
  return make_reply(550, "5.5.2",
                    bare_cr ? "Error: bare <CR> received in message content"
                            : "Error: bare <LF> received in message content");
}
Reply nul_in_data() { return make_reply(554, "5.6.0", "Error: NUL octet in message content"); }
Reply transaction_failed() { return make_reply(554, "5.5.0", "Transaction failed"); }

}  // namespace replies

}  // namespace poolgate

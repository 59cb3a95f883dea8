#include "relay/received_header.h"

#include <ctime>

namespace poolgate {
namespace {

// The HELO name is client input going into a header: keep only what a domain
// or address literal may contain, so it can never break the header's syntax.
std::string sanitize(const std::string& text) {
  std::string out;
  for (char c : text.substr(0, 255)) {
    bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '-' || c == ':' || c == '[' || c == ']' || c == '_';
    out += safe ? c : '?';
  }
  return out.empty() ? "unknown" : out;
}

std::string protocol(const Envelope& envelope, bool esmtp) {
  if (!esmtp) return "SMTP";
  std::string name = envelope.smtputf8 ? "UTF8SMTP" : "ESMTP";
  if (envelope.tls) name += "S";
  if (!envelope.auth_user.empty()) name += "A";
  return name;
}

}  // namespace

std::string rfc5322_date(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[64];
  std::strftime(buffer, sizeof buffer, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buffer;
}

std::string received_header(const Envelope& envelope, const std::string& hostname, bool esmtp) {
  std::string ip = envelope.client_address;
  std::string literal = ip.find(':') != std::string::npos ? "IPv6:" + ip : ip;
  std::string header = "Received: from " + sanitize(envelope.client_helo) + " (" + ip + " [" +
                       literal + "])\r\n\tby " + hostname + " (poolgate) with " +
                       protocol(envelope, esmtp) + " id " + envelope.queue_id;
  if (envelope.tls && !envelope.tls_cipher.empty())
    header += "\r\n\t(" + envelope.tls_cipher + ")";
  if (envelope.recipients.size() == 1)
    header += "\r\n\tfor <" + envelope.recipients[0].address + ">";
  header += ";\r\n\t" + rfc5322_date(envelope.received_unix) + "\r\n";
  return header;
}

}  // namespace poolgate

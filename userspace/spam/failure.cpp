#include "spam/failure.h"

#include <boost/asio/error.hpp>
#include <boost/beast/core/error.hpp>

namespace poolgate {

SpamVerdict failed_verdict(std::string scanner, std::string detail) {
  SpamVerdict verdict;
  verdict.status = SpamVerdict::Status::Failed;
  verdict.scanner = std::move(scanner);
  verdict.detail = std::move(detail);
  return verdict;
}

std::string describe_io_error(const boost::system::error_code& ec, std::string_view what,
                              uint32_t timeout_ms, const Endpoint& server) {
  namespace error = boost::asio::error;
  if (ec == boost::beast::error::timeout)
    return "timeout after " + std::to_string(timeout_ms) + " ms (" + std::string(what) + " " +
           server.to_string() + ")";
  if (ec == error::connection_refused) return "connection refused by " + server.to_string();
  if (ec == error::eof || ec == error::connection_reset || ec == error::broken_pipe)
    return "connection closed by " + server.to_string() + " during " + std::string(what);
  return std::string(what) + " " + server.to_string() + ": " + ec.message();
}

std::string printable_excerpt(std::string_view text, size_t max) {
  std::string out;
  for (char c : text.substr(0, max)) {
    auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f) ? '?' : c;
  }
  if (text.size() > max) out += "...";
  return out;
}

}  // namespace poolgate

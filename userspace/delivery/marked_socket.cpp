#include "delivery/marked_socket.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace poolgate {

namespace asio = boost::asio;

namespace {

#ifndef IP_BIND_ADDRESS_NO_PORT
constexpr int IP_BIND_ADDRESS_NO_PORT = 24;  // <linux/in.h>, Linux 4.2
#endif

std::string errno_text(int err) {
  std::string text = std::strerror(err);
  if (err == EPERM)
    text += " (SO_MARK needs CAP_NET_ADMIN, or CAP_NET_RAW on Linux 5.17 and later)";
  return text;
}

}  // namespace

std::optional<asio::ip::tcp::socket> open_marked_socket(const asio::any_io_executor& executor,
                                                        const SourceBinding& source,
                                                        const asio::ip::tcp::endpoint& destination,
                                                        bool bind_source, std::string& error) {
  const std::string mark = fmt::format("{:#x}", source.fwmark);
  if (source.fwmark == 0) {
    error = "cannot set fwmark 0 for source " + source.address.to_string() +
            ": a delivery socket must carry its pool address's mark";
    return std::nullopt;
  }
  if (source.address.is_v4() != destination.address().is_v4()) {
    error = "cannot set fwmark " + mark + ": source " + source.address.to_string() +
            " and destination " + destination.address().to_string() +
            " are of different address families";
    return std::nullopt;
  }

  asio::ip::tcp::socket socket(executor);
  boost::system::error_code ec;
  socket.open(destination.protocol(), ec);
  if (ec) {
    error = "cannot open a socket for fwmark " + mark + ": " + ec.message();
    return std::nullopt;
  }
  int fd = socket.native_handle();
  uint32_t value = source.fwmark;
  if (::setsockopt(fd, SOL_SOCKET, SO_MARK, &value, sizeof value) != 0) {
    error = "cannot set fwmark " + mark + " on the socket: " + errno_text(errno);
    return std::nullopt;
  }
  // Read it back: the promise is "marked before connect", so check it holds.
  uint32_t readback = 0;
  socklen_t length = sizeof readback;
  if (::getsockopt(fd, SOL_SOCKET, SO_MARK, &readback, &length) != 0 || readback != value) {
    error = "cannot set fwmark " + mark + " on the socket: the mark did not stick";
    return std::nullopt;
  }

  if (bind_source) {
    int one = 1;
    if (::setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one) != 0) {
      error = "cannot set IP_BIND_ADDRESS_NO_PORT for source " + source.address.to_string() + ": " +
              std::strerror(errno);
      return std::nullopt;
    }
    socket.bind(asio::ip::tcp::endpoint(source.address, 0), ec);
    if (ec) {
      error = "cannot bind to source " + source.address.to_string() + " (fwmark " + mark +
              "): " + ec.message();
      return std::nullopt;
    }
  }
  return socket;
}

}  // namespace poolgate

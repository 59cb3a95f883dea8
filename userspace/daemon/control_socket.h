// The daemon's local control socket (<spool>/control.sock, root only): how
// `poolgate queue ...` reaches the running daemon's delivery engine, which
// holds the spool open (RocksDB allows one writer). One request line, one
// reply line:
//   "delete|retry|bounce ID\n", "suspend|resume DOMAIN\n", "release SENDER\n"
//     -> "ok\n" | "error: TEXT\n"
#pragma once

#include <utility>  // Boost 1.74 awaitable.hpp needs std::exchange

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include <optional>
#include <string>

namespace poolgate {

class QueueControl;
class SenderControl;

std::string control_socket_path(const std::string& spool_path);

class ControlSocket {
 public:
  ControlSocket(boost::asio::io_context& io, QueueControl& queue, SenderControl& senders,
                std::string path);
  ~ControlSocket();
  void start();
  void close();

 private:
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> serve(boost::asio::local::stream_protocol::socket socket);

  std::string handle(const std::string& line);  // "" = ok, else the error

  QueueControl& queue_;
  SenderControl& senders_;
  std::string path_;
  boost::asio::local::stream_protocol::acceptor acceptor_;
};

// Client side for the CLI: nullopt when no daemon listens (then the CLI opens
// the spool itself), else the daemon's reply line.
std::optional<std::string> control_request(const std::string& spool_path,
                                           const std::string& request);

}  // namespace poolgate

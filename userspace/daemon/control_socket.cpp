#include "daemon/control_socket.h"

#include "limits/sender_control.h"
#include "queue/queue_control.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

namespace poolgate {

namespace asio = boost::asio;
using asio::local::stream_protocol;
using boost::system::error_code;

std::string control_socket_path(const std::string& spool_path) {
  return spool_path + "/control.sock";
}

std::string ControlSocket::handle(const std::string& line) {
  size_t space = line.find(' ');
  std::string verb = line.substr(0, space);
  std::string arg = space == std::string::npos ? "" : line.substr(space + 1);
  if (arg.empty()) return "usage: VERB ARGUMENT";
  if (verb == "delete") return queue_.remove(arg);
  if (verb == "retry") return queue_.retry(arg);
  if (verb == "bounce") return queue_.bounce(arg);
  if (verb == "suspend") return queue_.suspend(arg);
  if (verb == "resume") return queue_.resume(arg);
  if (verb == "release") return senders_.release(arg);
  return "unknown request " + verb;
}

ControlSocket::ControlSocket(asio::io_context& io, QueueControl& queue,
                             SenderControl& senders, std::string path)
    : queue_(queue),
      senders_(senders), path_(std::move(path)), acceptor_(io) {
  ::unlink(path_.c_str());  // a stale socket from a killed daemon (we hold the spool lock)
  mode_t old = ::umask(0077);
  acceptor_ = stream_protocol::acceptor(io, stream_protocol::endpoint(path_));
  ::umask(old);
}

ControlSocket::~ControlSocket() { close(); }

void ControlSocket::close() {
  if (!acceptor_.is_open()) return;
  error_code ignored;
  acceptor_.close(ignored);
  ::unlink(path_.c_str());
}

void ControlSocket::start() {
  asio::co_spawn(acceptor_.get_executor(), accept_loop(), asio::detached);
}

asio::awaitable<void> ControlSocket::accept_loop() {
  while (acceptor_.is_open()) {
    error_code ec;
    auto socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    asio::co_spawn(acceptor_.get_executor(), serve(std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> ControlSocket::serve(stream_protocol::socket socket) {
  error_code ec;
  std::string line;
  co_await asio::async_read_until(socket, asio::dynamic_buffer(line, 1024), '\n',
                                  asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return;
  line.resize(line.find('\n'));
  std::string answer = "error: " + handle(line);
  if (answer == "error: ") answer = "ok";
  answer += "\n";
  co_await asio::async_write(socket, asio::buffer(answer),
                             asio::redirect_error(asio::use_awaitable, ec));
}

std::optional<std::string> control_request(const std::string& spool_path,
                                           const std::string& request) {
  asio::io_context io;
  stream_protocol::socket socket(io);
  error_code ec;
  socket.connect(stream_protocol::endpoint(control_socket_path(spool_path)), ec);
  if (ec) return std::nullopt;
  asio::write(socket, asio::buffer(request + "\n"), ec);
  std::string reply;
  asio::read_until(socket, asio::dynamic_buffer(reply), '\n', ec);
  if (ec && reply.empty()) return std::nullopt;
  return reply.substr(0, reply.find('\n'));
}

}  // namespace poolgate

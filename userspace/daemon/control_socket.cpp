#include "daemon/control_socket.h"

#include "spool/spool.h"

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

ControlSocket::ControlSocket(asio::io_context& io, Spool& spool, std::string path)
    : spool_(spool), path_(std::move(path)), acceptor_(io) {
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
  std::string answer;
  if (line.rfind("delete ", 0) == 0) {
    std::string id = line.substr(7);
    if (!spool_.load_envelope(id)) {
      answer = "error: no message " + id + " in the queue";
    } else {
      // remove() blocks on the committer thread's sync; a queue delete is rare
      // enough that a short stall of the event loop is acceptable.
      try {
        spool_.remove(id);
        spdlog::info("{}: deleted by operator (poolgate queue delete)", id);
        answer = "ok";
      } catch (const std::exception& e) {
        answer = std::string("error: ") + e.what();
      }
    }
  } else {
    answer = "error: unknown request";
  }
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

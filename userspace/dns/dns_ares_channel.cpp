#include "dns/dns_ares_channel.h"

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <ares.h>
#include <fcntl.h>

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <unordered_map>

namespace poolgate {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

constexpr int kClassIn = 1;
enum Direction { kRead = 0, kWrite = 1 };

void init_library_once() {
  static const int status = ares_library_init(ARES_LIB_INIT_ALL);
  if (status != ARES_SUCCESS)
    throw std::runtime_error(std::string("c-ares: ") + ares_strerror(status));
}

// One query's meeting point: c-ares' callback fills `reply` and cancels
// `wake`; the waiting coroutine sleeps on `wake`, which doubles as its deadline.
struct Pending {
  explicit Pending(const asio::any_io_executor& executor) : wake(executor) {}
  asio::steady_timer wake;
  std::optional<RawReply> reply;
};

void on_answer(void* arg, int status, int /*timeouts*/, unsigned char* abuf, int alen) {
  // c-ares calls this exactly once per query; it owns one reference until then.
  std::unique_ptr<std::shared_ptr<Pending>> reference(static_cast<std::shared_ptr<Pending>*>(arg));
  Pending& pending = **reference;
  RawReply reply{status, {}};
  if (abuf && alen > 0) reply.message.assign(abuf, abuf + alen);
  pending.reply = std::move(reply);
  pending.wake.cancel();  // completes the wait later, from the event loop, never inline
}

}  // namespace

// Everything the event loop's handlers touch, shared with them so that a
// handler running after the AresChannel is gone finds a closed engine rather
// than freed memory.
class AresChannel::Engine : public std::enable_shared_from_this<Engine> {
 public:
  explicit Engine(asio::any_io_executor executor) : executor_(executor), timer_(executor) {}
  ~Engine() { close(); }

  void open(const DnsConfig& config) {
    ares_options options{};
    options.sock_state_cb = &Engine::on_socket_state;
    options.sock_state_cb_data = this;
    options.timeout = static_cast<int>(config.timeout_ms);  // milliseconds with ARES_OPT_TIMEOUTMS
    options.tries = static_cast<int>(config.attempts);
    int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
    if (int status = ares_init_options(&channel_, &options, mask); status != ARES_SUCCESS)
      throw std::runtime_error(std::string("c-ares: cannot initialise: ") + ares_strerror(status));
    // c-ares 1.18 opens its sockets without close-on-exec; a program the
    // daemon starts must not inherit them.
    ares_set_socket_configure_callback(
        channel_, [](ares_socket_t fd, int, void*) { return ::fcntl(fd, F_SETFD, FD_CLOEXEC); },
        nullptr);
    if (!config.servers.empty()) {
      std::string csv;
      for (const Endpoint& server : config.servers)
        csv += (csv.empty() ? "" : ",") + server.to_string();
      if (int status = ares_set_servers_ports_csv(channel_, csv.c_str()); status != ARES_SUCCESS)
        throw std::runtime_error("c-ares: cannot use servers " + csv + ": " +
                                 ares_strerror(status));
    }
  }

  void close() {
    if (!channel_) return;
    ares_destroy(channel_);  // fails pending queries, reports their sockets closed
    channel_ = nullptr;
    for (auto& [fd, socket] : sockets_) forget(*socket);
    sockets_.clear();
    timer_.cancel();
  }

  void send(const std::string& name, RecordType type, std::shared_ptr<Pending> pending) {
    if (!channel_) {
      pending->reply = RawReply{ARES_EDESTRUCTION, {}};
      return;
    }
    ares_query(channel_, name.c_str(), kClassIn, static_cast<int>(type), &on_answer,
               new std::shared_ptr<Pending>(std::move(pending)));
    reschedule_timer();
  }

  size_t server_count() const {
    ares_addr_port_node* servers = nullptr;
    if (!channel_ || ares_get_servers_ports(channel_, &servers) != ARES_SUCCESS) return 0;
    size_t count = 0;
    for (ares_addr_port_node* node = servers; node; node = node->next) ++count;
    ares_free_data(servers);
    return count;
  }
  size_t open_sockets() const { return sockets_.size(); }
  const asio::any_io_executor& executor() const { return executor_; }

 private:
  // A socket c-ares opened, watched without being owned: c-ares closes it.
  struct Socket {
    Socket(const asio::any_io_executor& executor, int fd) : fd(fd), descriptor(executor, fd) {}
    int fd;
    asio::posix::stream_descriptor descriptor;
    bool want[2] = {false, false};   // what c-ares last asked for
    bool armed[2] = {false, false};  // an async_wait is outstanding
    bool closed = false;
  };

  static void on_socket_state(void* data, ares_socket_t fd, int readable, int writable) {
    // No exception may unwind through c-ares' C frames. Should watching fail
    // (no memory, epoll refusing), the socket's queries still end: the timer
    // keeps driving c-ares' timeouts, and query() has its own deadline.
    try {
      static_cast<Engine*>(data)->socket_state(fd, readable != 0, writable != 0);
    } catch (const std::exception&) {
    }
  }

  void socket_state(int fd, bool readable, bool writable) {
    auto it = sockets_.find(fd);
    if (!readable && !writable) {  // c-ares is about to close it
      if (it != sockets_.end()) {
        forget(*it->second);
        sockets_.erase(it);
      }
      return;
    }
    if (it == sockets_.end())
      it = sockets_.emplace(fd, std::make_shared<Socket>(executor_, fd)).first;
    std::shared_ptr<Socket> socket = it->second;
    socket->want[kRead] = readable;
    socket->want[kWrite] = writable;
    for (Direction direction : {kRead, kWrite})
      if (socket->want[direction] && !socket->armed[direction]) arm(socket, direction);
  }

  // Stops watching without closing: release() cancels pending waits (their
  // handlers see `closed`) and hands the fd back to c-ares.
  static void forget(Socket& socket) {
    socket.closed = true;
    socket.descriptor.release();
  }

  // c-ares does not always drain a socket (over TCP it reads the 2-octet
  // length and the message in separate calls), so a wait must also complete
  // for data that is already there. Asio 1.74's epoll reactor does that:
  // every wait re-arms the descriptor with EPOLL_CTL_MOD, which reports a
  // socket that is ready now even though epoll is edge-triggered.
  void arm(const std::shared_ptr<Socket>& socket, Direction direction) {
    socket->armed[direction] = true;
    socket->descriptor.async_wait(direction == kRead ? asio::posix::descriptor_base::wait_read
                                                     : asio::posix::descriptor_base::wait_write,
                                  [self = shared_from_this(), socket, direction](error_code ec) {
                                    self->on_ready(socket, direction, ec);
                                  });
  }

  void on_ready(const std::shared_ptr<Socket>& socket, Direction direction, error_code ec) {
    socket->armed[direction] = false;
    if (socket->closed || !channel_ || ec == asio::error::operation_aborted) return;
    if (!socket->want[direction]) return;  // c-ares lost interest while we waited
    // Other errors reach c-ares through its own recv/send on the socket.
    ares_process_fd(channel_, direction == kRead ? socket->fd : ARES_SOCKET_BAD,
                    direction == kWrite ? socket->fd : ARES_SOCKET_BAD);
    if (!socket->closed && socket->want[direction] && !socket->armed[direction])
      arm(socket, direction);
    reschedule_timer();
  }

  // Retransmits and timeouts happen inside ares_process_fd when c-ares' next
  // deadline (ares_timeout) has passed; no deadline means no query is pending.
  void reschedule_timer() {
    if (!channel_) return;
    timeval storage{};
    timeval* left = ares_timeout(channel_, nullptr, &storage);
    if (!left) {
      timer_.cancel();
      return;
    }
    timer_.expires_after(std::chrono::seconds(left->tv_sec) +
                         std::chrono::microseconds(left->tv_usec));
    timer_.async_wait([self = shared_from_this()](error_code ec) {
      if (ec || !self->channel_) return;
      ares_process_fd(self->channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
      self->reschedule_timer();
    });
  }

  asio::any_io_executor executor_;
  asio::steady_timer timer_;
  ares_channel channel_ = nullptr;
  std::unordered_map<int, std::shared_ptr<Socket>> sockets_;
};

AresChannel::AresChannel(asio::any_io_executor executor, const DnsConfig& config)
    : engine_(std::make_shared<Engine>(executor)) {
  init_library_once();
  engine_->open(config);
  size_t servers = std::max<size_t>(1, engine_->server_count());
  deadline_ = std::chrono::milliseconds(uint64_t{config.timeout_ms} * config.attempts * servers);
}

AresChannel::~AresChannel() { engine_->close(); }

size_t AresChannel::server_count() const { return engine_->server_count(); }
size_t AresChannel::open_sockets() const { return engine_->open_sockets(); }

asio::awaitable<RawReply> AresChannel::query(std::string name, RecordType type) {
  auto pending = std::make_shared<Pending>(engine_->executor());
  pending->wake.expires_after(deadline_);
  engine_->send(name, type, pending);
  if (!pending->reply) {  // c-ares fails some queries (a bad name) before returning
    error_code ec;
    co_await pending->wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  // Past the deadline c-ares may still be retrying; its answer, if any, goes
  // to the Pending it still references and is dropped there.
  if (!pending->reply) co_return RawReply{ARES_ETIMEOUT, {}};
  co_return std::move(*pending->reply);
}

}  // namespace poolgate

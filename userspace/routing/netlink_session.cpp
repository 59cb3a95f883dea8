#include "routing/netlink_session.h"

#include "common/operator_error.h"

#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/rtnl.h>

#include <linux/netlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <memory>

namespace poolgate {

namespace {

constexpr int kDumpAttempts = 5;

// --- dumps ---

struct DumpContext {
  const std::function<void(nl_object*)>* visit;
  std::exception_ptr error;  // exceptions must not unwind through libnl's C frames
};

void on_object(nl_object* object, void* arg) {
  auto* context = static_cast<DumpContext*>(arg);
  if (context->error) return;
  try {
    (*context->visit)(object);
  } catch (...) {
    context->error = std::current_exception();
  }
}

int on_dump_message(nl_msg* msg, void* arg) {
  // Objects of kinds libnl does not know (multicast routes, MPLS) are skipped.
  nl_msg_parse(msg, on_object, arg);
  return NL_OK;
}

// --- changes ---

struct AckContext {
  int error = 0;         // errno from the kernel's answer, 0 for success
  std::string message;   // the kernel's extended ack text, if any
};

// The extended ack (NETLINK_EXT_ACK) follows the echoed request in the error
// message: it is where the kernel says *why* ("Invalid prefsrc address").
std::string extended_ack_message(const nlmsgerr* err) {
  const auto* header =
      reinterpret_cast<const nlmsghdr*>(reinterpret_cast<const char*>(err) - NLMSG_HDRLEN);
  if (!(header->nlmsg_flags & NLM_F_ACK_TLVS)) return "";
  size_t offset = sizeof(nlmsgerr);
  if (!(header->nlmsg_flags & NLM_F_CAPPED)) offset += err->msg.nlmsg_len - NLMSG_HDRLEN;
  offset = NLMSG_ALIGN(offset);
  const size_t payload = header->nlmsg_len - NLMSG_HDRLEN;
  if (offset >= payload) return "";
  auto* attrs = reinterpret_cast<nlattr*>(const_cast<char*>(reinterpret_cast<const char*>(err)) +
                                          offset);
  nlattr* text = nla_find(attrs, static_cast<int>(payload - offset), NLMSGERR_ATTR_MSG);
  if (!text) return "";
  const char* data = static_cast<const char*>(nla_data(text));
  return std::string(data, ::strnlen(data, static_cast<size_t>(nla_len(text))));
}

int on_error(sockaddr_nl*, nlmsgerr* err, void* arg) {
  auto* context = static_cast<AckContext*>(arg);
  context->error = -err->error;
  context->message = extended_ack_message(err);
  return NL_STOP;
}

int on_ack(nl_msg*, void*) { return NL_STOP; }

struct CallbackPut {
  void operator()(nl_cb* cb) const { nl_cb_put(cb); }
};
using CallbackPtr = std::unique_ptr<nl_cb, CallbackPut>;

struct MessageFree {
  void operator()(nl_msg* msg) const { nlmsg_free(msg); }
};

}  // namespace

NetlinkSession::NetlinkSession() {
  sock_ = nl_socket_alloc();
  if (!sock_) throw OperatorError("cannot allocate a netlink socket (out of memory)");
  if (int err = nl_connect(sock_, NETLINK_ROUTE); err < 0) {
    nl_socket_free(sock_);
    throw OperatorError(std::string("cannot open an rtnetlink socket: ") + nl_geterror(err));
  }
  // Ask for the kernel's explanations of refused requests; older kernels
  // without it still answer, just without the text.
  int on = 1;
  ::setsockopt(nl_socket_get_fd(sock_), SOL_NETLINK, NETLINK_EXT_ACK, &on, sizeof(on));
}

NetlinkSession::~NetlinkSession() { nl_socket_free(sock_); }

bool NetlinkSession::dump_once(int request, const std::function<void(nl_object*)>& visit,
                               int attempt) {
  DumpContext context{&visit, nullptr};
  if (int err = nl_rtgen_request(sock_, request, AF_UNSPEC, NLM_F_DUMP); err < 0)
    throw OperatorError(std::string("cannot ask the kernel for its routing state: ") +
                        nl_geterror(err));
  CallbackPtr cb(nl_cb_clone(nl_socket_get_cb(sock_)));
  if (!cb) throw std::bad_alloc();
  nl_cb_set(cb.get(), NL_CB_VALID, NL_CB_CUSTOM, on_dump_message, &context);
  int err = nl_recvmsgs(sock_, cb.get());
  if (context.error) std::rethrow_exception(context.error);
  if (err == -NLE_DUMP_INTR) {
    if (attempt < kDumpAttempts) return false;
    throw OperatorError("the kernel's routing state kept changing while poolgate read it (" +
                        std::to_string(attempt) + " attempts); try again");
  }
  if (err < 0)
    throw OperatorError(std::string("cannot read the kernel's routing state: ") +
                        nl_geterror(err));
  return true;
}

void NetlinkSession::change(const std::function<int(nl_msg**)>& build, const std::string& what) {
  nl_msg* raw = nullptr;
  if (int err = build(&raw); err < 0)
    throw OperatorError(what + ": cannot build the request: " + nl_geterror(err));
  std::unique_ptr<nl_msg, MessageFree> msg(raw);

  AckContext context;
  CallbackPtr cb(nl_cb_clone(nl_socket_get_cb(sock_)));
  if (!cb) throw std::bad_alloc();
  nl_cb_err(cb.get(), NL_CB_CUSTOM, on_error, &context);
  nl_cb_set(cb.get(), NL_CB_ACK, NL_CB_CUSTOM, on_ack, nullptr);
  if (int err = nl_send_auto(sock_, msg.get()); err < 0)
    throw OperatorError(what + ": cannot send the request: " + nl_geterror(err));
  int err = nl_recvmsgs(sock_, cb.get());
  if (context.error == 0 && err < 0)
    throw OperatorError(what + ": no answer from the kernel: " + nl_geterror(err));
  if (context.error == 0) return;

  std::string text = what + ": " + std::strerror(context.error);
  if (!context.message.empty()) text += " (kernel: " + context.message + ")";
  if (context.error == EPERM)
    text += "; changing policy routing needs CAP_NET_ADMIN: run poolgate as root or grant it "
            "the capability";
  throw OperatorError(text);
}

}  // namespace poolgate

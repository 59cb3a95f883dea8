// How one outbound SMTP connection behaves: the name it greets with, its TLS
// policy, whether it binds to the pool address, and its timeouts.
#pragma once

#include <utility>  // Boost 1.74 asio headers use std::exchange without it

#include "reputation/reply_rules.h"

#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace poolgate {

// STARTTLS towards the next hop. Neither level verifies the certificate: MX
// certificates rarely match the name mail is addressed to, and an unverified
// channel still beats plain text against passive eavesdropping (RFC 7435,
// opportunistic security). Authenticated TLS (DANE, MTA-STS) is a later step.
enum class TlsPolicy : uint8_t {
  Off,            // never STARTTLS
  Opportunistic,  // STARTTLS when offered; a refused STARTTLS (4xx/5xx) goes on
                  // in plain text, a failed handshake is a 4.7.5 temporary
                  // failure (the connection is gone by then)
  Required,       // no STARTTLS offered, or refused: 4.7.4 temporary failure
};

// RFC 5321 4.5.3.2 client timeouts, one per wait. Each is the time allowed for
// one reply (or one block of data to be written), not for the whole command.
struct SmtpTimeouts {
  using Duration = std::chrono::milliseconds;
  Duration connect = std::chrono::seconds(30);           // not in RFC 5321; Postfix's default
  Duration greeting = std::chrono::minutes(5);           // 4.5.3.2.1 initial 220
  Duration hello = std::chrono::minutes(5);              // EHLO/HELO (like MAIL)
  Duration starttls = std::chrono::minutes(5);           // STARTTLS reply and handshake
  Duration mail = std::chrono::minutes(5);               // 4.5.3.2.2
  Duration rcpt = std::chrono::minutes(5);               // 4.5.3.2.3
  Duration data_init = std::chrono::minutes(2);          // 4.5.3.2.4 the 354
  Duration data_block = std::chrono::minutes(3);         // 4.5.3.2.5 each write of content
  Duration data_termination = std::chrono::minutes(10);  // 4.5.3.2.6 reply to the final dot
  Duration rset = std::chrono::minutes(5);               // like MAIL
  Duration quit = std::chrono::minutes(5);               // like MAIL
};

struct ClientOptions {
  std::string ehlo_name;  // the pool's ehlo name (PoolConfig::ehlo)
  TlsPolicy tls = TlsPolicy::Opportunistic;
  // For STARTTLS; null: the client makes its own (make_client_tls_context).
  // Share one across connections: a context is not cheap to build.
  boost::asio::ssl::context* tls_context = nullptr;
  std::string tls_server_name;  // SNI: the MX host name, when known
  // Also bind() to the pool address (IP_BIND_ADDRESS_NO_PORT): the mark's
  // routing already chooses it; binding makes a wrong route fail instead of
  // leaving from another address.
  bool bind_source = false;
  SmtpTimeouts timeouts;
  // What gives each reply its class (reputation/reply_rules.h); shared, so a
  // reload's new rules leave this connection's in place. Null: the defaults.
  std::shared_ptr<const ReplyRules> reply_rules;
};

// A client TLS context that verifies nothing (see TlsPolicy), TLS 1.2 and up.
boost::asio::ssl::context make_client_tls_context();

}  // namespace poolgate

#include "delivery/client_options.h"

namespace poolgate {

boost::asio::ssl::context make_client_tls_context() {
  namespace ssl = boost::asio::ssl;
  ssl::context context(ssl::context::tls_client);
  context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                      ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  // Opportunistic security (RFC 7435): encrypt, authenticate nothing.
  context.set_verify_mode(ssl::verify_none);
  return context;
}

}  // namespace poolgate

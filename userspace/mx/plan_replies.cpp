#include "mx/plan_replies.h"

#include <string>

namespace poolgate::plan_replies {


Reply null_mx() { return make_reply(556, "5.1.10", "Recipient address has null MX"); }

Reply domain_not_found(std::string_view domain) {
  return make_reply(550, "5.1.2",
                    "Host or domain name not found: " + std::string(domain) + " does not exist");
}

Reply no_mx_and_no_address(std::string_view domain) {
  return make_reply(550, "5.1.2",
                    "Host or domain name not found: " + std::string(domain) +
                        " has no MX and no address");
}

Reply bad_domain(std::string_view domain) {
  return make_reply(550, "5.1.2", "Bad destination domain \"" + std::string(domain) + "\"");
}

Reply bad_literal(std::string_view literal) {
  return make_reply(550, "5.1.3", "Bad destination address literal " + std::string(literal));
}

Reply dns_tempfail(std::string_view domain) {
  return make_reply(451, "4.4.3",
                    "Temporary DNS failure looking up " + std::string(domain) + "; will retry");
}

Reply no_route(std::string_view domain) {
  return make_reply(550, "5.4.4",
                    "Unable to route: no mail exchanger of " + std::string(domain) +
                        " has a usable address");
}

Reply loops_back(std::string_view domain) {
  return make_reply(554, "5.4.6", "mail for " + std::string(domain) + " loops back to myself");
}

Reply missing_family(std::string_view domain, std::string_view family) {
  return make_reply(451, "4.4.4",
                    "Unable to route: the mail exchangers of " + std::string(domain) +
                        " have only " + std::string(family) +
                        " addresses and this pool has no " + std::string(family) +
                        " source address; will retry");
}

}  // namespace poolgate::plan_replies

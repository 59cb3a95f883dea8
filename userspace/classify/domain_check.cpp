#include "classify/domain_check.h"


namespace poolgate {

namespace {

// One lookup's contribution: it found records, it found none, or it could not tell.
enum class Seen { Records, Nothing, Unknown };

Seen seen(const Answer& answer, bool has_records) {
  switch (answer.status) {
    case Status::Ok: return has_records ? Seen::Records : Seen::Nothing;
    case Status::NoData:
    case Status::NxDomain: return Seen::Nothing;
    default: return Seen::Unknown;
  }
}

std::string describe(const char* type, const Answer& answer) {
  std::string text = std::string(type) + " " + to_string(answer.status);
  if (!answer.detail.empty()) text += " (" + answer.detail + ")";
  return text;
}

}  // namespace

boost::asio::awaitable<DomainCheck> check_domain(DnsLookup& dns, std::string role,
                                                 std::string domain, bool check_aaaa) {
  DomainCheck check{std::move(role), domain, DomainStatus::Unknown, ""};
  bool unknown = false;
  // MX first: most mail domains have one, and the A lookup is then skipped.
  MxResult mx = co_await dns.lookup_mx(domain);
  Seen mx_seen = seen(mx, !mx.records.empty());
  if (mx_seen == Seen::Records && !mx.null_mx) {
    check.status = DomainStatus::Exists;
    check.detail = "MX";
    co_return check;
  }
  check.detail = mx.null_mx ? "MX null (RFC 7505)" : describe("MX", mx);
  unknown = mx_seen == Seen::Unknown;
  if (mx.status == Status::NxDomain) {
    // The name does not exist: it has no A either, no need to ask.
    check.status = DomainStatus::None;
    co_return check;
  }
  if (mx.null_mx) {
    check.status = DomainStatus::None;
    co_return check;
  }
  AddressResult a = co_await dns.lookup_a(domain);
  check.detail += ", " + describe("A", a);
  if (seen(a, !a.records.empty()) == Seen::Records) {
    check.status = DomainStatus::Exists;
    co_return check;
  }
  unknown = unknown || seen(a, false) == Seen::Unknown;
  if (check_aaaa) {
    AddressResult aaaa = co_await dns.lookup_aaaa(domain);
    check.detail += ", " + describe("AAAA", aaaa);
    if (seen(aaaa, !aaaa.records.empty()) == Seen::Records) {
      check.status = DomainStatus::Exists;
      co_return check;
    }
    unknown = unknown || seen(aaaa, false) == Seen::Unknown;
  }
  check.status = unknown ? DomainStatus::Unknown : DomainStatus::None;
  co_return check;
}

}  // namespace poolgate

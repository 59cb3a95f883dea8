#include "mx/next_hops.h"

#include "mx/domain_name.h"
#include "mx/hop_collector.h"
#include "mx/mx_hosts.h"
#include "mx/plan_replies.h"

namespace poolgate {

namespace asio = boost::asio;

namespace {

// Within one MX host, IPv6 addresses come before IPv4 ones when the pool has
// both families. That is RFC 6724's default policy (native IPv6 above IPv4)
// and Postfix's smtp_address_preference = ipv6, not its default "any" (a coin
// toss per host): a fixed order keeps plans and logs reproducible, and a host
// whose IPv6 path is broken costs one failed connect before its IPv4 address
// is tried in the same attempt, not a deferral. An operator who would rather
// not send over IPv6 leaves the pool without IPv6 addresses (Families::v6).
constexpr bool kFamilyOrder[] = {true, false};  // v6 first

const char* record_type(bool v6) { return v6 ? "AAAA" : "A"; }

asio::awaitable<AddressResult> lookup(DnsLookup& dns, const std::string& name, bool v6) {
  return v6 ? dns.lookup_aaaa(name) : dns.lookup_a(name);
}

// A single "." is a null MX even if the resolver did not flag it (RFC 7505 3:
// the domain accepts no mail); taking it for "no MX" would fall back to the
// domain's A record, the one thing a null MX exists to prevent.
bool is_null_mx(const MxResult& mx) {
  return mx.null_mx || (mx.records.size() == 1 && normalize_domain(mx.records[0].exchange).empty());
}

std::string describe_mx(const std::string& name, const MxResult& mx) {
  std::string line = "MX " + name + ": " + to_string(mx.status);
  if (!mx.detail.empty()) line += " (" + mx.detail + ")";
  for (size_t i = 0; i < mx.records.size(); ++i)
    line += (i == 0 ? " " : ", ") + std::to_string(mx.records[i].preference) + " " +
            mx.records[i].exchange;
  return line;
}

// A domain literal names the one address to connect to: no DNS at all.
NextHopPlan plan_for_literal(const std::string& literal, HopCollector& hops, Families families,
                             std::mt19937& rng) {
  std::optional<asio::ip::address> address = parse_domain_literal(literal);
  if (!address) {
    hops.note("domain literal " + literal + ": malformed or unsupported");
    return hops.fail(PlanStatus::PermFail, plan_replies::bad_literal(literal));
  }
  const bool v6 = address->is_v6();
  const std::string canonical = format_domain_literal(*address);
  AddressResult answer;  // as if DNS had answered with the address
  answer.status = Status::Ok;
  answer.records.push_back({*address, 0});
  const std::string label = "domain literal " + canonical;
  if (v6 ? families.v6 : families.v4)
    hops.add(label, MxHost{canonical, 0, true}, v6, answer, rng);
  else
    hops.add_probe(label, v6, answer);
  return hops.finish(canonical, false);
}

}  // namespace

asio::awaitable<NextHopPlan> resolve_next_hops(DnsLookup& dns, std::string domain,
                                               Families families,
                                               std::function<bool(const asio::ip::address&)> is_local,
                                               std::mt19937& rng) {
  const std::string name = normalize_domain(domain);
  HopCollector hops(families, std::move(is_local));
  if (name.empty()) {
    hops.note("empty domain");
    co_return hops.fail(PlanStatus::PermFail, plan_replies::bad_domain(domain));
  }
  if (is_domain_literal(name)) co_return plan_for_literal(name, hops, families, rng);

  const MxResult mx = co_await dns.lookup_mx(name);
  hops.note(describe_mx(name, mx));
  std::vector<MxHost> hosts;
  switch (mx.status) {
    case Status::TempFail:
    case Status::Malformed:
      // Not knowing the MX set is never a reason to bounce (RFC 5321 5.1 and
      // 4.5.4.1: keep trying until the queue lifetime runs out).
      co_return hops.fail(PlanStatus::TempFail, plan_replies::dns_tempfail(name));
    case Status::NxDomain:
      co_return hops.fail(PlanStatus::PermFail, plan_replies::domain_not_found(name));
    case Status::NoData:
      break;  // implicit MX below
    case Status::Ok: {
      if (is_null_mx(mx)) co_return hops.fail(PlanStatus::PermFail, plan_replies::null_mx());
      std::vector<std::string> notes;
      hosts = order_mx_hosts(mx.records, rng, notes);
      for (std::string& line : notes) hops.note(std::move(line));
      if (hosts.empty() && mx.records.empty()) break;  // "Ok" without records: as NoData
      if (hosts.empty()) co_return hops.finish(name, false);  // only "." and addresses
      break;
    }
  }
  // RFC 5321 5.1: no MX records, the domain itself is the one mail exchanger
  // (preference 0).
  const bool implicit_mx = hosts.empty();
  if (implicit_mx) hosts.push_back({name, 0, true});

  for (const MxHost& host : hosts) {
    if (hops.full()) {
      hops.note("MX " + host.name + " and later ones not resolved (" + std::to_string(kMaxHops) +
                " hops already)");
      break;
    }
    for (bool v6 : kFamilyOrder) {
      if (!(v6 ? families.v6 : families.v4) || hops.full()) continue;
      const AddressResult answer = co_await lookup(dns, host.name, v6);
      hops.add(std::string(record_type(v6)) + " " + host.name, host, v6, answer, rng);
    }
  }
  // Nothing usable and nothing temporary: ask the families the pool lacks,
  // only now, so that the common case costs no extra lookups.
  if (hops.empty() && !hops.temp_failed()) {
    for (const MxHost& host : hosts) {
      for (bool v6 : kFamilyOrder) {
        if (v6 ? families.v6 : families.v4) continue;
        const AddressResult answer = co_await lookup(dns, host.name, v6);
        hops.add_probe(std::string(record_type(v6)) + " " + host.name, v6, answer);
      }
    }
  }
  co_return hops.finish(name, implicit_mx);
}

}  // namespace poolgate

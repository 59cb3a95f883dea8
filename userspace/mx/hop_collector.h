// Turns the address lookups of a next-hop plan into hops, and remembers enough
// about the ones that produced none to say, when the plan ends up empty,
// whether that is for good (bounce) or for now (retry), and why.
#pragma once

#include "dns/dns_types.h"
#include "mx/address_class.h"
#include "mx/mx_hosts.h"
#include "mx/next_hops.h"

#include <random>
#include <set>
#include <string>
#include <vector>

namespace poolgate {

class HopCollector {
 public:
  HopCollector(Families families, IsLocal is_local);

  // A line for the plan's detail (the MX answer, skipped MX records).
  void note(std::string line);

  // The answer to `label` ("AAAA mx1.example.org"), an address lookup for
  // `host` in a family the pool has (v6: AAAA, else A). Its usable addresses
  // become hops: shuffled, cut to kMaxAddressesPerFamily, duplicates of
  // earlier hops dropped (the earlier one has the better preference), none
  // beyond kMaxHops.
  void add(const std::string& label, const MxHost& host, bool v6, const AddressResult& result,
           std::mt19937& rng);

  // The answer for a family the pool lacks, asked only once the plan is
  // empty, to tell "add a pool address of that family" (4.4.4) apart from
  // "there is no address at all" (5.x).
  void add_probe(const std::string& label, bool v6, const AddressResult& result);

  bool empty() const { return hops_.empty(); }
  bool full() const { return hops_.size() >= kMaxHops; }
  bool temp_failed() const { return temp_failed_; }

  // Ok with the hops; or, without any, the failure that explains it. With
  // `implicit_mx` (the domain had no MX records), "no address at all" is
  // 550 5.1.2 (the domain has no mail service); else 550 5.4.4.
  NextHopPlan finish(const std::string& domain, bool implicit_mx) const;

  // A failure decided before any address lookup (the MX answer), with the
  // notes so far as detail.
  NextHopPlan fail(PlanStatus status, Reply reply) const;

 private:
  std::string describe(const std::string& label, const AddressResult& result,
                       const std::vector<std::string>& addresses) const;

  Families families_;
  IsLocal is_local_;
  std::vector<NextHop> hops_;
  std::set<boost::asio::ip::address> seen_;
  std::vector<std::string> log_;
  bool temp_failed_ = false;  // some lookup could not find out (TempFail, Malformed)
  bool looped_ = false;       // some address was this host's
  bool unusable_ = false;     // some address could never be a next hop
  bool only_v4_ = false;      // a probe found usable IPv4 addresses the pool cannot use
  bool only_v6_ = false;      // likewise IPv6
};

}  // namespace poolgate

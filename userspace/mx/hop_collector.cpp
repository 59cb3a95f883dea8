#include "mx/hop_collector.h"

#include "mx/plan_replies.h"

#include <algorithm>

namespace poolgate {

namespace {

bool temporary(Status status) {
  // Malformed is "could not find out" as much as TempFail is: a broken
  // answer today says nothing about tomorrow's. Never a reason to bounce.
  return status == Status::TempFail || status == Status::Malformed;
}

std::string join(const std::vector<std::string>& parts, const char* separator) {
  std::string out;
  for (const std::string& part : parts) out += (out.empty() ? "" : separator) + part;
  return out;
}

}  // namespace

HopCollector::HopCollector(Families families, IsLocal is_local)
    : families_(families), is_local_(std::move(is_local)) {}

void HopCollector::note(std::string line) { log_.push_back(std::move(line)); }

std::string HopCollector::describe(const std::string& label, const AddressResult& result,
                                   const std::vector<std::string>& addresses) const {
  std::string line = label + ": " + to_string(result.status);
  if (!result.detail.empty()) line += " (" + result.detail + ")";
  if (!addresses.empty()) {
    line += ' ';  // not " " + join(...): GCC 12's false -Wrestrict (bug 105329)
    line += join(addresses, ", ");
  }
  return line;
}

void HopCollector::add(const std::string& label, const MxHost& host, bool v6,
                       const AddressResult& result, std::mt19937& rng) {
  if (temporary(result.status)) temp_failed_ = true;
  std::vector<boost::asio::ip::address> usable;
  std::vector<std::string> described;
  if (result.status == Status::Ok) {
    for (const AddressRecord& record : result.records) {
      std::string text = record.address.to_string();
      // An A answer holds IPv4 addresses and an AAAA answer IPv6 ones; anything
      // else would be sent from a source of the wrong family.
      AddressClass address_class = record.address.is_v6() != v6
                                       ? AddressClass::Unusable
                                       : classify_address(record.address, is_local_);
      if (address_class == AddressClass::Loop) looped_ = true;
      if (address_class == AddressClass::Unusable) unusable_ = true;
      if (address_class == AddressClass::Usable)
        usable.push_back(record.address);
      else
        text += std::string(" (") + to_string(address_class) + ", skipped)";
      described.push_back(std::move(text));
    }
  }
  log_.push_back(describe(label, result, described));

  // A DNS cache answers in the same order every time; shuffling spreads the
  // load over a host's addresses (as RFC 5321 5.1 asks for equal-preference
  // MX hosts) and, with the cut below, lets later attempts reach the rest.
  std::shuffle(usable.begin(), usable.end(), rng);
  size_t taken = 0;
  for (const boost::asio::ip::address& address : usable) {
    if (taken == kMaxAddressesPerFamily || full()) break;
    if (!seen_.insert(address).second) continue;
    hops_.push_back({host.name, host.preference, address, host.implicit});
    ++taken;
  }
}

void HopCollector::add_probe(const std::string& label, bool v6, const AddressResult& result) {
  // Conservative: a probe that cannot find out keeps the plan temporary, so
  // a DNS outage never turns into a bounce.
  if (temporary(result.status)) temp_failed_ = true;
  std::vector<std::string> described;
  if (result.status == Status::Ok) {
    for (const AddressRecord& record : result.records) {
      // Only an address the pool could use, given a source of its family,
      // makes "add a pool address" the right advice.
      if (record.address.is_v6() != v6 ||
          classify_address(record.address, is_local_) != AddressClass::Usable)
        continue;
      (v6 ? only_v6_ : only_v4_) = true;
      described.push_back(record.address.to_string());
    }
  }
  log_.push_back(describe(label + " (pool has no " + (v6 ? "IPv6" : "IPv4") + " source)", result,
                          described));
}

NextHopPlan HopCollector::fail(PlanStatus status, Reply reply) const {
  NextHopPlan plan;
  plan.status = status;
  plan.reply = std::move(reply);
  plan.detail = join(log_, "; ");
  return plan;
}

NextHopPlan HopCollector::finish(const std::string& domain, bool implicit_mx) const {
  if (!hops_.empty()) {
    NextHopPlan plan = fail(PlanStatus::Ok, {});
    plan.hops = hops_;
    return plan;
  }
  // In this order: a lookup that may succeed later beats every definite
  // answer; then the one cause an operator can fix (a pool address of the
  // missing family); then the loop, a misconfiguration worth its own words;
  // then "nowhere to go".
  if (temp_failed_) return fail(PlanStatus::TempFail, plan_replies::dns_tempfail(domain));
  if (only_v4_ || only_v6_) {
    const char* family = only_v4_ && only_v6_ ? "IPv4 or IPv6" : only_v6_ ? "IPv6" : "IPv4";
    NextHopPlan plan = fail(PlanStatus::TempFail, plan_replies::missing_family(domain, family));
    plan.detail = std::string("no usable ") + family + " source address in the pool; " + plan.detail;
    return plan;
  }
  if (looped_) return fail(PlanStatus::PermFail, plan_replies::loops_back(domain));
  if (implicit_mx && !unusable_)
    return fail(PlanStatus::PermFail, plan_replies::no_mx_and_no_address(domain));
  return fail(PlanStatus::PermFail, plan_replies::no_route(domain));
}

}  // namespace poolgate

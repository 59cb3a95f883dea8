// A scripted DnsLookup for the next-hop tests: canned answers by (type, name),
// every question counted. A name without an answer does not exist (NXDOMAIN).
#pragma once

#include <utility>  // Boost 1.74 awaitable.hpp uses std::exchange without it

#include "dns/dns_lookup.h"

#include <map>
#include <string>
#include <vector>

namespace poolgate::testing {

class FakeDns : public DnsLookup {
 public:
  std::map<std::string, MxResult> mx;
  std::map<std::string, AddressResult> a;
  std::map<std::string, AddressResult> aaaa;
  std::map<std::string, int> calls;  // "MX name", "A name", "AAAA name"

  void set_mx(const std::string& name, std::vector<std::pair<uint16_t, std::string>> records) {
    MxResult& result = mx[name];
    result.status = Status::Ok;
    for (auto& [preference, exchange] : records) result.records.push_back({preference, exchange});
  }
  void set_null_mx(const std::string& name) {
    MxResult& result = mx[name];
    result.status = Status::Ok;
    result.records = {{0, "."}};
    result.null_mx = true;
  }
  void set_mx_status(const std::string& name, Status status) { mx[name].status = status; }

  static AddressResult addresses(std::vector<std::string> texts) {
    AddressResult result;
    result.status = Status::Ok;
    for (const std::string& text : texts)
      result.records.push_back({boost::asio::ip::make_address(text), 300});
    return result;
  }
  static AddressResult status(Status status) {
    AddressResult result;
    result.status = status;
    result.detail = status == Status::TempFail ? "timeout" : "";
    return result;
  }

  int address_lookups() const {
    int total = 0;
    for (const auto& [what, count] : calls)
      if (what.rfind("A ", 0) == 0 || what.rfind("AAAA ", 0) == 0) total += count;
    return total;
  }
  int total_lookups() const {
    int total = 0;
    for (const auto& [what, count] : calls) total += count;
    return total;
  }

  boost::asio::awaitable<MxResult> lookup_mx(std::string domain) override {
    ++calls["MX " + domain];
    auto it = mx.find(domain);
    if (it != mx.end()) co_return it->second;
    MxResult missing;
    missing.status = Status::NxDomain;
    co_return missing;
  }
  boost::asio::awaitable<AddressResult> lookup_a(std::string name) override {
    ++calls["A " + name];
    co_return find(a, name);
  }
  boost::asio::awaitable<AddressResult> lookup_aaaa(std::string name) override {
    ++calls["AAAA " + name];
    co_return find(aaaa, name);
  }
  boost::asio::awaitable<TxtResult> lookup_txt(std::string name) override {
    ++calls["TXT " + name];
    co_return TxtResult{};
  }
  boost::asio::awaitable<PtrResult> lookup_ptr(boost::asio::ip::address address) override {
    ++calls["PTR " + address.to_string()];
    co_return PtrResult{};
  }

 private:
  static AddressResult find(const std::map<std::string, AddressResult>& table,
                                 const std::string& name) {
    auto it = table.find(name);
    return it != table.end() ? it->second : status(Status::NxDomain);
  }
};

}  // namespace poolgate::testing

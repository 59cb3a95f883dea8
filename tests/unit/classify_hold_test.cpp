// resolve_hold(): what a message held for DNS becomes when its sender domains
// are looked up again before delivery.
#include "classify/classifier.h"

#include <gtest/gtest.h>

using namespace poolgate;
using Action = Decision::Action;

namespace {

constexpr int64_t kReceived = 1700000000;

Envelope held(std::vector<std::string> reasons) {
  Envelope e;
  e.queue_id = "Q1";
  e.sender = "a@s.example";
  e.received_unix = kReceived;
  e.pool = "normal";
  e.hold_for_dns = true;
  e.reasons = std::move(reasons);
  return e;
}

DomainCheck check(DomainStatus status) {
  return {"sender", "s.example", status, "MX servfail, A servfail"};
}

Config config() {
  Config c;
  c.classify.dns_unknown_after_s = 1800;
  return c;
}

TEST(ResolveHold, VerifiedKeepsThePoolAndDropsTheUnknownFinding) {
  Decision d = resolve_hold(held({"sender-domain:unknown s.example", "relay:external-sender s.example"}),
                            {check(DomainStatus::Exists)}, config(), kReceived + 60);
  EXPECT_EQ(d.action, Action::Accept);
  EXPECT_EQ(d.pool, "normal");
  EXPECT_EQ(d.reasons, std::vector<std::string>{"relay:external-sender s.example"});
}

TEST(ResolveHold, NoAddressNowIsHighRisk) {
  Decision d = resolve_hold(held({"sender-domain:unknown s.example"}), {check(DomainStatus::None)},
                            config(), kReceived + 60);
  EXPECT_EQ(d.action, Action::Accept);
  EXPECT_EQ(d.pool, "high-risk");
  EXPECT_EQ(d.reasons, std::vector<std::string>{"sender-domain:no-a-no-mx s.example"});
}

TEST(ResolveHold, StillUnknownWhileYoungStaysHeld) {
  Decision d = resolve_hold(held({"sender-domain:unknown s.example"}),
                            {check(DomainStatus::Unknown)}, config(), kReceived + 1799);
  EXPECT_EQ(d.action, Action::Hold);
}

TEST(ResolveHold, StillUnknownPastTheDeadlineIsHighRiskNeverNormal) {
  Decision d = resolve_hold(held({"sender-domain:unknown s.example"}),
                            {check(DomainStatus::Unknown)}, config(), kReceived + 1800);
  EXPECT_EQ(d.action, Action::Accept);
  EXPECT_EQ(d.pool, "high-risk");
  ASSERT_EQ(d.reasons.size(), 1u);
  EXPECT_EQ(d.reasons[0], "sender-domain:unverified s.example (MX servfail, A servfail)");
}

}  // namespace

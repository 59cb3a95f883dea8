#include "routing/rules.h"

#include "routing/nl_handles.h"

#include <netlink/route/rule.h>

#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

namespace poolgate {

namespace {

RuleEntry from_kernel(rtnl_rule* rule) {
  RuleEntry entry;
  entry.family = rtnl_rule_get_family(rule);
  entry.priority = rtnl_rule_get_prio(rule);
  entry.fwmark = rtnl_rule_get_mark(rule);
  entry.fwmask = rtnl_rule_get_mask(rule);
  switch (rtnl_rule_get_action(rule)) {
    case FR_ACT_TO_TBL:
      entry.action = RuleAction::Lookup;
      entry.table = rtnl_rule_get_table(rule);
      break;
    case FR_ACT_UNREACHABLE: entry.action = RuleAction::Unreachable; break;
    default: entry.action = RuleAction::Other; break;
  }
  if (uint8_t protocol = 0; rtnl_rule_get_protocol(rule, &protocol) == 0)
    entry.protocol = protocol;
  entry.from = address_text(rtnl_rule_get_src(rule));
  entry.to = address_text(rtnl_rule_get_dst(rule));
  if (const char* iif = rtnl_rule_get_iif(rule)) entry.iif = iif;
  if (const char* oif = rtnl_rule_get_oif(rule)) entry.oif = oif;
  return entry;
}

NlObjectPtr<rtnl_rule> to_kernel(const RuleEntry& entry) {
  NlObjectPtr<rtnl_rule> rule(rtnl_rule_alloc());
  if (!rule) throw std::bad_alloc();
  rtnl_rule_set_family(rule.get(), entry.family);
  rtnl_rule_set_prio(rule.get(), entry.priority);
  if (entry.fwmask) {
    rtnl_rule_set_mark(rule.get(), entry.fwmark);
    rtnl_rule_set_mask(rule.get(), entry.fwmask);
  }
  if (entry.action == RuleAction::Lookup) {
    rtnl_rule_set_action(rule.get(), FR_ACT_TO_TBL);
    rtnl_rule_set_table(rule.get(), entry.table);
  } else if (entry.action == RuleAction::Unreachable) {
    rtnl_rule_set_action(rule.get(), FR_ACT_UNREACHABLE);
  }
  rtnl_rule_set_protocol(rule.get(), entry.protocol);
  if (!entry.from.empty()) rtnl_rule_set_src(rule.get(), parse_address(entry.from, entry.family).get());
  if (!entry.to.empty()) rtnl_rule_set_dst(rule.get(), parse_address(entry.to, entry.family).get());
  if (!entry.iif.empty()) rtnl_rule_set_iif(rule.get(), entry.iif.c_str());
  if (!entry.oif.empty()) rtnl_rule_set_oif(rule.get(), entry.oif.c_str());
  return rule;
}

}  // namespace

std::vector<RuleEntry> read_rules(NetlinkSession& session) {
  return session.dump<RuleEntry>(RTM_GETRULE, [](nl_object* object, std::vector<RuleEntry>& out) {
    auto* rule = reinterpret_cast<rtnl_rule*>(object);
    // The dump also lists the multicast routing rules (RTNL_FAMILY_IPMR, ...).
    int family = rtnl_rule_get_family(rule);
    if (family == AF_INET || family == AF_INET6) out.push_back(from_kernel(rule));
  });
}

void add_rule(NetlinkSession& session, const RuleEntry& rule) {
  auto object = to_kernel(rule);
  session.change(
      [&](nl_msg** msg) { return rtnl_rule_build_add_request(object.get(), NLM_F_EXCL, msg); },
      "adding rule `" + describe(rule) + "`");
}

void delete_rule(NetlinkSession& session, const RuleEntry& rule) {
  auto object = to_kernel(rule);
  session.change(
      [&](nl_msg** msg) { return rtnl_rule_build_delete_request(object.get(), 0, msg); },
      "deleting rule `" + describe(rule) + "`");
}

}  // namespace poolgate

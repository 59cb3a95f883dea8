// `ip rule` entries in and out of the kernel (IPv4 and IPv6 policy rules).
#pragma once

#include "routing/entries.h"
#include "routing/netlink_session.h"

#include <vector>

namespace poolgate {

// Every IPv4 and IPv6 rule installed, whoever created it.
std::vector<RuleEntry> read_rules(NetlinkSession& session);

// Adds the rule; fails (naming it) when an identical rule already exists.
void add_rule(NetlinkSession& session, const RuleEntry& rule);

// Deletes the rule matching every field of `rule` (as read by read_rules).
void delete_rule(NetlinkSession& session, const RuleEntry& rule);

}  // namespace poolgate

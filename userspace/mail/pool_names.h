// The well-known pool names, one constant each. A configuration may name more
// pools (a relay pool, ...), but these two have a meaning of their own: the
// normal pool is the reputation poolgate protects, the high-risk pool takes
// everything that could hurt it (spam, senders over their limits, bounces,
// sender domains without A/MX). Every other folder names them through these
// constants, never with a string literal, so a rename is one line.
#pragma once

#include <string_view>

namespace poolgate {

inline constexpr std::string_view kNormalPool = "normal";
inline constexpr std::string_view kHighRiskPool = "high-risk";

}  // namespace poolgate

// The shipped reply rules, config/reply-classes.toml, compiled into the binary
// (CMakeLists.txt generates the definition from the file at build time), the
// way the BPF objects travel as skeletons: the defaults are always there,
// whatever was installed where. The package also installs the file, to read.
#pragma once

#include <string_view>

namespace poolgate {

inline constexpr const char* kBuiltinReplyRulesName = "config/reply-classes.toml (built in)";

std::string_view builtin_reply_rules_text();

}  // namespace poolgate

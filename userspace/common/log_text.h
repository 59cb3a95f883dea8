// Bytes a client or a peer chose (commands, HELO names, addresses, remote
// replies, DNS text) go into log lines only through log_text(): a raw ESC, CR
// or NUL would let them forge log lines or drive the terminal reading the log,
// and an unbounded value would let them fill it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace poolgate {

constexpr size_t kLogTextLimit = 512;

// Printable ASCII stays as it is; control bytes, DEL, bytes over 0x7f and the
// backslash itself become \xNN (so the escaping cannot be faked). Past `limit`
// input bytes the rest is cut and "...(N bytes)" says how long it was.
std::string log_text(std::string_view bytes, size_t limit = kLogTextLimit);

}  // namespace poolgate

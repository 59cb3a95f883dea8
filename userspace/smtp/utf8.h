// UTF-8 well-formedness (RFC 3629) for SMTPUTF8 (RFC 6531), which admits UTF-8
// in addresses and parameter values but never ill-formed sequences: overlong
// forms, surrogates and code points above U+10FFFF are rejected, so that two
// hops cannot decode the same octets into different addresses.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace poolgate {

bool is_ascii(std::string_view s);
bool is_valid_utf8(std::string_view s);
// Appends the UTF-8 form of a Unicode scalar value; false for surrogates and
// values above U+10FFFF.
bool append_utf8(std::string& out, uint32_t code_point);

}  // namespace poolgate

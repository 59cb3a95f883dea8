// Fuzzes the message header readers: parse_header_fields and
// find_header_field (mail/header_fields) and the DSN header split
// (dsn/header_split). Besides memory safety it checks that the split's parts
// are pieces of the message in order, that field names carry no colon, and that find_header_field agrees with the
// first parsed field of that name.
#include "dsn/header_split.h"
#include "fuzz_check.h"
#include "mail/header_fields.h"

#include <cctype>
#include <cstdint>
#include <string_view>

using namespace poolgate;

namespace {

// Not strcasecmp: a field name may hold a NUL.
bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view message(reinterpret_cast<const char*>(data), size);

  HeaderSplit split = split_headers(message);
  const char* begin = message.data();
  const char* end = begin + message.size();
  FUZZ_CHECK(split.headers.empty() || split.headers.data() == begin);
  FUZZ_CHECK(split.headers.size() <= message.size());
  // headers, the empty line when there is one, body: the message again.
  if (!split.body.empty()) {
    FUZZ_CHECK(split.body.data() == begin + split.headers.size() + (split.separator ? 2 : 0));
    FUZZ_CHECK(split.body.data() + split.body.size() == end);
  } else {
    FUZZ_CHECK(split.headers.size() + (split.separator ? 2 : 0) == message.size());
  }
  (void)mime_safe_lines(message);

  std::vector<HeaderField> fields = parse_header_fields(message);
  for (const HeaderField& f : fields) {
    FUZZ_CHECK(f.name.find(':') == std::string::npos);
  }
  for (const char* name : {"From", "Content-Type", "Subject"}) {
    std::optional<std::string> found = find_header_field(message, name);
    const HeaderField* first = nullptr;
    for (const HeaderField& f : fields)
      if (iequals(f.name, name)) { first = &f; break; }
    FUZZ_CHECK(found.has_value() == (first != nullptr));
    if (found) FUZZ_CHECK(*found == first->value);
  }
  return 0;
}

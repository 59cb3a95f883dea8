// Fuzzes the config reader (config/*, over tomlplusplus) on a whole file's
// text. Besides memory safety it checks the load contract: no exception
// escapes (a TOML syntax error is a diagnostic), and a config is handed out
// exactly when no diagnostic is an error.
#include "config/config.h"
#include "fuzz_check.h"

#include <cstdint>
#include <string>

using namespace poolgate;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  LoadResult r = parse_config(text, "fuzz.toml");
  bool errors = false;
  for (const Diagnostic& d : r.diagnostics) {
    errors |= d.severity == Diagnostic::Severity::Error;
    (void)d.to_string();
  }
  FUZZ_CHECK(r.config.has_value() == !errors);
  return 0;
}

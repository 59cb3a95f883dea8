// Fuzzes LineReader. Byte 0 picks the limit and bare-LF policy, byte 1 seeds
// where the stream is cut; the rest is the stream. Checks: every octet is
// consumed, one Line per LF, no line longer than the limit, and the same lines
// whether the stream arrives whole, in random chunks, or octet by octet.
#include "fuzz_check.h"
#include "smtp/line_reader.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

using namespace poolgate;

namespace {

struct Run {
  std::vector<Line> lines;
  size_t consumed = 0;
};

// Feeds `in` in chunks whose sizes come from a small LCG seeded by `seed`
// (seed 0: whole, seed 1: one octet at a time).
Run run(std::string_view in, const LineReaderOptions& opts, uint32_t seed) {
  Run r;
  LineReader reader(opts);
  uint32_t state = seed;
  while (!in.empty()) {
    size_t n = in.size();
    if (seed == 1) n = 1;
    else if (seed) n = 1 + (state = state * 1103515245u + 12345u) % 97;
    std::string_view chunk = in.substr(0, n < in.size() ? n : in.size());
    in.remove_prefix(chunk.size());
    while (!chunk.empty()) {
      auto res = reader.feed(chunk);
      FUZZ_CHECK(res.consumed > 0 && res.consumed <= chunk.size());
      r.consumed += res.consumed;
      chunk.remove_prefix(res.consumed);
      if (res.line) r.lines.push_back(std::move(*res.line));
    }
  }
  return r;
}

bool same(const Run& a, const Run& b) {
  if (a.consumed != b.consumed || a.lines.size() != b.lines.size()) return false;
  for (size_t i = 0; i < a.lines.size(); ++i) {
    const Line &x = a.lines[i], &y = b.lines[i];
    if (x.status != y.status || x.text != y.text || x.bare_lf != y.bare_lf) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  LineReaderOptions opts;
  opts.max_line = 2 + (data[0] & 0x3f);  // small limits reach the edge cases often
  opts.bare_lf = data[0] & 0x40 ? BareLf::Reject : BareLf::Accept;
  if (data[0] & 0x80) opts.max_line = 512;
  std::string_view in(reinterpret_cast<const char*>(data + 2), size - 2);

  Run whole = run(in, opts, 0);
  FUZZ_CHECK(whole.consumed == in.size());
  size_t lfs = 0;
  for (char c : in) lfs += c == '\n';
  FUZZ_CHECK(whole.lines.size() == lfs);
  for (const Line& l : whole.lines) {
    FUZZ_CHECK(l.text.size() + 2 <= opts.max_line);
    FUZZ_CHECK(l.text.find('\n') == std::string::npos);
    FUZZ_CHECK(l.status != Line::Status::TooLong || l.text.empty());
    FUZZ_CHECK(l.status != Line::Status::BareLf || (l.bare_lf && opts.bare_lf == BareLf::Reject));
    if (l.status == Line::Status::Ok && opts.bare_lf == BareLf::Reject) FUZZ_CHECK(!l.bare_lf);
  }
  FUZZ_CHECK(same(whole, run(in, opts, 1)));
  FUZZ_CHECK(same(whole, run(in, opts, 2u + data[1])));
  return 0;
}

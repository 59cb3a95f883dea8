// Helpers shared by the smtp_* tests: run a reader over an input cut into
// chunks at chosen positions, so every test can assert that where the network
// happens to split the stream changes nothing.
#pragma once

#include "smtp/data_reader.h"
#include "smtp/line_reader.h"

#include <string>
#include <string_view>
#include <vector>

namespace poolgate {

// Test-only: lines compare by value.
inline bool operator==(const Line& a, const Line& b) {
  return a.status == b.status && a.text == b.text && a.bare_lf == b.bare_lf;
}

}  // namespace poolgate

namespace poolgate::smtp_test {

// Cuts `input` at the given ascending positions.
inline std::vector<std::string_view> split_at(std::string_view input, const std::vector<size_t>& cuts) {
  std::vector<std::string_view> out;
  size_t prev = 0;
  for (size_t c : cuts) {
    out.push_back(input.substr(prev, c - prev));
    prev = c;
  }
  out.push_back(input.substr(prev));
  return out;
}

struct DataRun {
  std::string content;
  size_t consumed = 0;
  bool done = false;
  uint8_t errors = 0;
  uint64_t size = 0;
  bool operator==(const DataRun&) const = default;
};

inline DataRun run_data(std::string_view input, const DataReaderOptions& opts,
                        const std::vector<size_t>& cuts = {}) {
  DataRun r;
  DataReader reader(opts, r.content);
  for (auto chunk : split_at(input, cuts)) {
    size_t used = reader.feed(chunk);
    r.consumed += used;
    if (used < chunk.size()) break;  // done: the rest is not data
  }
  r.done = reader.done();
  r.errors = reader.errors();
  r.size = reader.size();
  return r;
}

struct LineRun {
  std::vector<Line> lines;
  size_t consumed = 0;
};

inline LineRun run_lines(std::string_view input, const LineReaderOptions& opts,
                         const std::vector<size_t>& cuts = {}) {
  LineRun r;
  LineReader reader(opts);
  for (auto chunk : split_at(input, cuts)) {
    while (!chunk.empty()) {
      auto res = reader.feed(chunk);
      r.consumed += res.consumed;
      chunk.remove_prefix(res.consumed);
      if (res.line) r.lines.push_back(std::move(*res.line));
    }
  }
  return r;
}

}  // namespace poolgate::smtp_test

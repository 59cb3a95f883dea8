#include "spool/tlv.h"

namespace poolgate {
namespace {

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

}  // namespace

void TlvWriter::bytes(uint32_t tag, std::string_view value) {
  put_varint(out_, tag);
  put_varint(out_, value.size());
  out_.append(value);
}

void TlvWriter::uint(uint32_t tag, uint64_t value) {
  std::string encoded;
  put_varint(encoded, value);
  bytes(tag, encoded);
}

void TlvWriter::sint(uint32_t tag, int64_t value) {
  uint(tag, (static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63));
}

TlvReader::TlvReader(std::string_view record, uint8_t max_version, const char* what)
    : rest_(record), what_(what) {
  if (rest_.empty()) fail("empty record");
  version_ = static_cast<uint8_t>(rest_[0]);
  rest_.remove_prefix(1);
  if (version_ == 0 || version_ > max_version)
    fail("format version " + std::to_string(version_) + ", this poolgate reads up to " +
         std::to_string(max_version) + " (written by a newer poolgate?)");
}

bool TlvReader::next(uint32_t& tag, std::string_view& value) {
  if (rest_.empty()) return false;
  uint64_t t = varint(rest_);
  uint64_t length = varint(rest_);
  if (t > UINT32_MAX) fail("bad field tag");
  if (length > rest_.size()) fail("field " + std::to_string(t) + " runs past the end");
  tag = static_cast<uint32_t>(t);
  value = rest_.substr(0, length);
  rest_.remove_prefix(length);
  return true;
}

uint64_t TlvReader::as_uint(std::string_view value) const {
  uint64_t v = varint(value);
  if (!value.empty()) fail("trailing bytes after an integer");
  return v;
}

int64_t TlvReader::as_sint(std::string_view value) const {
  uint64_t zigzag = as_uint(value);
  return static_cast<int64_t>(zigzag >> 1) ^ -static_cast<int64_t>(zigzag & 1);
}

uint64_t TlvReader::as_enum(std::string_view value, uint64_t max) const {
  uint64_t v = as_uint(value);
  if (v > max) fail("enum value " + std::to_string(v) + " out of range");
  return v;
}

uint64_t TlvReader::varint(std::string_view& in) const {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (in.empty()) fail("truncated integer");
    auto byte = static_cast<uint8_t>(in[0]);
    in.remove_prefix(1);
    v |= uint64_t{byte & 0x7fu} << shift;
    if (!(byte & 0x80)) return v;
  }
  fail("integer longer than 64 bits");
}

void TlvReader::fail(const std::string& why) const {
  throw RecordError(std::string(what_) + ": " + why);
}

}  // namespace poolgate

// The byte format of the spool's records: a version byte, then fields as
//
//   varint tag | varint length | length bytes
//
// with integers inside a field as varints (signed ones zigzag-encoded) and
// nested records (a recipient inside an envelope) as a field holding another
// field list. Fields at their default value are left out. A reader skips tags
// it does not know, so a field can be added without a version change and an
// older poolgate still reads a newer spool; the version byte changes only when
// an existing field changes meaning, and a reader refuses versions it does not
// know instead of guessing.
//
// Why not JSON: envelope strings are bytes from the network (a sender without
// SMTPUTF8 may still send 8-bit garbage), and nlohmann::json refuses or mangles
// invalid UTF-8; these records keep any bytes exactly, are about a third of the
// size, and decode without a parser. `poolgate spool show` (later) prints them.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace poolgate {

// A record that does not decode: truncated, unknown version, bad enum value.
class RecordError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class TlvWriter {
 public:
  explicit TlvWriter(uint8_t version) { out_.push_back(static_cast<char>(version)); }
  TlvWriter() = default;  // nested record: no version byte

  void bytes(uint32_t tag, std::string_view value);
  void uint(uint32_t tag, uint64_t value);
  void sint(uint32_t tag, int64_t value);
  void nested(uint32_t tag, const TlvWriter& record) { bytes(tag, record.out_); }

  const std::string& data() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

class TlvReader {
 public:
  // A top-level record: checks the version byte against the highest one the
  // caller understands. `what` names the record in error messages.
  TlvReader(std::string_view record, uint8_t max_version, const char* what);
  // A nested record (no version byte).
  TlvReader(std::string_view fields, const char* what) : rest_(fields), what_(what) {}

  uint8_t version() const { return version_; }

  // The next field; false at the end. Throws RecordError on truncation.
  bool next(uint32_t& tag, std::string_view& value);

  uint64_t as_uint(std::string_view value) const;
  int64_t as_sint(std::string_view value) const;
  // An enum stored as uint, checked against its highest value.
  uint64_t as_enum(std::string_view value, uint64_t max) const;

 private:
  uint64_t varint(std::string_view& in) const;
  [[noreturn]] void fail(const std::string& why) const;

  std::string_view rest_;
  const char* what_;
  uint8_t version_ = 0;
};

}  // namespace poolgate

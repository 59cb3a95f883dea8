#include "dns/dns_ttl_scan.h"

#include <algorithm>

namespace poolgate {
namespace {

constexpr uint16_t kTypeSoa = 6;

// A bounds-checked cursor over a DNS message (RFC 1035 4.1).
class Cursor {
 public:
  explicit Cursor(std::span<const unsigned char> message) : message_(message) {}

  // Names are only stepped over, never followed: a compression pointer ends
  // the name where it stands.
  bool skip_name() {
    while (pos_ < message_.size()) {
      unsigned char length = message_[pos_];
      if (length == 0) return skip(1);
      if ((length & 0xC0) == 0xC0) return skip(2);
      if (length & 0xC0) return false;  // 0x40 and 0x80 label types are obsolete or unknown
      if (!skip(1 + length)) return false;
    }
    return false;
  }
  bool skip(size_t count) {
    if (message_.size() - pos_ < count) return false;
    pos_ += count;
    return true;
  }
  bool u16(uint16_t& out) {
    if (message_.size() - pos_ < 2) return false;
    out = static_cast<uint16_t>(message_[pos_] << 8 | message_[pos_ + 1]);
    pos_ += 2;
    return true;
  }
  bool u32(uint32_t& out) {
    uint16_t high = 0, low = 0;
    if (!u16(high) || !u16(low)) return false;
    out = uint32_t{high} << 16 | low;
    return true;
  }
  size_t pos() const { return pos_; }

 private:
  std::span<const unsigned char> message_;
  size_t pos_ = 0;
};

// RFC 2181 8: a TTL with the top bit set is to be read as zero.
uint32_t sane_ttl(uint32_t ttl) { return ttl & 0x80000000u ? 0 : ttl; }

void keep_min(std::optional<uint32_t>& slot, uint32_t value) {
  slot = slot ? std::min(*slot, value) : value;
}

// The fixed part of a resource record, after its owner name.
struct RecordHead {
  uint16_t type = 0, rr_class = 0, rdlength = 0;
  uint32_t ttl = 0;
};

bool read_head(Cursor& cursor, RecordHead& head) {
  return cursor.skip_name() && cursor.u16(head.type) && cursor.u16(head.rr_class) &&
         cursor.u32(head.ttl) && cursor.u16(head.rdlength);
}

// SOA RDATA: MNAME, RNAME, SERIAL, REFRESH, RETRY, EXPIRE, MINIMUM.
std::optional<uint32_t> soa_minimum(Cursor cursor, size_t rdata_end) {
  uint32_t fields[5];
  if (!cursor.skip_name() || !cursor.skip_name()) return std::nullopt;
  for (uint32_t& field : fields)
    if (!cursor.u32(field)) return std::nullopt;
  if (cursor.pos() > rdata_end) return std::nullopt;
  return fields[4];
}

}  // namespace

std::optional<ReplyTtls> scan_ttls(std::span<const unsigned char> message) {
  Cursor cursor(message);
  uint16_t id, flags, questions, answers, authorities, additional;
  if (!cursor.u16(id) || !cursor.u16(flags) || !cursor.u16(questions) || !cursor.u16(answers) ||
      !cursor.u16(authorities) || !cursor.u16(additional))
    return std::nullopt;
  for (uint16_t i = 0; i < questions; ++i)
    if (!cursor.skip_name() || !cursor.skip(4)) return std::nullopt;

  ReplyTtls ttls;
  for (uint32_t i = 0; i < uint32_t{answers} + authorities; ++i) {
    RecordHead head;
    if (!read_head(cursor, head)) return std::nullopt;
    size_t rdata_end = cursor.pos() + head.rdlength;
    uint32_t ttl = sane_ttl(head.ttl);
    if (i < answers) {
      keep_min(ttls.answer, ttl);
    } else if (head.type == kTypeSoa) {
      auto minimum = soa_minimum(cursor, rdata_end);
      if (!minimum) return std::nullopt;
      keep_min(ttls.negative, std::min(ttl, sane_ttl(*minimum)));
    }
    if (!cursor.skip(head.rdlength)) return std::nullopt;
  }
  return ttls;
}

}  // namespace poolgate

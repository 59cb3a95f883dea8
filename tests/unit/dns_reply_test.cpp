// Reply parsing without a server: hand-built DNS messages through the same
// c-ares parsers and TTL scan the Resolver uses. Covers what a real server is
// hard to make send: unsorted MX, a null MX beside other MX, SOA TTL versus
// SOA MINIMUM, TTLs with the top bit set, cut-off messages.
#include "dns/dns_reply_parser.h"
#include "dns/dns_reverse_name.h"
#include "dns/dns_ttl_scan.h"

#include <gtest/gtest.h>

#include <ares.h>

using namespace poolgate;

namespace {

// Builds a reply: one question, then records in the order added. Names are
// written uncompressed, which is always valid.
class Message {
 public:
  Message(const std::string& qname, uint16_t qtype, uint16_t rcode = 0) : rcode_(rcode) {
    question_ = name(qname);
    u16(question_, qtype);
    u16(question_, 1);
  }
  Message& answer(const std::string& owner, uint16_t type, uint32_t ttl,
                  const std::vector<uint8_t>& rdata) {
    add(answers_, owner, type, ttl, rdata);
    ++answer_count_;
    return *this;
  }
  Message& authority(const std::string& owner, uint16_t type, uint32_t ttl,
                     const std::vector<uint8_t>& rdata) {
    add(authority_, owner, type, ttl, rdata);
    ++authority_count_;
    return *this;
  }
  RawReply reply(int ares_status = ARES_SUCCESS) const {
    std::vector<uint8_t> out;
    u16(out, 0x1234);
    u16(out, 0x8180 | rcode_);
    u16(out, 1);
    u16(out, answer_count_);
    u16(out, authority_count_);
    u16(out, 0);
    out.insert(out.end(), question_.begin(), question_.end());
    out.insert(out.end(), answers_.begin(), answers_.end());
    out.insert(out.end(), authority_.begin(), authority_.end());
    return {ares_status, out};
  }

  static std::vector<uint8_t> name(const std::string& text) {
    std::vector<uint8_t> out;
    size_t start = 0;
    while (start < text.size()) {
      size_t dot = text.find('.', start);
      if (dot == std::string::npos) dot = text.size();
      out.push_back(static_cast<uint8_t>(dot - start));
      out.insert(out.end(), text.begin() + start, text.begin() + dot);
      start = dot + 1;
    }
    out.push_back(0);
    return out;
  }
  static void u16(std::vector<uint8_t>& out, uint16_t value) {
    out.push_back(value >> 8);
    out.push_back(value & 0xff);
  }
  static void u32(std::vector<uint8_t>& out, uint32_t value) {
    u16(out, value >> 16);
    u16(out, value & 0xffff);
  }
  static std::vector<uint8_t> mx(uint16_t preference, const std::string& exchange) {
    std::vector<uint8_t> out;
    u16(out, preference);
    auto encoded = name(exchange);
    out.insert(out.end(), encoded.begin(), encoded.end());
    return out;
  }
  static std::vector<uint8_t> soa(uint32_t minimum) {
    std::vector<uint8_t> out = name("ns.example.net");
    auto rname = name("hostmaster.example.net");
    out.insert(out.end(), rname.begin(), rname.end());
    for (uint32_t field : {2024010101u, 7200u, 900u, 1209600u, minimum}) u32(out, field);
    return out;
  }
  static std::vector<uint8_t> txt(const std::vector<std::string>& strings) {
    std::vector<uint8_t> out;
    for (const std::string& s : strings) {
      out.push_back(static_cast<uint8_t>(s.size()));
      out.insert(out.end(), s.begin(), s.end());
    }
    return out;
  }

 private:
  void add(std::vector<uint8_t>& section, const std::string& owner, uint16_t type, uint32_t ttl,
           const std::vector<uint8_t>& rdata) {
    auto encoded = name(owner);
    section.insert(section.end(), encoded.begin(), encoded.end());
    u16(section, type);
    u16(section, 1);
    u32(section, ttl);
    u16(section, static_cast<uint16_t>(rdata.size()));
    section.insert(section.end(), rdata.begin(), rdata.end());
  }

  uint16_t rcode_;
  std::vector<uint8_t> question_, answers_, authority_;
  uint16_t answer_count_ = 0, authority_count_ = 0;
};

constexpr uint16_t kA = 1, kSoa = 6, kMx = 15, kTxt = 16, kAaaa = 28, kCname = 5;

}  // namespace

TEST(DnsReply, MxSortedByPreferenceWithSmallestTtl) {
  RawReply reply = Message("example.org", kMx)
                       .answer("example.org", kMx, 3600, Message::mx(20, "mx2.example.org"))
                       .answer("example.org", kMx, 600, Message::mx(10, "mx1.example.org"))
                       .answer("example.org", kMx, 3600, Message::mx(20, "mx3.example.org"))
                       .reply();
  MxResult result = parse_mx(reply);
  ASSERT_EQ(result.status, Status::Ok);
  ASSERT_EQ(result.records.size(), 3u);
  EXPECT_EQ(result.records[0].exchange, "mx1.example.org");
  EXPECT_EQ(result.records[1].exchange, "mx2.example.org");  // equal preference: server order
  EXPECT_EQ(result.records[2].exchange, "mx3.example.org");
  EXPECT_EQ(result.ttl, 600u);
  EXPECT_FALSE(result.null_mx);
}

TEST(DnsReply, NullMxIsFlaggedAndKeepsItsRecord) {
  MxResult result = parse_mx(
      Message("example.org", kMx).answer("example.org", kMx, 300, Message::mx(0, "")).reply());
  ASSERT_EQ(result.status, Status::Ok);
  EXPECT_TRUE(result.null_mx);
  ASSERT_EQ(result.records.size(), 1u);
  EXPECT_EQ(result.records[0].exchange, ".");
}

TEST(DnsReply, RootExchangeBesideOtherMxIsNotANullMx) {
  // RFC 7505 3: a null MX must be the only MX; anything else is a broken
  // record set, not a declaration that the domain takes no mail.
  MxResult result = parse_mx(Message("example.org", kMx)
                                 .answer("example.org", kMx, 300, Message::mx(0, ""))
                                 .answer("example.org", kMx, 300, Message::mx(10, "mx.example.org"))
                                 .reply());
  EXPECT_FALSE(result.null_mx);
  EXPECT_EQ(result.records.size(), 2u);
  // Preference 0 with a real exchange is an ordinary MX too.
  EXPECT_FALSE(parse_mx(Message("example.org", kMx)
                            .answer("example.org", kMx, 300, Message::mx(0, "mx.example.org"))
                            .reply())
                   .null_mx);
}

TEST(DnsReply, AddressesCarryTheirTtls) {
  AddressResult v4 = parse_a(Message("host.example.org", kA)
                                 .answer("host.example.org", kA, 300, {198, 51, 100, 7})
                                 .answer("host.example.org", kA, 60, {203, 0, 113, 7})
                                 .reply());
  ASSERT_EQ(v4.status, Status::Ok);
  ASSERT_EQ(v4.records.size(), 2u);
  EXPECT_EQ(v4.records[0].address.to_string(), "198.51.100.7");
  EXPECT_EQ(v4.records[0].ttl, 300u);
  EXPECT_EQ(v4.records[1].ttl, 60u);
  EXPECT_EQ(v4.ttl, 60u);

  std::vector<uint8_t> v6_bytes(16, 0);
  v6_bytes[0] = 0x20, v6_bytes[1] = 0x01, v6_bytes[2] = 0x0d, v6_bytes[3] = 0xb8, v6_bytes[15] = 7;
  AddressResult v6 = parse_aaaa(
      Message("host.example.org", kAaaa).answer("host.example.org", kAaaa, 900, v6_bytes).reply());
  ASSERT_EQ(v6.status, Status::Ok);
  ASSERT_EQ(v6.records.size(), 1u);
  EXPECT_EQ(v6.records[0].address.to_string(), "2001:db8::7");
  EXPECT_EQ(v6.ttl, 900u);
}

TEST(DnsReply, CnameChainCapsTheTtl) {
  AddressResult result =
      parse_a(Message("alias.example.org", kA)
                  .answer("alias.example.org", kCname, 30, Message::name("host.example.org"))
                  .answer("host.example.org", kA, 3600, {198, 51, 100, 7})
                  .reply());
  ASSERT_EQ(result.status, Status::Ok);
  EXPECT_EQ(result.ttl, 30u);
  ASSERT_EQ(result.records.size(), 1u);
  EXPECT_EQ(result.records[0].ttl, 30u);
}

TEST(DnsReply, CnameWithoutTargetRecordsIsNoData) {
  AddressResult result =
      parse_a(Message("alias.example.org", kA)
                  .answer("alias.example.org", kCname, 30, Message::name("host.example.org"))
                  .reply());
  EXPECT_EQ(result.status, Status::NoData);
  EXPECT_TRUE(result.records.empty());
}

TEST(DnsReply, TxtJoinsCharacterStringsPerRecord) {
  TxtResult result = parse_txt(
      Message("example.org", kTxt)
          .answer("example.org", kTxt, 300, Message::txt({"v=DKIM1; k=rsa; p=MIIB", "IjANBgkq"}))
          .answer("example.org", kTxt, 300, Message::txt({"v=spf1 -all"}))
          .reply());
  ASSERT_EQ(result.status, Status::Ok);
  ASSERT_EQ(result.records.size(), 2u);
  EXPECT_EQ(result.records[0], "v=DKIM1; k=rsa; p=MIIBIjANBgkq");
  EXPECT_EQ(result.records[1], "v=spf1 -all");
}

TEST(DnsReply, NegativeTtlIsTheSmallerOfSoaTtlAndMinimum) {
  // RFC 2308 5: min(SOA TTL, SOA MINIMUM), whichever is smaller.
  RawReply nx = Message("nope.example.org", kA, 3)
                    .authority("example.org", kSoa, 600, Message::soa(60))
                    .reply(ARES_ENOTFOUND);
  AddressResult result = parse_a(nx);
  EXPECT_EQ(result.status, Status::NxDomain);
  EXPECT_EQ(result.ttl, 60u);

  RawReply nodata = Message("example.org", kMx)
                        .authority("example.org", kSoa, 30, Message::soa(3600))
                        .reply(ARES_ENODATA);
  MxResult empty = parse_mx(nodata);
  EXPECT_EQ(empty.status, Status::NoData);
  EXPECT_EQ(empty.ttl, 30u);
}

TEST(DnsReply, NegativeAnswerWithoutSoaHasNoTtl) {
  AddressResult result = parse_a(Message("nope.example.org", kA, 3).reply(ARES_ENOTFOUND));
  EXPECT_EQ(result.status, Status::NxDomain);
  EXPECT_FALSE(result.ttl.has_value());
}

TEST(DnsReply, TtlWithTopBitSetReadsAsZero) {
  // RFC 2181 8.
  auto ttls = scan_ttls(Message("example.org", kA)
                            .answer("example.org", kA, 0x80000010u, {198, 51, 100, 1})
                            .reply()
                            .message);
  ASSERT_TRUE(ttls);
  EXPECT_EQ(ttls->answer, 0u);
}

TEST(DnsReply, CutOffMessageIsMalformed) {
  RawReply reply = Message("example.org", kMx)
                       .answer("example.org", kMx, 300, Message::mx(10, "mx.example.org"))
                       .reply();
  for (size_t keep : {size_t{5}, size_t{20}, reply.message.size() - 3}) {
    RawReply cut = reply;
    cut.message.resize(keep);
    MxResult result = parse_mx(cut);
    EXPECT_EQ(result.status, Status::Malformed) << "cut to " << keep;
    EXPECT_FALSE(result.detail.empty());
    EXPECT_TRUE(result.records.empty());
  }
}

TEST(DnsReply, FailuresToGetAnAnswerAreTempFail) {
  for (int status : {ARES_ETIMEOUT, ARES_ESERVFAIL, ARES_EREFUSED, ARES_ECONNREFUSED, ARES_EFORMERR,
                     ARES_ENOTIMP, ARES_EDESTRUCTION, ARES_ECANCELLED}) {
    EXPECT_EQ(status_of(status), Status::TempFail) << ares_strerror(status);
    MxResult result = parse_mx(RawReply{status, {}});
    EXPECT_EQ(result.status, Status::TempFail);
    EXPECT_FALSE(result.detail.empty());
  }
  EXPECT_EQ(status_of(ARES_ENOTFOUND), Status::NxDomain);
  EXPECT_EQ(status_of(ARES_ENODATA), Status::NoData);
  EXPECT_EQ(status_of(ARES_EBADRESP), Status::Malformed);
  EXPECT_EQ(status_of(ARES_EBADNAME), Status::Malformed);
}

TEST(DnsReply, ReverseNames) {
  using boost::asio::ip::make_address;
  EXPECT_EQ(reverse_name(make_address("198.51.100.7")), "7.100.51.198.in-addr.arpa");
  EXPECT_EQ(reverse_name(make_address("::ffff:198.51.100.7")), "7.100.51.198.in-addr.arpa");
  EXPECT_EQ(reverse_name(make_address("2001:db8::7")),
            "7.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
}

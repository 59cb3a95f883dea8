// The spool's byte formats and queue ids, without a database: every envelope
// field survives encoding (bytes exactly, not just UTF-8), old readers skip
// new fields, damaged or newer records are refused by name, and queue ids are
// unique, fixed-length and sorted by issue time even when the clock steps back.
#include "spool/queue_id.h"
#include "spool/records.h"
#include "spool/tlv.h"
#include "spool_test_support.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <thread>

using namespace poolgate;

namespace {

Envelope every_field() {
  Envelope e = spool_test::sample_envelope(3);
  e.sender = std::string("s\xff\x00nd\xc3", 7) + "@example.org";  // not UTF-8, with a NUL
  e.recipients[1].notify = kNotifyNever;
  e.recipients[2].notify = kNotifyDefault;
  e.recipients[2].orcpt = "";
  e.recipients[0].address = "";  // still a recipient
  e.ret = DsnRet::Full;
  e.envid = "QQ+2Bxtext";
  e.smtputf8 = true;
  e.body_8bitmime = true;
  e.client_address = "2001:db8::25";
  e.client_helo = "[2001:db8::25]";
  e.tls = true;
  e.tls_cipher = "TLS_AES_256_GCM_SHA384";
  e.auth_user = "alice";
  e.received_unix = -5;  // signed: zigzag
  e.size = 1ull << 40;
  e.pool = "high-risk";
  e.reasons = {"ndr:null-sender", "sender-domain:no-a-no-mx nowhere.example"};
  e.hold_for_dns = true;
  return e;
}

void expect_same_fixed_fields(const Envelope& a, const Envelope& b) {
  EXPECT_EQ(a.sender, b.sender);
  ASSERT_EQ(a.recipients.size(), b.recipients.size());
  for (size_t i = 0; i < a.recipients.size(); ++i) {
    EXPECT_EQ(a.recipients[i].address, b.recipients[i].address) << i;
    EXPECT_EQ(a.recipients[i].notify, b.recipients[i].notify) << i;
    EXPECT_EQ(a.recipients[i].orcpt, b.recipients[i].orcpt) << i;
  }
  EXPECT_EQ(a.ret, b.ret);
  EXPECT_EQ(a.envid, b.envid);
  EXPECT_EQ(a.smtputf8, b.smtputf8);
  EXPECT_EQ(a.body_8bitmime, b.body_8bitmime);
  EXPECT_EQ(a.client_address, b.client_address);
  EXPECT_EQ(a.client_helo, b.client_helo);
  EXPECT_EQ(a.tls, b.tls);
  EXPECT_EQ(a.tls_cipher, b.tls_cipher);
  EXPECT_EQ(a.auth_user, b.auth_user);
  EXPECT_EQ(a.received_unix, b.received_unix);
  EXPECT_EQ(a.size, b.size);
  EXPECT_EQ(a.pool, b.pool);
  EXPECT_EQ(a.reasons, b.reasons);
  EXPECT_EQ(a.hold_for_dns, b.hold_for_dns);
}

}  // namespace

TEST(SpoolRecords, EnvelopeRoundTripKeepsEveryFieldAndByte) {
  Envelope e = every_field();
  EnvelopeRecord back = decode_envelope(encode_envelope(e, 7));
  expect_same_fixed_fields(e, back.envelope);
  EXPECT_EQ(back.content_chunks, 7u);
}

TEST(SpoolRecords, DefaultEnvelopeIsTiny) {
  Envelope e;
  e.recipients.push_back({});
  std::string record = encode_envelope(e, 0);
  EXPECT_LE(record.size(), 6u);  // version + one recipient holding an empty address
  expect_same_fixed_fields(e, decode_envelope(record).envelope);
}

TEST(SpoolRecords, StatusRoundTrip) {
  RecipientStatus s{RecipientState::Deferred, "451 4.7.1 try later", 3, 1760000123, "policy"};
  EXPECT_EQ(decode_status(encode_status(s)), s);
  EXPECT_EQ(decode_status(encode_status({})), RecipientStatus{});
}

TEST(SpoolRecords, StatusWithoutClassFromAnOlderPoolgate) {
  // Written before the reply class existed: tags 1-4 only. It decodes with
  // no class; no migration.
  TlvWriter w(1);
  w.uint(1, uint64_t(RecipientState::Failed));
  w.bytes(2, "550 5.1.1 no such user");
  w.uint(3, 1);
  RecipientStatus s = decode_status(w.take());
  EXPECT_EQ(s.state, RecipientState::Failed);
  EXPECT_EQ(s.last_reply, "550 5.1.1 no such user");
  EXPECT_EQ(s.last_class, "");
  // And the class is its own field, tag 5, which older readers skip.
  RecipientStatus with{RecipientState::Failed, "550 5.1.1 no such user", 1, 0, "invalid-recipient"};
  std::string record = encode_status(with);
  EXPECT_NE(record.find("invalid-recipient"), std::string::npos);
  EXPECT_EQ(decode_status(record).last_class, "invalid-recipient");
}

TEST(SpoolRecords, UnknownFieldsAreSkipped) {
  // A newer poolgate adds tag 99 to the envelope and tag 50 to a recipient.
  TlvWriter recipient;
  recipient.bytes(1, "a@example.net");
  recipient.bytes(50, "future");
  TlvWriter w(1);
  w.bytes(1, "s@example.org");
  w.nested(2, recipient);
  w.uint(99, 12345);
  EnvelopeRecord r = decode_envelope(w.take());
  EXPECT_EQ(r.envelope.sender, "s@example.org");
  ASSERT_EQ(r.envelope.recipients.size(), 1u);
  EXPECT_EQ(r.envelope.recipients[0].address, "a@example.net");
}

TEST(SpoolRecords, DamagedAndNewerRecordsAreRefusedByName) {
  std::string good = encode_envelope(every_field(), 1);
  EXPECT_THROW(decode_envelope(""), RecordError);
  for (size_t cut : {good.size() - 1, good.size() / 2, size_t{3}})
    EXPECT_THROW(decode_envelope(good.substr(0, cut)), RecordError) << cut;
  std::string newer = good;
  newer[0] = 2;
  try {
    decode_envelope(newer);
    FAIL();
  } catch (const RecordError& e) {
    EXPECT_NE(std::string(e.what()).find("newer poolgate"), std::string::npos) << e.what();
  }
  TlvWriter bad_state(1);
  bad_state.uint(1, 9);  // RecipientState has 4 values
  EXPECT_THROW(decode_status(bad_state.take()), RecordError);
}

TEST(QueueId, HundredThousandUniqueSortedFixedLength) {
  QueueIdGenerator gen;
  std::vector<std::string> ids;
  for (int i = 0; i < 100000; ++i) ids.push_back(gen.next());
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size());
  for (const auto& id : ids) {
    ASSERT_EQ(id.size(), kQueueIdLength);
    ASSERT_TRUE(QueueIdGenerator::micros_of(id)) << id;
  }
}

TEST(QueueId, UniqueAcrossThreads) {
  QueueIdGenerator gen;
  std::vector<std::vector<std::string>> per(4);
  std::vector<std::thread> threads;
  for (auto& v : per)
    threads.emplace_back([&gen, &v] {
      for (int i = 0; i < 25000; ++i) v.push_back(gen.next());
    });
  for (auto& t : threads) t.join();
  std::set<std::string> all;
  for (auto& v : per) {
    EXPECT_TRUE(std::is_sorted(v.begin(), v.end()));
    all.insert(v.begin(), v.end());
  }
  EXPECT_EQ(all.size(), 100000u);
}

TEST(QueueId, CarriesTheTimeAndSurvivesAClockStepBack) {
  uint64_t now = 1'760'000'000'000'000;
  QueueIdGenerator gen(0, [&now] { return now; });
  std::string first = gen.next();
  EXPECT_EQ(QueueIdGenerator::micros_of(first), now);
  now -= 60'000'000;  // NTP steps the clock a minute back
  std::string later = gen.next();
  EXPECT_GT(later, first);
  // 5000 ids in one frozen microsecond overflow the 12-bit sequence and
  // borrow the next microsecond, still strictly increasing.
  std::string previous = later;
  for (int i = 0; i < 5000; ++i) {
    std::string id = gen.next();
    ASSERT_GT(id, previous);
    previous = id;
  }
}

TEST(QueueId, FloorFromAnEarlierRunIsNeverUndercut) {
  uint64_t clock = 1'000;
  QueueIdGenerator before(0, [&clock] { return clock; });
  std::string old_id = before.next();
  // Restart with a clock that is behind the last run's ids.
  QueueIdGenerator after(*QueueIdGenerator::micros_of(old_id), [] { return uint64_t{10}; });
  EXPECT_GT(after.next(), old_id);
  after.raise_floor(5'000);
  EXPECT_GT(QueueIdGenerator::micros_of(after.next()), 5'000u);
}

TEST(QueueId, MalformedIdsAreRecognised) {
  EXPECT_FALSE(QueueIdGenerator::micros_of(""));
  EXPECT_FALSE(QueueIdGenerator::micros_of("0123456789ABCDEI"));  // I is not in the alphabet
  EXPECT_FALSE(QueueIdGenerator::micros_of("0123456789ABCDE"));
  EXPECT_TRUE(QueueIdGenerator::micros_of("0123456789ABCDEF"));
}

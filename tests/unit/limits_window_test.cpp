// SlidingWindow: rolling over minute, hour and day boundaries with bounded
// memory; SenderState records round-trip.
#include "limits/sender_state.h"
#include "limits/sliding_window.h"
#include "limits_test_support.h"
#include "spool/tlv.h"

#include <gtest/gtest.h>

namespace poolgate {
namespace {

using limits_test::kMidnight;

TEST(LimitsWindow, HourWindowForgetsAfterSixtyMinuteBuckets) {
  SlidingWindow hour(3600, 60);
  hour.add(kMidnight + 10, 5);        // 00:00:10, bucket 00:00
  hour.add(kMidnight + 1800, 3);      // 00:30
  EXPECT_EQ(hour.count(kMidnight + 1800), 8u);
  // The 00:00 bucket is in the window until 00:59:59 and gone at 01:00:00.
  EXPECT_EQ(hour.count(kMidnight + 3599), 8u);
  EXPECT_EQ(hour.count(kMidnight + 3600), 3u);
  EXPECT_EQ(hour.count(kMidnight + 1800 + 3600), 0u);
  EXPECT_TRUE(hour.expire(kMidnight + 1800 + 3600));
}

TEST(LimitsWindow, DayWindowRollsOverMidnightHourByHour) {
  SlidingWindow day(86400, 3600);
  day.add(kMidnight - 3600 + 5, 100);  // 23:00:05 the day before
  day.add(kMidnight + 7200, 50);       // 02:00
  EXPECT_EQ(day.count(kMidnight + 7200), 150u);
  EXPECT_EQ(day.count(kMidnight + 86400 - 3601), 150u);  // 22:59:59: still inside
  EXPECT_EQ(day.count(kMidnight + 86400 - 3600), 50u);   // 23:00 next day: first hour gone
  EXPECT_EQ(day.count(kMidnight + 86400 + 7200), 0u);
}

TEST(LimitsWindow, MinuteWindowWithSecondBuckets) {
  SlidingWindow minute(60, 1);
  for (int s = 0; s < 60; ++s) minute.add(kMidnight + s);
  EXPECT_EQ(minute.count(kMidnight + 59), 60u);
  EXPECT_EQ(minute.count(kMidnight + 60), 59u);   // second 0 left
  EXPECT_EQ(minute.count(kMidnight + 90), 29u);
  EXPECT_LE(minute.buckets().size(), 60u);
}

TEST(LimitsWindow, MemoryStaysBoundedUnderLoad) {
  SlidingWindow hour(3600, 60);
  for (int s = 0; s < 3 * 3600; s += 7) hour.add(kMidnight + s);
  EXPECT_LE(hour.buckets().size(), 60u);
}

TEST(LimitsWindow, ClockStepBackStillCountsInNewestBucket) {
  SlidingWindow hour(3600, 60);
  hour.add(kMidnight + 600);
  hour.add(kMidnight + 100);  // NTP stepped back
  EXPECT_EQ(hour.count(kMidnight + 600), 2u);
  EXPECT_EQ(hour.buckets().size(), 1u);
}

TEST(LimitsWindow, RestoreKeepsNewestWithinCapacity) {
  SlidingWindow minute(60, 1);
  std::vector<std::pair<int64_t, uint64_t>> many;
  for (int64_t i = 0; i < 100; ++i) many.emplace_back(i, 1);
  minute.restore(many);
  EXPECT_EQ(minute.buckets().size(), 60u);
  EXPECT_EQ(minute.buckets().front().first, 40);
}

TEST(LimitsWindow, SenderStateRoundTrips) {
  SenderState s;
  s.external_hour.add(kMidnight + 30, 400);
  s.external_hour.add(kMidnight + 1000, 101);
  s.internal_hour.add(kMidnight + 30, 7);
  s.recipients_day.add(kMidnight + 30, 508);
  s.messages_minute.add(kMidnight + 30, 2);
  // Compact: the counts of an hour's activity take a few dozen bytes (the
  // reason strings added below are most of a blocked sender's record).
  EXPECT_LT(encode_sender_state(s).size(), 64u);
  s.blocked_until = kBlockedUntilRelease;
  s.blocked_since = kMidnight + 1000;
  s.block_reasons = "limit:external-per-hour 501>500";
  s.last_exceeded_unix = kMidnight + 1000;
  s.times_exceeded = 3;
  s.last_reasons = s.block_reasons;
  std::string record = encode_sender_state(s);
  SenderState back = decode_sender_state(record);
  EXPECT_EQ(back.external_hour.buckets(), s.external_hour.buckets());
  EXPECT_EQ(back.internal_hour.buckets(), s.internal_hour.buckets());
  EXPECT_EQ(back.recipients_day.buckets(), s.recipients_day.buckets());
  EXPECT_EQ(back.messages_minute.buckets(), s.messages_minute.buckets());
  EXPECT_EQ(back.blocked_until, kBlockedUntilRelease);
  EXPECT_EQ(back.blocked_since, s.blocked_since);
  EXPECT_EQ(back.block_reasons, s.block_reasons);
  EXPECT_EQ(back.times_exceeded, 3u);
  EXPECT_EQ(back.last_reasons, s.last_reasons);
  EXPECT_EQ(encode_sender_state(SenderState{}).size(), 1u);  // only the version byte
}

TEST(LimitsWindow, GarbageRecordIsARecordError) {
  EXPECT_THROW(decode_sender_state(std::string("\x09\x01", 2)), RecordError);
  EXPECT_THROW(decode_sender_state(std::string("\x01\x0a\x05", 3)), RecordError);
}

TEST(LimitsWindow, SenderKeyPrefersAuthUserAndFoldsCase) {
  EXPECT_EQ(sender_key("Bob", "x@y.example"), "bob");
  EXPECT_EQ(sender_key("", "Spammer@X.Example"), "spammer@x.example");
  EXPECT_EQ(sender_key("", ""), "");
}

}  // namespace
}  // namespace poolgate

#include "chat/core/room_log.h"

#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace chat {
namespace {

using ::testing::ElementsAre;

std::shared_ptr<Event> Chat(std::string text) {
  return MakeEvent(Event::Kind::kChat, absl::UnixEpoch(), "n", std::move(text));
}
std::shared_ptr<Event> Join(std::string name) {
  return MakeEvent(Event::Kind::kJoin, absl::UnixEpoch(), std::move(name));
}

std::vector<std::string> Texts(const EventSpan& span) {
  std::vector<std::string> texts;
  span.ForEach([&](const Event& e) { texts.push_back(e.text.empty() ? e.name : e.text); });
  return texts;
}

RoomLogOptions Unbounded() { return RoomLogOptions{0, 1000, 0}; }

TEST(RoomLogTest, EventsGetConsecutiveSequenceNumbersFromOne) {
  RoomLog log(Unbounded());
  EXPECT_EQ(log.end_seq(), 1u);
  log.Append(Chat("a"));
  log.Append(Chat("b"));
  EXPECT_EQ(log.first_seq(), 1u);
  EXPECT_EQ(log.end_seq(), 3u);
  bool lost = true;
  EventSpan span = log.Read(1, UINT64_MAX, 100, &lost);
  EXPECT_FALSE(lost);
  EXPECT_THAT(Texts(span), ElementsAre("a", "b"));
  span.ForEach([](const Event& e) { EXPECT_TRUE(e.seq == 1 || e.seq == 2); });
}

TEST(RoomLogTest, ReadRespectsCursorLimitAndMaximumAcrossBlocks) {
  RoomLog log(Unbounded());
  for (int i = 1; i <= 200; ++i) log.Append(Chat(std::to_string(i)));
  bool lost = false;
  EventSpan span = log.Read(60, UINT64_MAX, 10, &lost);
  EXPECT_THAT(Texts(span), ElementsAre("60", "61", "62", "63", "64", "65", "66", "67", "68", "69"));
  span = log.Read(190, 195, 100, &lost);
  EXPECT_THAT(Texts(span), ElementsAre("190", "191", "192", "193", "194"));
  span = log.Read(201, UINT64_MAX, 100, &lost);
  EXPECT_TRUE(span.empty());
  EXPECT_EQ(span.begin, 201u);
}

TEST(RoomLogTest, RetentionDropsWholeOldBlocksButKeepsTheBound) {
  const size_t charge = Chat("xxxxxxxxxx")->charge();
  // History no longer than what the blocks hold: nothing is archived (see below).
  RoomLog log(RoomLogOptions{100 * charge, 50, 0});
  for (int i = 0; i < 1000; ++i) log.Append(Chat("xxxxxxxxxx"));
  EXPECT_GE(log.bytes(), 100 * charge);
  EXPECT_LE(log.bytes(), 100 * charge + EventBlock::kSize * charge);
  EXPECT_EQ(log.first_seq() % EventBlock::kSize, 1u);  // block-aligned
  bool lost = false;
  log.Read(1, UINT64_MAX, 10, &lost);
  EXPECT_TRUE(lost);
  log.Read(log.first_seq(), UINT64_MAX, 10, &lost);
  EXPECT_FALSE(lost);
}

TEST(RoomLogTest, ReadersKeepTheirBlocksAfterTheLogDropsThem) {
  const size_t charge = Chat("x")->charge();
  RoomLog log(RoomLogOptions{10 * charge, 1000, 0});
  for (int i = 0; i < 70; ++i) log.Append(Chat("x"));
  bool lost = false;
  EventSpan held = log.Read(log.first_seq(), UINT64_MAX, 5, &lost);
  for (int i = 0; i < 500; ++i) log.Append(Chat("y"));
  EXPECT_GT(log.first_seq(), held.end);  // dropped by the log ...
  EXPECT_THAT(Texts(held), ElementsAre("x", "x", "x", "x", "x"));  // ... alive for us
}

TEST(RoomLogTest, HistoryStartSkipsNoticesAndHonoursLinesAndBytes) {
  RoomLog log(RoomLogOptions{0, 2, 0});
  log.Append(Chat("1"));
  log.Append(Join("j"));
  log.Append(Chat("2"));
  log.Append(Join("k"));
  log.Append(Chat("3"));
  log.Append(Join("l"));
  EXPECT_EQ(log.HistoryStart(), 3u);  // "2" and "3", the newest two lines
  RoomLog bytes(RoomLogOptions{0, 100, 2 * Chat("1")->charge()});
  for (const char* t : {"1", "2", "3"}) bytes.Append(Chat(t));
  EXPECT_EQ(bytes.HistoryStart(), 2u);
  RoomLog none(RoomLogOptions{0, 0, 0});
  none.Append(Chat("1"));
  EXPECT_EQ(none.HistoryStart(), none.end_seq());
  RoomLog notices(Unbounded());
  notices.Append(Join("j"));
  EXPECT_EQ(notices.HistoryStart(), notices.end_seq());
  EXPECT_FALSE(notices.has_history());
}

TEST(RoomLogTest, HistoryStartScansManyBlocks) {
  RoomLog log(Unbounded());
  for (int i = 0; i < 1000; ++i) log.Append(i % 3 == 0 ? Chat("c") : Join("j"));
  RoomLog limited(RoomLogOptions{0, 100, 0});
  for (int i = 0; i < 1000; ++i) limited.Append(i % 3 == 0 ? Chat("c") : Join("j"));
  bool lost = false;
  size_t lines = 0;
  limited.Read(limited.HistoryStart(), UINT64_MAX, 10000, &lost).ForEach([&](const Event& e) {
    lines += e.is_history();
  });
  EXPECT_EQ(lines, 100u);
  EXPECT_EQ(log.HistoryStart(), 1u);
}

// What a joiner is replayed, read `chunk` events at a time as a writer does.
std::vector<std::string> Replay(const RoomLog& log, size_t chunk) {
  std::vector<std::string> texts;
  for (uint64_t seq = log.HistoryStart(); seq < log.end_seq();) {
    const EventSpan span = log.ReadHistory(seq, log.end_seq(), chunk);
    if (span.empty()) break;
    span.ForEach([&](const Event& e) {
      if (e.is_history()) texts.push_back(e.text);
    });
    seq = span.end;
  }
  return texts;
}

TEST(RoomLogTest, NoticesNeverPushHistoryOut) {
  // Room for a few blocks of notices: a /join-hopping client makes two per hop.
  const size_t notice = Join("hopper")->charge();
  RoomLog log(RoomLogOptions{notice * EventBlock::kSize * 3, 10, 0});
  for (const char* text : {"one", "two", "three"}) log.Append(Chat(text));
  for (int i = 0; i < 20000; ++i) log.Append(Join("hopper"));
  EXPECT_GT(log.first_seq(), 4u);  // the lines' blocks are gone from the log itself
  EXPECT_THAT(Replay(log, 2), ElementsAre("one", "two", "three"));
  EXPECT_THAT(Replay(log, 1000), ElementsAre("one", "two", "three"));
  // Memory stays bounded: the retained blocks plus the archived lines.
  EXPECT_LE(log.bytes(), notice * EventBlock::kSize * 5 + 3 * Chat("three")->charge());
  EXPECT_TRUE(log.has_history());
  // Live readers still see what they missed as lost.
  bool lost = false;
  log.Read(1, UINT64_MAX, 10, &lost);
  EXPECT_TRUE(lost);
}

TEST(RoomLogTest, ArchivedHistoryKeepsToTheLineAndByteBounds) {
  const size_t notice = Join("j")->charge();
  RoomLog lines(RoomLogOptions{notice * EventBlock::kSize, 3, 0});
  RoomLog bytes(RoomLogOptions{notice * EventBlock::kSize, 100, 2 * Chat("5")->charge()});
  for (int i = 0; i < 10; ++i) {
    for (RoomLog* log : {&lines, &bytes}) {
      log->Append(Chat(std::to_string(i)));
      for (int j = 0; j < 500; ++j) log->Append(Join("j"));
    }
  }
  EXPECT_THAT(Replay(lines, 1), ElementsAre("7", "8", "9"));
  EXPECT_THAT(Replay(bytes, 1), ElementsAre("8", "9"));
  EXPECT_LE(lines.bytes(), notice * EventBlock::kSize * 3 + 3 * Chat("9")->charge());
  EXPECT_LE(bytes.bytes(), notice * EventBlock::kSize * 3 + 2 * Chat("9")->charge());
}

TEST(RoomLogTest, WithoutHistoryNothingIsArchived) {
  RoomLog log(RoomLogOptions{Join("j")->charge() * EventBlock::kSize, 0, 0});
  log.Append(Chat("gone"));
  for (int i = 0; i < 1000; ++i) log.Append(Join("j"));
  EXPECT_FALSE(log.has_history());
  EXPECT_THAT(Replay(log, 10), ElementsAre());
}

TEST(RoomLogTest, TrimOldestDropsArchivedLinesFirst) {
  const size_t notice = Join("j")->charge();
  RoomLog log(RoomLogOptions{notice * EventBlock::kSize, 10, 0});
  log.Append(Chat("old"));
  log.Append(Chat("older-kept"));
  for (int i = 0; i < 1000; ++i) log.Append(Join("j"));
  log.Append(Chat("new"));
  const size_t before = log.bytes();
  EXPECT_EQ(log.TrimOldest(1), Chat("old")->charge());
  EXPECT_EQ(log.bytes(), before - Chat("old")->charge());
  EXPECT_THAT(Replay(log, 10), ElementsAre("older-kept", "new"));
  log.TrimOldest(SIZE_MAX);
  EXPECT_THAT(Replay(log, 10), ElementsAre("new"));
}

TEST(RoomLogTest, LagIsCountedInBytesFromTheCursor) {
  RoomLog log(Unbounded());
  const size_t a = log.Append(Chat("aaaa"));
  const size_t b = log.Append(Chat("bb"));
  EXPECT_EQ(log.LagBytes(1), a + b);
  EXPECT_EQ(log.LagBytes(2), b);
  EXPECT_EQ(log.LagBytes(3), 0u);
  RoomLog small(RoomLogOptions{Chat("x")->charge(), 10, 0});
  for (int i = 0; i < 200; ++i) small.Append(Chat("x"));
  EXPECT_EQ(small.LagBytes(1), std::numeric_limits<uint64_t>::max());
}

TEST(RoomLogTest, TrimOldestKeepsTheNewestBlock) {
  RoomLog log(Unbounded());
  for (int i = 0; i < 200; ++i) log.Append(Chat("x"));
  const size_t before = log.bytes();
  const size_t freed = log.TrimOldest(SIZE_MAX);
  EXPECT_EQ(log.bytes(), before - freed);
  EXPECT_EQ(log.first_seq(), 1u + 3 * EventBlock::kSize);
  EXPECT_TRUE(log.has_history());
}

}  // namespace
}  // namespace chat

#include "chat/core/room.h"

#include <atomic>
#include <cctype>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace chat {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class CountingWaker : public Waker {
 public:
  void Wake() override { wakes.fetch_add(1); }
  std::atomic<int> wakes = 0;
};

// A member plus a miniature of a session's writer: it reads the room from its cursor
// the way Session::WriteLoop does, skipping its own events.
class Reader : public RoomMember {
 public:
  Reader(Room& room, uint64_t id, std::string name = "fake", size_t lag_limit = 0)
      : room_(room), id_(id), name_(std::move(name)), lag_limit_(lag_limit) {}

  void Join() {
    position_ = room_.Join(id_, this, waker_, lag_limit_, Notice(Event::Kind::kJoin));
    cursor_ = position_.live_from;
  }
  void Leave() { room_.Leave(position_.membership, Notice(Event::Kind::kLeave)); }
  void Say(std::string text) {
    room_.Post(MakeEvent(Event::Kind::kChat, absl::UnixEpoch(), name_, std::move(text), id_),
               position_.membership.get());
  }

  // What the join replayed.
  std::vector<std::string> History() const {
    std::vector<std::string> lines;
    room_.ReadHistory(position_.history_from, position_.live_from, SIZE_MAX)
        .ForEach([&](const Event& e) {
          if (e.is_history()) lines.push_back(e.text);
        });
    return lines;
  }
  // Everything new since the last call, as "text" for lines and "+name"/"-name" for
  // joins and leaves.
  std::vector<std::string> Live() {
    std::vector<std::string> got;
    bool lost = false;
    const EventSpan span = room_.Read(*position_.membership, cursor_, SIZE_MAX, &lost);
    EXPECT_FALSE(lost);
    span.ForEach([&](const Event& e) {
      if (e.origin == id_) {
        own_bytes_ += e.charge();
        return;
      }
      switch (e.kind) {
        case Event::Kind::kJoin: got.push_back("+" + e.name); break;
        case Event::Kind::kLeave: got.push_back("-" + e.name); break;
        default: got.push_back(e.text);
      }
    });
    cursor_ = span.end;
    position_.membership->set_delivered(cursor_, own_bytes_);
    return got;
  }

  std::string DisplayName() const override { return name_; }
  void OnFellBehind() override { fell_behind.store(true); }

  const JoinPosition& position() const { return position_; }
  uint64_t cursor() const { return cursor_; }
  std::shared_ptr<CountingWaker> waker_ = std::make_shared<CountingWaker>();
  std::atomic<bool> fell_behind = false;

 private:
  std::shared_ptr<Event> Notice(Event::Kind kind) {
    return MakeEvent(kind, absl::UnixEpoch(), name_, {}, id_);
  }
  Room& room_;
  const uint64_t id_;
  const std::string name_;
  const size_t lag_limit_;
  JoinPosition position_;
  uint64_t cursor_ = 0;
  uint64_t own_bytes_ = 0;
};

RoomOptions Lines(size_t history_lines) {
  RoomOptions options;
  options.log = RoomLogOptions{0, history_lines, 0};
  return options;
}

TEST(RoomTest, JoinReplaysHistoryThenNotifiesOthers) {
  Room room("general", Lines(10));
  Reader alice(room, 1, "alice"), bob(room, 2, "bob");
  alice.Join();
  alice.Say("hi from alice");
  bob.Join();
  EXPECT_THAT(bob.History(), ElementsAre("hi from alice"));
  EXPECT_THAT(bob.Live(), IsEmpty());  // its own join is not echoed
  EXPECT_THAT(alice.Live(), ElementsAre("+bob"));
  EXPECT_EQ(room.member_count(), 2u);
}

// A member whose listing shows a status, as a session does for /away.
class AwayReader : public Reader {
 public:
  using Reader::Reader;
  std::string ListedName() const override { return DisplayName() + " (away)"; }
};

TEST(RoomTest, MemberListingShowsStatusInNameOrder) {
  Room room("general", Lines(10));
  Reader carol(room, 1, "carol"), alice(room, 3, "alice");
  AwayReader bob(room, 2, "bob");
  carol.Join();
  bob.Join();
  alice.Join();
  EXPECT_THAT(room.MemberNames(), ElementsAre("alice", "bob", "carol"));
  EXPECT_THAT(room.MemberListing(), ElementsAre("alice", "bob (away)", "carol"));
}

TEST(RoomTest, PostsSkipTheirSender) {
  Room room("general", Lines(10));
  Reader a(room, 1, "a"), b(room, 2, "b"), c(room, 3, "c");
  a.Join();
  b.Join();
  c.Join();
  b.Say("from b");
  EXPECT_THAT(a.Live(), ElementsAre("+b", "+c", "from b"));
  EXPECT_THAT(b.Live(), ElementsAre("+c"));
  EXPECT_THAT(c.Live(), ElementsAre("from b"));
}

TEST(RoomTest, NoticesAreNotHistory) {
  Room room("general", Lines(10));
  Reader a(room, 1, "a"), b(room, 2, "b");
  a.Join();
  a.Leave();
  b.Join();
  EXPECT_THAT(b.History(), IsEmpty());
  EXPECT_THAT(room.History(), IsEmpty());
  EXPECT_FALSE(room.has_history());
}

TEST(RoomTest, ALeaverReadsNothingPostedAfterItLeft) {
  Room room("general", Lines(10));
  Reader a(room, 1, "a"), b(room, 2, "b");
  a.Join();
  b.Join();
  a.Say("before");
  b.Leave();
  a.Say("after");
  EXPECT_THAT(b.Live(), ElementsAre("before"));
  EXPECT_THAT(a.Live(), ElementsAre("+b", "-b"));
  b.Leave();  // not a member any more: nothing happens
  EXPECT_THAT(a.Live(), IsEmpty());
}

TEST(RoomTest, HistoryKeepsTheNewestLines) {
  Room room("general", Lines(3));
  Reader a(room, 1);
  a.Join();
  for (int i = 1; i <= 5; ++i) a.Say("line " + std::to_string(i));
  Reader late(room, 2);
  late.Join();
  EXPECT_THAT(late.History(), ElementsAre("line 3", "line 4", "line 5"));
  EXPECT_EQ(room.History().size(), 3u);
}

TEST(RoomTest, ZeroHistoryKeepsNothingToReplay) {
  Room room("general", Lines(0));
  Reader a(room, 1);
  a.Join();
  a.Say("x");
  EXPECT_THAT(room.History(), IsEmpty());
}

TEST(RoomTest, OnlySleepingWritersAreWokenOncePerSleep) {
  Room room("general", Lines(10));
  Reader a(room, 1, "a"), b(room, 2, "b");
  a.Join();
  b.Join();
  a.Live();
  // a is up to date and goes to sleep; b has a's... nothing yet, but does not sleep.
  EXPECT_FALSE(room.SleepUnlessReady(a.position().membership.get(), a.cursor()));
  b.Say("one");
  b.Say("two");
  EXPECT_EQ(a.waker_->wakes.load(), 1);  // woken once, not per post
  EXPECT_EQ(b.waker_->wakes.load(), 0);  // never asked
  // With events waiting, asking to sleep returns at once and registers nothing.
  EXPECT_TRUE(room.SleepUnlessReady(a.position().membership.get(), a.cursor()));
  b.Say("three");
  EXPECT_EQ(a.waker_->wakes.load(), 1);
}

TEST(RoomTest, NoticesWakeSleepersOnlyInTheSweepWhenDeferred) {
  RoomOptions options = Lines(10);
  options.defer_notice_wakes = true;
  Room room("general", options);
  Reader a(room, 1, "a"), b(room, 2, "b"), c(room, 3, "c");
  a.Join();
  a.Live();
  EXPECT_FALSE(room.SleepUnlessReady(a.position().membership.get(), a.cursor()));
  b.Join();
  c.Join();
  EXPECT_EQ(a.waker_->wakes.load(), 0);  // two joins, no wake-up yet
  room.WakeForNotices();
  EXPECT_EQ(a.waker_->wakes.load(), 1);  // one sweep, one wake-up for both
  room.WakeForNotices();
  EXPECT_EQ(a.waker_->wakes.load(), 1);  // nothing new
  EXPECT_THAT(a.Live(), ElementsAre("+b", "+c"));
  EXPECT_FALSE(room.SleepUnlessReady(a.position().membership.get(), a.cursor()));
  b.Say("a line wakes at once");
  EXPECT_EQ(a.waker_->wakes.load(), 2);
}

TEST(RoomTest, ALeftMembershipIsNeverWoken) {
  Room room("general", Lines(10));
  Reader a(room, 1, "a"), b(room, 2, "b");
  a.Join();
  b.Join();
  a.Live();
  EXPECT_FALSE(room.SleepUnlessReady(a.position().membership.get(), a.cursor()));
  a.Leave();
  b.Say("hello?");
  EXPECT_EQ(a.waker_->wakes.load(), 0);
}

// Lag is checked every 1 KiB appended, so a 10 KiB limit is seen to within a line.
RoomOptions LagCheckedOften() {
  RoomOptions options = Lines(10);
  options.lag_check_bytes = 1024;
  return options;
}

TEST(RoomTest, AReaderTooFarBehindIsToldToGo) {
  Room room("general", LagCheckedOften());
  Reader slow(room, 1, "slow", 10 * 1024), fast(room, 2, "fast", 10 * 1024);
  slow.Join();
  fast.Join();
  // fast's writer keeps up (it passes over its own lines); slow's never reads.
  for (int i = 0; i < 9; ++i) {
    fast.Say(std::string(1000, 'x'));
    fast.Live();
  }
  EXPECT_FALSE(slow.fell_behind.load());
  for (int i = 0; i < 5; ++i) {
    fast.Say(std::string(1000, 'x'));
    fast.Live();
  }
  EXPECT_TRUE(slow.fell_behind.load());
  EXPECT_FALSE(fast.fell_behind.load());
}

TEST(RoomTest, AMembersOwnLinesNeverMakeItLookSlow) {
  Room room("general", LagCheckedOften());
  Reader typist(room, 1, "typist", 10 * 1024), reader(room, 2, "reader", 10 * 1024);
  typist.Join();
  reader.Join();
  // The typist's writer is starved (never runs) while it pastes 50 KB; the only events
  // it has not delivered are its own, which it would skip anyway.
  for (int i = 0; i < 50; ++i) {
    typist.Say(std::string(1000, 'x'));
    reader.Live();
  }
  EXPECT_FALSE(typist.fell_behind.load());
  EXPECT_FALSE(reader.fell_behind.load());
  // Its lag still counts what others say: 11 KB from the reader goes past its limit.
  for (int i = 0; i < 11; ++i) reader.Say(std::string(1000, 'y'));
  EXPECT_TRUE(typist.fell_behind.load());
  // What it owed: the reader's join and 11 lines; its own 50 are skipped.
  EXPECT_EQ(typist.Live().size(), 12u);
}

// Concurrent posters and a late joiner: every reader sees one global order, and the
// joiner gets each line exactly once (in history or live). Run under --config=tsan too.
TEST(RoomTest, ConcurrentPostsAreSeenInOneOrder) {
  Room room("general", Lines(100000));
  Reader observer1(room, 1), observer2(room, 2), late(room, 3);
  observer1.Join();
  observer2.Join();
  std::vector<std::thread> senders;
  for (int s = 0; s < 4; ++s) {
    senders.emplace_back([&room, s] {
      Reader self(room, 10 + s);
      self.Join();
      for (int i = 0; i < 250; ++i) self.Say(std::to_string(s * 1000 + i));
      self.Leave();
    });
  }
  std::thread joiner([&] { late.Join(); });
  for (std::thread& t : senders) t.join();
  joiner.join();

  const auto lines_of = [](const std::vector<std::string>& got) {
    std::vector<std::string> lines;
    for (const std::string& g : got) {
      if (!g.empty() && std::isdigit(static_cast<unsigned char>(g[0]))) lines.push_back(g);
    }
    return lines;
  };
  const std::vector<std::string> order1 = lines_of(observer1.Live());
  EXPECT_EQ(order1.size(), 1000u);
  EXPECT_EQ(order1, lines_of(observer2.Live()));
  std::vector<std::string> joined = late.History();
  for (const std::string& line : lines_of(late.Live())) joined.push_back(line);
  EXPECT_EQ(joined, order1);
}

class RecordingJournal : public Journal {
 public:
  void Record(std::string_view room, const Event& event) override {
    recorded.push_back(absl::StrCat(room, "|", event.name, "|", event.text,
                                    event.kind == Event::Kind::kEmote ? "|me" : ""));
    // Not yet in the log when recorded: nobody can have seen it.
    if (room_ != nullptr) end_when_recorded.push_back(room_->end_seq());
  }
  const Room* room_ = nullptr;
  std::vector<std::string> recorded;
  std::vector<uint64_t> end_when_recorded;
};

TEST(RoomTest, JournalRecordsChatLinesAndEmotesBeforeTheyAreInTheLog) {
  RecordingJournal journal;
  Room room("general", Lines(10), &journal);
  journal.room_ = &room;
  Reader alice(room, 1, "alice");
  alice.Join();
  const uint64_t before = room.end_seq();
  alice.Say("hi");
  room.Post(MakeEvent(Event::Kind::kEmote, absl::UnixEpoch(), "alice", "waves", 1));
  room.Post(MakeEvent(Event::Kind::kRename, absl::UnixEpoch(), "alice", "al", 1));
  EXPECT_THAT(journal.recorded, ElementsAre("general|alice|hi", "general|alice|waves|me"));
  EXPECT_THAT(journal.end_when_recorded, ElementsAre(before, before + 1));
}

TEST(RoomTest, RestoreFillsHistoryWithoutWakingAnyone) {
  Room room("general", Lines(2));
  Reader a(room, 1);
  a.Join();
  a.Live();
  EXPECT_FALSE(room.SleepUnlessReady(a.position().membership.get(), a.cursor()));
  std::vector<std::shared_ptr<Event>> old;
  for (const char* text : {"old 1", "old 2", "old 3"}) {
    old.push_back(MakeEvent(Event::Kind::kChat, absl::UnixEpoch(), "x", text));
  }
  room.Restore(std::move(old));
  std::vector<std::string> history;
  for (const EventPtr& e : room.History()) history.push_back(e->text);
  EXPECT_THAT(history, ElementsAre("old 2", "old 3"));
  EXPECT_EQ(a.waker_->wakes.load(), 0);
}

TEST(RoomTest, JoinHoppingKeepsTheRoomsHistory) {
  HistoryBudget budget(0);
  RoomOptions options;
  options.log = RoomLogOptions{4096, 10, 0};  // a log that holds a few blocks of notices
  Room room("quiet", options, nullptr, &budget);
  Reader talker(room, 1, "talker");
  talker.Join();
  talker.Say("the one thing said here");
  talker.Leave();
  for (int hop = 0; hop < 2000; ++hop) {  // a client going in and out, as /join does
    Reader hopper(room, 2, "hopper");
    hopper.Join();
    hopper.Leave();
  }
  Reader late(room, 3, "late");
  late.Join();
  EXPECT_THAT(late.History(), ElementsAre("the one thing said here"));
  EXPECT_EQ(room.History().size(), 1u);
  EXPECT_LT(room.log_bytes(), 3 * 4096u);  // the notices themselves did go
  EXPECT_EQ(budget.used(), room.log_bytes());
}

TEST(RoomTest, TheLogIsChargedToTheBudgetAndGivenBack) {
  HistoryBudget budget(0);
  {
    RoomOptions options = Lines(10);
    Room room("general", options, nullptr, &budget);
    Reader a(room, 1);
    a.Join();
    a.Say("hello");
    EXPECT_EQ(budget.used(), room.log_bytes());
    EXPECT_GT(budget.used(), 0u);
  }
  EXPECT_EQ(budget.used(), 0u);
}

// A sequencer that orders nothing by itself: it records what the room publishes, and
// the test feeds events back as a follower would.
class RecordingSequencer : public Sequencer {
 public:
  void Follow(std::weak_ptr<Room> room) override {
    ++follows;
    // The history arrives before the joiner's position is taken.
    if (auto r = room.lock()) {
      r->AppendReplicated({MakeEvent(Event::Kind::kChat, absl::UnixEpoch(), "old", "earlier")});
    }
  }
  bool Publish(const Room&, const Event& event, bool wait) override {
    published.push_back(absl::StrCat(static_cast<int>(event.kind), ":", event.name, ":",
                                      event.text, wait ? ":wait" : ""));
    return accept;
  }
  int follows = 0;
  bool accept = true;
  std::vector<std::string> published;
};

TEST(RoomSequencerTest, PostsArePublishedNotAppendedAndComeBackInTheSharedOrder) {
  RecordingSequencer sequencer;
  RoomOptions options;
  options.log = RoomLogOptions{0, 100, 0};
  options.sequencer = &sequencer;
  auto room = std::make_shared<Room>("dev", options);
  Reader alice(*room, 1, "alice");
  Reader bob(*room, 2, "bob");
  alice.Join();
  bob.Join();
  EXPECT_EQ(sequencer.follows, 1);  // once per room, before the first join
  EXPECT_THAT(alice.History(), ElementsAre("earlier"));
  alice.Say("hi");
  // Nothing is visible until the shared order brings it back.
  EXPECT_THAT(bob.Live(), IsEmpty());
  EXPECT_THAT(sequencer.published,
              ElementsAre("2:alice:", "2:bob:", "0:alice:hi:wait"));
  room->AppendReplicated({MakeEvent(Event::Kind::kJoin, absl::UnixEpoch(), "bob", {}, 2),
                          MakeEvent(Event::Kind::kChat, absl::UnixEpoch(), "zed", "elsewhere"),
                          MakeEvent(Event::Kind::kChat, absl::UnixEpoch(), "alice", "hi", 1)});
  EXPECT_THAT(bob.Live(), ElementsAre("elsewhere", "hi"));  // its own join is skipped
  EXPECT_THAT(alice.Live(), ElementsAre("+bob", "elsewhere"));

  sequencer.accept = false;  // the shared store is away
  EXPECT_FALSE(room->Post(MakeEvent(Event::Kind::kChat, absl::UnixEpoch(), "alice", "lost", 1)));
  EXPECT_THAT(bob.Live(), IsEmpty());
  bob.Leave();
  EXPECT_EQ(sequencer.published.back(), "3:bob:");
}

}  // namespace
}  // namespace chat

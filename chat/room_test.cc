#include "chat/room.h"

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

// Records what the room delivers, as "event:<line>" / "history:<line>" / "prompt".
class FakeParticipant : public Participant {
 public:
  void DeliverEvent(const SharedText& line) override {
    absl::MutexLock lock(&mu_);
    got_.push_back("event:" + *line);
  }
  void DeliverWelcome(const std::vector<SharedText>& history) override {
    absl::MutexLock lock(&mu_);
    for (const SharedText& line : history) got_.push_back("history:" + *line);
    got_.push_back("prompt");
  }
  std::string DisplayName() const override { return "fake"; }
  std::vector<std::string> got() const {
    absl::MutexLock lock(&mu_);
    return got_;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<std::string> got_ ABSL_GUARDED_BY(mu_);
};

SharedText T(std::string s) { return MakeShared(std::move(s)); }

TEST(RoomTest, JoinReplaysHistoryThenNotifiesOthers) {
  Room room("general", 10);
  FakeParticipant alice, bob;
  room.Join(&alice, T("alice joined"));
  room.Broadcast(&alice, T("hi from alice"));
  room.Join(&bob, T("bob joined"));
  EXPECT_THAT(alice.got(), ElementsAre("prompt", "event:bob joined"));
  EXPECT_THAT(bob.got(), ElementsAre("history:hi from alice", "prompt"));
  EXPECT_EQ(room.member_count(), 2u);
}

TEST(RoomTest, BroadcastSkipsTheSender) {
  Room room("general", 10);
  FakeParticipant a, b, c;
  room.Join(&a, T("a"));
  room.Join(&b, T("b"));
  room.Join(&c, T("c"));
  room.Broadcast(&b, T("from b"));
  EXPECT_THAT(a.got(), ElementsAre("prompt", "event:b", "event:c", "event:from b"));
  EXPECT_THAT(b.got(), ElementsAre("prompt", "event:c"));
  EXPECT_THAT(c.got(), ElementsAre("prompt", "event:from b"));
}

TEST(RoomTest, NoticesAreNotHistory) {
  Room room("general", 10);
  FakeParticipant a, b;
  room.Join(&a, T("a joined"));
  room.Leave(&a, T("a left"));
  room.Join(&b, T("b joined"));
  EXPECT_THAT(b.got(), ElementsAre("prompt"));
  EXPECT_THAT(room.History(), IsEmpty());
}

TEST(RoomTest, LeaveNotifiesTheRestAndStopsDelivery) {
  Room room("general", 10);
  FakeParticipant a, b;
  room.Join(&a, T("a joined"));
  room.Join(&b, T("b joined"));
  room.Leave(&b, T("b left"));
  room.Broadcast(&a, T("anyone?"));
  EXPECT_THAT(a.got(), ElementsAre("prompt", "event:b joined", "event:b left"));
  EXPECT_THAT(b.got(), ElementsAre("prompt"));
  room.Leave(&b, T("again"));  // not a member: nothing happens
  EXPECT_THAT(a.got().size(), 3u);
}

TEST(RoomTest, HistoryKeepsTheNewestLines) {
  Room room("general", 3);
  FakeParticipant a;
  room.Join(&a, T("a"));
  for (int i = 1; i <= 5; ++i) room.Broadcast(&a, T("line " + std::to_string(i)));
  std::vector<std::string> history;
  for (const SharedText& line : room.History()) history.push_back(*line);
  EXPECT_THAT(history, ElementsAre("line 3", "line 4", "line 5"));
}

TEST(RoomTest, ZeroHistoryKeepsNothing) {
  Room room("general", 0);
  FakeParticipant a;
  room.Join(&a, T("a"));
  room.Broadcast(&a, T("x"));
  EXPECT_THAT(room.History(), IsEmpty());
}

// Concurrent senders and a late joiner: everyone sees one global order, the joiner gets
// each line exactly once (in history or live). Run under --config=tsan as well.
TEST(RoomTest, ConcurrentBroadcastsAreSeenInOneOrder) {
  Room room("general", 100000);
  FakeParticipant observer1, observer2, late;
  room.Join(&observer1, T("o1"));
  room.Join(&observer2, T("o2"));
  std::vector<std::thread> senders;
  for (int s = 0; s < 4; ++s) {
    senders.emplace_back([&room, s] {
      FakeParticipant self;
      room.Join(&self, T("s"));
      for (int i = 0; i < 250; ++i) room.Broadcast(&self, T(std::to_string(s * 1000 + i)));
      room.Leave(&self, T("bye"));
    });
  }
  std::thread joiner([&] { room.Join(&late, T("late")); });
  for (std::thread& t : senders) t.join();
  joiner.join();

  const auto lines_of = [](const std::vector<std::string>& got) {
    std::vector<std::string> lines;
    for (const std::string& g : got) {
      const size_t colon = g.find(':');
      if (colon == std::string::npos) continue;
      const std::string text = g.substr(colon + 1);
      if (!text.empty() && std::isdigit(static_cast<unsigned char>(text[0]))) lines.push_back(text);
    }
    return lines;
  };
  const std::vector<std::string> order1 = lines_of(observer1.got());
  EXPECT_EQ(order1.size(), 1000u);
  EXPECT_EQ(order1, lines_of(observer2.got()));
  std::vector<std::string> history;
  for (const SharedText& line : room.History()) history.push_back(*line);
  EXPECT_EQ(order1, history);
  EXPECT_EQ(lines_of(late.got()), history);
}

class RecordingJournal : public Journal {
 public:
  void Record(std::string_view room, const SpokenLine& line) override {
    recorded.push_back(absl::StrCat(room, "|", line.name, "|", line.text, line.emote ? "|me" : ""));
  }
  std::vector<std::string> recorded;
};

TEST(RoomTest, JournalRecordsSpokenLinesBeforeDelivery) {
  RecordingJournal journal;
  Room room("general", 10, &journal);
  // The journal is checked from inside delivery: the line must already be recorded.
  class Checker : public FakeParticipant {
   public:
    explicit Checker(const RecordingJournal& journal) : journal_(journal) {}
    void DeliverEvent(const SharedText& line) override {
      seen_recorded = journal_.recorded.size();
      FakeParticipant::DeliverEvent(line);
    }
    size_t seen_recorded = 0;

   private:
    const RecordingJournal& journal_;
  };
  FakeParticipant alice;
  Checker bob(journal);
  room.Join(&alice, T("a"));
  room.Join(&bob, T("b"));
  const SpokenLine spoken{absl::UnixEpoch(), "alice", "hi", false};
  room.Broadcast(&alice, T("[t][alice]:hi"), &spoken);
  EXPECT_THAT(journal.recorded, ElementsAre("general|alice|hi"));
  EXPECT_EQ(bob.seen_recorded, 1u);
  room.Broadcast(&alice, T("unjournaled"));  // no SpokenLine: history only
  EXPECT_EQ(journal.recorded.size(), 1u);
  EXPECT_EQ(room.History().size(), 2u);
}

TEST(RoomTest, RestoreFillsHistoryWithoutDelivering) {
  Room room("general", 2);
  FakeParticipant a;
  room.Join(&a, T("a"));
  room.Restore({T("old 1"), T("old 2"), T("old 3")});
  std::vector<std::string> history;
  for (const SharedText& line : room.History()) history.push_back(*line);
  EXPECT_THAT(history, ElementsAre("old 2", "old 3"));
  EXPECT_THAT(a.got(), ElementsAre("prompt"));
}

}  // namespace
}  // namespace chat

#include "chat/core/lobby.h"

#include <atomic>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/synchronization/notification.h"
#include "chat/testing/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace chat {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

class Waker0 : public Waker {
 public:
  void Wake() override {}
};

// A member that joins through the lobby and can read its room like a writer would.
class NamedParticipant : public RoomMember {
 public:
  explicit NamedParticipant(std::string name) : name_(std::move(name)), id_(++next_id) {}
  std::string DisplayName() const override { return name_; }
  void OnFellBehind() override {}

  Joiner As(std::string_view creator = {}) {
    return Joiner{id_, this, std::make_shared<Waker0>(), 0, creator, nullptr};
  }
  std::shared_ptr<Event> Notice(Event::Kind kind) {
    return MakeEvent(kind, absl::UnixEpoch(), name_, {}, id_);
  }
  // Remembers where it is after a join or move.
  std::shared_ptr<Room> Took(RoomEntry entry) {
    if (entry.position.membership != nullptr) {
      position = entry.position;
      cursor = position.live_from;
    }
    return entry.room;
  }
  // Others' events since the last call, as "+name", "-name" or the text.
  std::vector<std::string> Events(Room& room) {
    std::vector<std::string> got;
    bool lost = false;
    const EventSpan span = room.Read(*position.membership, cursor, SIZE_MAX, &lost);
    span.ForEach([&](const Event& e) {
      if (e.origin == id_) return;
      if (e.kind == Event::Kind::kJoin) got.push_back(e.name + " joined");
      else if (e.kind == Event::Kind::kLeave) got.push_back(e.name + " left");
      else got.push_back(e.text);
    });
    cursor = span.end;
    return got;
  }
  size_t HistoryLines(Room& room) {
    size_t lines = 0;
    room.ReadHistory(position.history_from, position.live_from, SIZE_MAX)
        .ForEach([&](const Event& e) { lines += e.is_history(); });
    return lines;
  }
  void Say(Room& room, std::string text) {
    room.Post(MakeEvent(Event::Kind::kChat, absl::UnixEpoch(), name_, std::move(text), id_));
  }

  JoinPosition position;
  uint64_t cursor = 0;

 private:
  static inline uint64_t next_id = 0;
  std::string name_;
  uint64_t id_;
};

// Join/Move/Leave shorthands that keep the member's position.
std::shared_ptr<Room> Join(Lobby& lobby, const std::string& room, NamedParticipant& p,
                           std::string_view creator = {}, JoinRefusal* refusal = nullptr) {
  return p.Took(lobby.Join(room, p.As(creator), p.Notice(Event::Kind::kJoin), refusal));
}
std::shared_ptr<Room> Move(Lobby& lobby, const std::shared_ptr<Room>& from, const std::string& to,
                           NamedParticipant& p) {
  return p.Took(lobby.Move(from, p.position.membership, to, p.As(),
                           p.Notice(Event::Kind::kLeave), p.Notice(Event::Kind::kJoin)));
}
void Leave(Lobby& lobby, const std::shared_ptr<Room>& room, NamedParticipant& p) {
  lobby.Leave(room, p.position.membership, p.Notice(Event::Kind::kLeave));
}

TEST(LobbyTest, DefaultRoomAlwaysExists) {
  Lobby lobby(10, 5);
  EXPECT_EQ(lobby.default_room().name(), "general");
  EXPECT_THAT(lobby.List(), ElementsAre(Pair("general", 0u)));
}

TEST(LobbyTest, RoomsAreCreatedOnFirstJoinAndListedWithCounts) {
  Lobby lobby(10, 5);
  NamedParticipant alice("alice"), bob("bob"), carol("carol");
  ASSERT_NE(Join(lobby, "general", alice), nullptr);
  std::shared_ptr<Room> random = Join(lobby, "random", bob);
  ASSERT_NE(random, nullptr);
  EXPECT_EQ(Join(lobby, "random", carol), random);
  EXPECT_THAT(bob.Events(*random), ElementsAre("carol joined"));
  EXPECT_THAT(lobby.List(), ElementsAre(Pair("general", 1u), Pair("random", 2u)));
  EXPECT_THAT(random->MemberNames(), ElementsAre("bob", "carol"));
}

TEST(LobbyTest, RoomNamesCompareByKeyAndKeepTheirFirstSpelling) {
  Lobby lobby(10, 5);
  NamedParticipant alice("alice"), bob("bob"), carol("carol");
  std::shared_ptr<Room> dev = Join(lobby, "Dev", alice);
  ASSERT_NE(dev, nullptr);
  EXPECT_EQ(Join(lobby, "DEV", bob), dev);
  EXPECT_EQ(Join(lobby, "D\xD0\xB5v", carol), dev);  // Cyrillic е
  EXPECT_EQ(lobby.Find("dev"), dev);
  EXPECT_EQ(dev->name(), "Dev");
  EXPECT_EQ(Move(lobby, dev, "GENERAL", carol).get(), &lobby.default_room());
  EXPECT_THAT(lobby.List(), ElementsAre(Pair("Dev", 2u), Pair("general", 1u)));
  Leave(lobby, dev, alice);
  Leave(lobby, dev, bob);
  EXPECT_EQ(lobby.Find("Dev"), nullptr);  // removed by its key
}

TEST(LobbyTest, EmptyRoomWithoutHistoryIsRemoved) {
  Lobby lobby(10, 5);
  NamedParticipant bob("bob");
  std::shared_ptr<Room> room = Join(lobby, "scratch", bob);
  Leave(lobby, room, bob);
  EXPECT_EQ(lobby.Find("scratch"), nullptr);
}

TEST(LobbyTest, EmptyRoomWithHistoryStays) {
  Lobby lobby(10, 5);
  NamedParticipant bob("bob"), carol("carol");
  std::shared_ptr<Room> room = Join(lobby, "archive", bob);
  bob.Say(*room, "remember this");
  Leave(lobby, room, bob);
  ASSERT_EQ(lobby.Find("archive"), room);
  Join(lobby, "archive", carol);
  EXPECT_EQ(carol.HistoryLines(*room), 1u);  // the line is replayed
}

TEST(LobbyTest, DefaultRoomIsNeverRemoved) {
  Lobby lobby(10, 5);
  NamedParticipant alice("alice");
  Leave(lobby, Join(lobby, "general", alice), alice);
  EXPECT_NE(lobby.Find("general"), nullptr);
}

TEST(LobbyTest, RoomCountIsCapped) {
  Lobby lobby(10, 2);  // general + one more
  NamedParticipant a("a"), b("b");
  EXPECT_NE(Join(lobby, "one", a), nullptr);
  EXPECT_EQ(Join(lobby, "two", b), nullptr);
  EXPECT_NE(Join(lobby, "general", b), nullptr);  // existing rooms still work
}

// The crash this pins: moving out of a room in which you are the last member and nothing
// was said removed the room inside Move(), and the caller then read the freed room. Under
// ASan this test fails with heap-use-after-free if the room is not kept alive.
TEST(LobbyTest, RoomRemovedByMoveStaysValidForItsHolder) {
  Lobby lobby(10, 5);
  NamedParticipant eve("eve");
  std::shared_ptr<Room> dev = Join(lobby, "dev", eve);
  ASSERT_NE(dev, nullptr);
  std::weak_ptr<Room> watch = dev;
  std::shared_ptr<Room> general = Move(lobby, dev, "general", eve);
  ASSERT_NE(general, nullptr);
  EXPECT_EQ(lobby.Find("dev"), nullptr);  // removed from the lobby ...
  EXPECT_EQ(dev->name(), "dev");          // ... but alive for whoever still holds it
  EXPECT_EQ(dev->member_count(), 0u);
  dev.reset();
  EXPECT_TRUE(watch.expired());  // and freed with the last reference
}

TEST(LobbyTest, RoomRemovedByLeaveStaysValidForItsHolder) {
  Lobby lobby(10, 5);
  NamedParticipant eve("eve");
  std::shared_ptr<Room> dev = Join(lobby, "dev", eve);
  Leave(lobby, dev, eve);
  EXPECT_EQ(lobby.Find("dev"), nullptr);
  EXPECT_THAT(dev->MemberNames(), ::testing::IsEmpty());
}

TEST(LobbyTest, ARoomRecreatedUnderTheSameNameIsANewRoom) {
  Lobby lobby(10, 5);
  NamedParticipant a("a"), b("b");
  std::shared_ptr<Room> first = Join(lobby, "dev", a);
  Leave(lobby, first, a);
  std::shared_ptr<Room> second = Join(lobby, "dev", b);
  EXPECT_NE(first, second);
  // Leaving the stale room again must not remove the new one.
  Leave(lobby, first, a);
  EXPECT_EQ(lobby.Find("dev"), second);
}

LobbyOptions Options() {
  LobbyOptions options;
  options.room.log = RoomLogOptions{0, 100, 0};
  options.max_history_bytes = 0;
  options.max_rooms = 10;
  options.room_expiry = absl::Hours(1);
  options.max_rooms_per_creator = 2;
  return options;
}

TEST(LobbyTest, EmptyRoomsWithHistoryExpire) {
  testing::FakeClock clock(absl::FromUnixSeconds(1'000'000));
  Lobby lobby(Options(), clock);
  NamedParticipant bob("bob");
  std::shared_ptr<Room> room = Join(lobby, "archive", bob);
  bob.Say(*room, "remember this");
  Leave(lobby, room, bob);
  clock.Advance(absl::Minutes(59));
  EXPECT_THAT(lobby.List(), ElementsAre(Pair("archive", 0u), Pair("general", 0u)));
  clock.Advance(absl::Minutes(1));
  EXPECT_THAT(lobby.List(), ElementsAre(Pair("general", 0u)));
  EXPECT_EQ(lobby.Find("archive"), nullptr);
}

TEST(LobbyTest, OccupiedRoomsAndTheDefaultRoomNeverExpire) {
  testing::FakeClock clock(absl::FromUnixSeconds(1'000'000));
  Lobby lobby(Options(), clock);
  NamedParticipant bob("bob"), carol("carol");
  std::shared_ptr<Room> room = Join(lobby, "busy", bob);
  bob.Say(*room, "x");
  std::vector<std::shared_ptr<Event>> old;
  old.push_back(MakeEvent(Event::Kind::kChat, absl::UnixEpoch(), "x", "old"));
  lobby.default_room().Restore(std::move(old));
  clock.Advance(absl::Hours(100));
  EXPECT_THAT(lobby.List(), ElementsAre(Pair("busy", 1u), Pair("general", 0u)));
}

TEST(LobbyTest, ExpiredRoomsMakeWayForNewOnes) {
  testing::FakeClock clock(absl::FromUnixSeconds(1'000'000));
  LobbyOptions options = Options();
  options.max_rooms = 2;
  options.max_rooms_per_creator = 0;
  Lobby lobby(options, clock);
  NamedParticipant bob("bob");
  std::shared_ptr<Room> room = Join(lobby, "old", bob);
  bob.Say(*room, "x");
  Leave(lobby, room, bob);
  JoinRefusal refusal = JoinRefusal::kNone;
  EXPECT_EQ(Join(lobby, "new", bob, "", &refusal), nullptr);
  EXPECT_EQ(refusal, JoinRefusal::kTooManyRooms);
  clock.Advance(absl::Hours(1));
  EXPECT_NE(Join(lobby, "new", bob), nullptr);
}

TEST(LobbyTest, OneCreatorCannotTakeAllTheRooms) {
  testing::FakeClock clock(absl::FromUnixSeconds(1'000'000));
  Lobby lobby(Options(), clock);
  NamedParticipant eve("eve"), ann("ann");
  for (const char* name : {"r1", "r2"}) {
    std::shared_ptr<Room> room = Join(lobby, name, eve, "10.0.0.66");
    ASSERT_NE(room, nullptr);
    eve.Say(*room, "x");  // history keeps the room after eve leaves
    Leave(lobby, room, eve);
  }
  JoinRefusal refusal = JoinRefusal::kNone;
  EXPECT_EQ(Join(lobby, "r3", eve, "10.0.0.66", &refusal), nullptr);
  EXPECT_EQ(refusal, JoinRefusal::kTooManyOfYours);
  // Joining rooms that exist is still fine, and so is someone else creating one.
  EXPECT_NE(Join(lobby, "r1", eve, "10.0.0.66"), nullptr);
  EXPECT_NE(Join(lobby, "r3", ann, "10.0.0.7"), nullptr);
  // Once eve's rooms expire she may create again.
  clock.Advance(absl::Hours(2));
  EXPECT_NE(Join(lobby, "r4", eve, "10.0.0.66"), nullptr);
}

TEST(LobbyTest, CreationWaitIsAskedOnlyWhenARoomWouldBeCreated) {
  testing::FakeClock clock(absl::FromUnixSeconds(1'000'000));
  Lobby lobby(Options(), clock);
  NamedParticipant eve("eve");
  int asked = 0;
  absl::Duration wait = absl::ZeroDuration();
  Joiner joiner = eve.As("10.0.0.66");
  joiner.creation_wait = [&] {
    ++asked;
    return wait;
  };
  RoomEntry entry = lobby.Join("general", joiner, eve.Notice(Event::Kind::kJoin));
  EXPECT_EQ(asked, 0);  // exists already
  eve.Took(entry);
  wait = absl::Minutes(6);
  JoinRefusal refusal = JoinRefusal::kNone;
  RoomEntry refused = lobby.Move(entry.room, eve.position.membership, "new", joiner,
                                 eve.Notice(Event::Kind::kLeave), eve.Notice(Event::Kind::kJoin),
                                 &refusal);
  EXPECT_EQ(refused.room, nullptr);
  EXPECT_EQ(refusal, JoinRefusal::kCreatingTooFast);
  EXPECT_EQ(refused.retry_after, absl::Minutes(6));
  EXPECT_EQ(asked, 1);
  EXPECT_EQ(lobby.default_room().member_count(), 1u);  // nothing changed
  wait = absl::ZeroDuration();
  EXPECT_NE(lobby.Move(entry.room, eve.position.membership, "new", joiner,
                       eve.Notice(Event::Kind::kLeave), eve.Notice(Event::Kind::kJoin))
                .room,
            nullptr);
}

TEST(LobbyTest, LogsAreCappedAcrossRoomsLargestFirst) {
  testing::FakeClock clock(absl::FromUnixSeconds(1'000'000));
  LobbyOptions options = Options();
  NamedParticipant a("a"), b("b");
  const size_t line = MakeEvent(Event::Kind::kChat, absl::UnixEpoch(), "a",
                                std::string(100, 'x'))->charge();
  options.max_history_bytes = 4 * EventBlock::kSize * line;
  Lobby lobby(options, clock);
  std::shared_ptr<Room> big = Join(lobby, "big", a);
  std::shared_ptr<Room> small = Join(lobby, "small", b);
  for (int i = 0; i < 2; ++i) b.Say(*small, std::string(100, 'x'));
  for (int i = 0; i < 1000; ++i) {
    a.Say(*big, std::string(100, 'x'));
    lobby.EnforceHistoryBudget();
    ASSERT_LE(lobby.history_budget().used(), options.max_history_bytes);
  }
  EXPECT_EQ(small->History().size(), 2u);  // the quiet room keeps its lines
  EXPECT_GE(big->log_bytes(), 2 * EventBlock::kSize * line);  // the big one gave way
}

TEST(LobbyTest, ReplayIsBoundedInBytesAndTheLogByRetention) {
  testing::FakeClock clock(absl::FromUnixSeconds(1'000'000));
  LobbyOptions options = Options();
  NamedParticipant a("a");
  const size_t line = MakeEvent(Event::Kind::kChat, absl::UnixEpoch(), "a",
                                std::string(100, 'x'))->charge();
  options.room.log = RoomLogOptions{100 * line, 1000, 5 * line};
  Lobby lobby(options, clock);
  std::shared_ptr<Room> room = Join(lobby, "r", a);
  for (int i = 0; i < 1000; ++i) a.Say(*room, std::string(100, 'x'));
  EXPECT_EQ(room->History().size(), 5u);
  EXPECT_LE(room->log_bytes(), 100 * line + EventBlock::kSize * (line + 64));
  EXPECT_EQ(lobby.history_budget().used(), room->log_bytes());
}

TEST(LobbyTest, RemovedRoomsGiveTheirHistoryBytesBack) {
  testing::FakeClock clock(absl::FromUnixSeconds(1'000'000));
  Lobby lobby(Options(), clock);
  NamedParticipant a("a");
  std::shared_ptr<Room> room = Join(lobby, "r", a);
  a.Say(*room, "hello");
  Leave(lobby, room, a);
  EXPECT_GT(lobby.history_budget().used(), 0u);
  room.reset();
  clock.Advance(absl::Hours(1));
  lobby.List();
  EXPECT_EQ(lobby.history_budget().used(), 0u);
}


// A sequencer whose history load for room "slow" waits for the test's word, as a Redis
// that answers slowly would make it.
class LatchedSequencer : public Sequencer {
 public:
  void Follow(std::weak_ptr<Room> room) override {
    std::shared_ptr<Room> r = room.lock();
    if (r == nullptr || r->name() != "slow") return;
    loading.Notify();
    // Bounded only so that a lobby that deadlocks fails the test instead of hanging it.
    if (!release.WaitForNotificationWithTimeout(absl::Seconds(30))) timed_out = true;
    r->AppendReplicated({MakeEvent(Event::Kind::kChat, absl::UnixEpoch(), "old", "earlier")});
  }
  bool Publish(const Room&, const Event&, bool) override { return true; }

  absl::Notification loading;
  absl::Notification release;
  std::atomic<bool> timed_out = false;
};

TEST(LobbyTest, ARoomLoadingItsHistoryHoldsUpNoOtherJoinNorTheRoomList) {
  LatchedSequencer sequencer;
  LobbyOptions options;
  options.room.log = RoomLogOptions{0, 100, 0};
  options.room.sequencer = &sequencer;
  options.notice_wake_interval = absl::ZeroDuration();
  Lobby lobby(options, RealClock::Default());
  NamedParticipant alice("alice"), bob("bob"), carol("carol");
  std::shared_ptr<Room> alice_room;
  std::thread first([&] { alice_room = Join(lobby, "slow", alice); });
  sequencer.loading.WaitForNotification();

  // alice's join is waiting for Redis; the lobby is not. The room stays though empty.
  EXPECT_THAT(lobby.List(), ElementsAre(Pair("general", 0u), Pair("slow", 0u)));
  std::shared_ptr<Room> other = Join(lobby, "other", bob);
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->member_count(), 1u);
  // A second joiner of the loading room waits for the same history.
  std::shared_ptr<Room> carol_room;
  std::thread second([&] { carol_room = Join(lobby, "slow", carol); });

  sequencer.release.Notify();
  first.join();
  second.join();
  EXPECT_FALSE(sequencer.timed_out);
  ASSERT_NE(alice_room, nullptr);
  EXPECT_EQ(alice_room, carol_room);
  EXPECT_EQ(alice_room->member_count(), 2u);
  EXPECT_EQ(alice.HistoryLines(*alice_room), 1u);
  EXPECT_EQ(carol.HistoryLines(*carol_room), 1u);
  EXPECT_THAT(lobby.List(),
              ElementsAre(Pair("general", 0u), Pair("other", 1u), Pair("slow", 2u)));
}

}  // namespace
}  // namespace chat

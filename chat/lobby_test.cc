#include "chat/lobby.h"

#include <string>
#include <utility>
#include <vector>

#include "chat/testing/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace chat {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

class NamedParticipant : public Participant {
 public:
  explicit NamedParticipant(std::string name) : name_(std::move(name)) {}
  void DeliverEvent(const SharedText& line) override { events.push_back(*line); }
  void DeliverWelcome(const std::vector<SharedText>& history) override {
    welcomes.push_back(history.size());
  }
  std::string DisplayName() const override { return name_; }
  std::vector<std::string> events;
  std::vector<size_t> welcomes;

 private:
  std::string name_;
};

SharedText T(std::string s) { return MakeShared(std::move(s)); }

TEST(LobbyTest, DefaultRoomAlwaysExists) {
  Lobby lobby(10, 5);
  EXPECT_EQ(lobby.default_room().name(), "general");
  EXPECT_THAT(lobby.List(), ElementsAre(Pair("general", 0u)));
}

TEST(LobbyTest, RoomsAreCreatedOnFirstJoinAndListedWithCounts) {
  Lobby lobby(10, 5);
  NamedParticipant alice("alice"), bob("bob"), carol("carol");
  ASSERT_NE(lobby.Join("general", &alice, T("a")), nullptr);
  std::shared_ptr<Room> random = lobby.Join("random", &bob, T("b"));
  ASSERT_NE(random, nullptr);
  EXPECT_EQ(lobby.Join("random", &carol, T("carol joined")), random);
  EXPECT_THAT(bob.events, ElementsAre("carol joined"));
  EXPECT_THAT(lobby.List(), ElementsAre(Pair("general", 1u), Pair("random", 2u)));
  EXPECT_THAT(random->MemberNames(), ElementsAre("bob", "carol"));
}

TEST(LobbyTest, EmptyRoomWithoutHistoryIsRemoved) {
  Lobby lobby(10, 5);
  NamedParticipant bob("bob");
  std::shared_ptr<Room> room = lobby.Join("scratch", &bob, T("b"));
  lobby.Leave(room, &bob, T("bye"));
  EXPECT_EQ(lobby.Find("scratch"), nullptr);
}

TEST(LobbyTest, EmptyRoomWithHistoryStays) {
  Lobby lobby(10, 5);
  NamedParticipant bob("bob"), carol("carol");
  std::shared_ptr<Room> room = lobby.Join("archive", &bob, T("b"));
  room->Broadcast(&bob, T("remember this"));
  lobby.Leave(room, &bob, T("bye"));
  ASSERT_EQ(lobby.Find("archive"), room);
  lobby.Join("archive", &carol, T("c"));
  EXPECT_THAT(carol.welcomes, ElementsAre(1u));  // the line was replayed
}

TEST(LobbyTest, DefaultRoomIsNeverRemoved) {
  Lobby lobby(10, 5);
  NamedParticipant alice("alice");
  lobby.Leave(lobby.Join("general", &alice, T("a")), &alice, T("bye"));
  EXPECT_NE(lobby.Find("general"), nullptr);
}

TEST(LobbyTest, RoomCountIsCapped) {
  Lobby lobby(10, 2);  // general + one more
  NamedParticipant a("a"), b("b");
  EXPECT_NE(lobby.Join("one", &a, T("a")), nullptr);
  EXPECT_EQ(lobby.Join("two", &b, T("b")), nullptr);
  EXPECT_NE(lobby.Join("general", &b, T("b")), nullptr);  // existing rooms still work
}

// The crash this pins: moving out of a room in which you are the last member and nothing
// was said removed the room inside Move(), and the caller then read the freed room. Under
// ASan this test fails with heap-use-after-free if the room is not kept alive.
TEST(LobbyTest, RoomRemovedByMoveStaysValidForItsHolder) {
  Lobby lobby(10, 5);
  NamedParticipant eve("eve");
  std::shared_ptr<Room> dev = lobby.Join("dev", &eve, T("eve joined"));
  ASSERT_NE(dev, nullptr);
  std::weak_ptr<Room> watch = dev;
  std::shared_ptr<Room> general = lobby.Move(dev, "general", &eve, T("left"), T("joined"));
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
  std::shared_ptr<Room> dev = lobby.Join("dev", &eve, T("eve joined"));
  lobby.Leave(dev, &eve, T("bye"));
  EXPECT_EQ(lobby.Find("dev"), nullptr);
  EXPECT_THAT(dev->MemberNames(), ::testing::IsEmpty());
}

TEST(LobbyTest, ARoomRecreatedUnderTheSameNameIsANewRoom) {
  Lobby lobby(10, 5);
  NamedParticipant a("a"), b("b");
  std::shared_ptr<Room> first = lobby.Join("dev", &a, T("a"));
  lobby.Leave(first, &a, T("bye"));
  std::shared_ptr<Room> second = lobby.Join("dev", &b, T("b"));
  EXPECT_NE(first, second);
  // Leaving the stale room again must not remove the new one.
  lobby.Leave(first, &a, T("bye again"));
  EXPECT_EQ(lobby.Find("dev"), second);
}

LobbyOptions Options() {
  LobbyOptions options;
  options.history = HistoryLimits{100, 0};
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
  std::shared_ptr<Room> room = lobby.Join("archive", &bob, T("b"));
  room->Broadcast(&bob, T("remember this"));
  lobby.Leave(room, &bob, T("bye"));
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
  std::shared_ptr<Room> room = lobby.Join("busy", &bob, T("b"));
  room->Broadcast(&bob, T("x"));
  lobby.default_room().Restore({T("old")});
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
  std::shared_ptr<Room> room = lobby.Join("old", &bob, T("b"));
  room->Broadcast(&bob, T("x"));
  lobby.Leave(room, &bob, T("bye"));
  JoinRefusal refusal = JoinRefusal::kNone;
  EXPECT_EQ(lobby.Join("new", &bob, T("b"), "", &refusal), nullptr);
  EXPECT_EQ(refusal, JoinRefusal::kTooManyRooms);
  clock.Advance(absl::Hours(1));
  EXPECT_NE(lobby.Join("new", &bob, T("b")), nullptr);
}

TEST(LobbyTest, OneCreatorCannotTakeAllTheRooms) {
  testing::FakeClock clock(absl::FromUnixSeconds(1'000'000));
  Lobby lobby(Options(), clock);
  NamedParticipant eve("eve"), ann("ann");
  for (const char* name : {"r1", "r2"}) {
    std::shared_ptr<Room> room = lobby.Join(name, &eve, T("e"), "10.0.0.66");
    ASSERT_NE(room, nullptr);
    room->Broadcast(&eve, T("x"));  // history keeps the room after eve leaves
    lobby.Leave(room, &eve, T("bye"));
  }
  JoinRefusal refusal = JoinRefusal::kNone;
  EXPECT_EQ(lobby.Join("r3", &eve, T("e"), "10.0.0.66", &refusal), nullptr);
  EXPECT_EQ(refusal, JoinRefusal::kTooManyOfYours);
  // Joining rooms that exist is still fine, and so is someone else creating one.
  EXPECT_NE(lobby.Join("r1", &eve, T("e"), "10.0.0.66"), nullptr);
  EXPECT_NE(lobby.Join("r3", &ann, T("a"), "10.0.0.7"), nullptr);
  // Once eve's rooms expire she may create again.
  clock.Advance(absl::Hours(2));
  EXPECT_NE(lobby.Join("r4", &eve, T("e"), "10.0.0.66"), nullptr);
}

TEST(LobbyTest, HistoryIsCappedAcrossRoomsLargestFirst) {
  testing::FakeClock clock(absl::FromUnixSeconds(1'000'000));
  LobbyOptions options = Options();
  const size_t line = HistoryCharge(std::string(100, 'x'));
  options.max_history_bytes = 10 * line;
  Lobby lobby(options, clock);
  NamedParticipant a("a"), b("b");
  std::shared_ptr<Room> big = lobby.Join("big", &a, T("a"));
  std::shared_ptr<Room> small = lobby.Join("small", &b, T("b"));
  for (int i = 0; i < 2; ++i) small->Broadcast(&b, T(std::string(100, 'x')));
  for (int i = 0; i < 20; ++i) {
    big->Broadcast(&a, T(std::string(100, 'x')));
    lobby.EnforceHistoryBudget();
    ASSERT_LE(lobby.history_budget().used(), 10 * line);
  }
  EXPECT_EQ(small->History().size(), 2u);  // the quiet room keeps its lines
  EXPECT_EQ(big->History().size(), 8u);
}

TEST(LobbyTest, RoomHistoryIsBoundedInBytes) {
  testing::FakeClock clock(absl::FromUnixSeconds(1'000'000));
  LobbyOptions options = Options();
  const size_t line = HistoryCharge(std::string(100, 'x'));
  options.history = HistoryLimits{1000, 5 * line};
  Lobby lobby(options, clock);
  NamedParticipant a("a");
  std::shared_ptr<Room> room = lobby.Join("r", &a, T("a"));
  for (int i = 0; i < 20; ++i) room->Broadcast(&a, T(std::string(100, 'x')));
  EXPECT_EQ(room->History().size(), 5u);
  EXPECT_EQ(room->history_bytes(), 5 * line);
  EXPECT_EQ(lobby.history_budget().used(), 5 * line);
}

TEST(LobbyTest, RemovedRoomsGiveTheirHistoryBytesBack) {
  testing::FakeClock clock(absl::FromUnixSeconds(1'000'000));
  Lobby lobby(Options(), clock);
  NamedParticipant a("a");
  std::shared_ptr<Room> room = lobby.Join("r", &a, T("a"));
  room->Broadcast(&a, T("hello"));
  lobby.Leave(room, &a, T("bye"));
  EXPECT_GT(lobby.history_budget().used(), 0u);
  room.reset();
  clock.Advance(absl::Hours(1));
  lobby.List();
  EXPECT_EQ(lobby.history_budget().used(), 0u);
}

}  // namespace
}  // namespace chat

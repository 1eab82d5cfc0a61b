#include "chat/lobby.h"

#include <string>
#include <utility>
#include <vector>

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
  Room* random = lobby.Join("random", &bob, T("b"));
  ASSERT_NE(random, nullptr);
  EXPECT_EQ(lobby.Join("random", &carol, T("carol joined")), random);
  EXPECT_THAT(bob.events, ElementsAre("carol joined"));
  EXPECT_THAT(lobby.List(), ElementsAre(Pair("general", 1u), Pair("random", 2u)));
  EXPECT_THAT(random->MemberNames(), ElementsAre("bob", "carol"));
}

TEST(LobbyTest, RoomNamesCompareByKeyAndKeepTheirFirstSpelling) {
  Lobby lobby(10, 5);
  NamedParticipant alice("alice"), bob("bob"), carol("carol");
  Room* dev = lobby.Join("Dev", &alice, T("a"));
  ASSERT_NE(dev, nullptr);
  EXPECT_EQ(lobby.Join("DEV", &bob, T("b")), dev);
  EXPECT_EQ(lobby.Join("D\xD0\xB5v", &carol, T("c")), dev);  // Cyrillic е
  EXPECT_EQ(lobby.Find("dev"), dev);
  EXPECT_EQ(dev->name(), "Dev");
  EXPECT_EQ(lobby.Move(dev, "GENERAL", &carol, T("l"), T("j")), &lobby.default_room());
  EXPECT_THAT(lobby.List(), ElementsAre(Pair("Dev", 2u), Pair("general", 1u)));
  lobby.Leave(dev, &alice, T("bye"));
  lobby.Leave(dev, &bob, T("bye"));
  EXPECT_EQ(lobby.Find("Dev"), nullptr);  // removed by its key
}

TEST(LobbyTest, EmptyRoomWithoutHistoryIsRemoved) {
  Lobby lobby(10, 5);
  NamedParticipant bob("bob");
  Room* room = lobby.Join("scratch", &bob, T("b"));
  lobby.Leave(room, &bob, T("bye"));
  EXPECT_EQ(lobby.Find("scratch"), nullptr);
}

TEST(LobbyTest, EmptyRoomWithHistoryStays) {
  Lobby lobby(10, 5);
  NamedParticipant bob("bob"), carol("carol");
  Room* room = lobby.Join("archive", &bob, T("b"));
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

}  // namespace
}  // namespace chat

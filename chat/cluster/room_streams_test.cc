#include "chat/cluster/room_streams.h"

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "chat/core/lobby.h"
#include "chat/metrics/metrics.h"
#include "chat/testing/redis_server.h"
#include "gtest/gtest.h"

namespace chat::cluster {
namespace {

class NullWaker : public Waker {
 public:
  void Wake() override {}
};

class Member : public RoomMember {
 public:
  explicit Member(std::string name) : name_(std::move(name)) {}
  std::string DisplayName() const override { return name_; }
  void OnFellBehind() override {}

 private:
  std::string name_;
};

// One server's share of the chat: its lobby, fed by its own RoomStreams.
struct Instance {
  Instance(const std::string& id, int redis_port,
           const std::function<void(RoomStreamsOptions&)>& tweak = {})
      : streams([&] {
          RoomStreamsOptions options;
          options.address = {"127.0.0.1", redis_port};
          options.instance_id = id;
          options.timeout = absl::Seconds(2);
          options.max_len = 1000;
          options.history_lines = 1000;
          options.backoff_max = absl::Milliseconds(200);
          if (tweak) tweak(options);
          return options;
        }()),
        lobby([&] {
          LobbyOptions options;
          options.room.log = RoomLogOptions{0, 1000, 0};
          options.room.sequencer = &streams;
          options.notice_wake_interval = absl::ZeroDuration();
          return options;
        }(), RealClock::Default()) {
    streams.Start();
  }
  ~Instance() { streams.Stop(); }

  JoinPosition Join(const std::string& room, uint64_t id, Member* member) {
    Joiner joiner;
    joiner.id = id;
    joiner.member = member;
    joiner.waker = std::make_shared<NullWaker>();
    RoomEntry entry = lobby.Join(room, joiner,
                                 MakeEvent(Event::Kind::kJoin, absl::Now(), member->DisplayName(),
                                           {}, id));
    rooms.push_back(entry.room);
    return entry.position;
  }

  RoomStreams streams;
  Lobby lobby;
  std::vector<std::shared_ptr<Room>> rooms;
};

// Everything the room's log holds now, as "kind:name:text" (all kinds).
std::vector<std::string> LogOf(Room& room) {
  std::vector<std::string> out;
  const auto membership = std::make_shared<Membership>(0, nullptr, nullptr, 0, 1);
  bool lost = false;
  EventSpan span = room.Read(*membership, 1, SIZE_MAX, &lost);
  span.ForEach([&](const Event& e) {
    out.push_back(absl::StrCat(static_cast<int>(e.kind), ":", e.name, ":", e.text));
  });
  return out;
}

std::vector<std::string> Lines(const std::vector<EventPtr>& history) {
  std::vector<std::string> out;
  for (const auto& e : history) out.push_back(absl::StrCat(e->name, ": ", e->text));
  return out;
}

// Polls (generous deadline: sanitizer builds on a busy machine) until `done`.
template <typename F>
bool Eventually(F done) {
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (!done()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

class RoomStreamsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(redis_.Start().ok()); }
  testing::RedisServer redis_;
};

TEST_F(RoomStreamsTest, LinesReachEveryInstanceInOneOrder) {
  Instance a("a:1", redis_.port());
  Instance b("b:2", redis_.port());
  Member alice("alice"), bob("bob");
  a.Join("dev", 1, &alice);
  b.Join("dev", 1, &bob);  // the same member id on another instance is someone else
  Room& room_a = *a.rooms.back();
  Room& room_b = *b.rooms.back();

  constexpr int kLines = 200;
  std::thread ta([&] {
    for (int i = 0; i < kLines; ++i) {
      ASSERT_TRUE(room_a.Post(MakeEvent(Event::Kind::kChat, absl::Now(), "alice",
                                        absl::StrCat("a", i), 1)));
    }
  });
  std::thread tb([&] {
    for (int i = 0; i < kLines; ++i) {
      ASSERT_TRUE(room_b.Post(MakeEvent(Event::Kind::kChat, absl::Now(), "bob",
                                        absl::StrCat("b", i), 1)));
    }
  });
  ta.join();
  tb.join();
  ASSERT_TRUE(Eventually([&] {
    return room_a.History().size() == 2 * kLines && room_b.History().size() == 2 * kLines;
  })) << room_a.History().size() << " " << room_b.History().size();
  const std::vector<std::string> on_a = Lines(room_a.History());
  EXPECT_EQ(on_a, Lines(room_b.History()));
  // Each speaker's own lines keep the order they were said in.
  int next_a = 0, next_b = 0;
  for (const std::string& line : on_a) {
    if (line.starts_with("alice")) {
      EXPECT_EQ(line, absl::StrCat("alice: a", next_a++));
    } else {
      EXPECT_EQ(line, absl::StrCat("bob: b", next_b++));
    }
  }
  // Joins are shared too, in the same order on both.
  ASSERT_TRUE(Eventually([&] { return LogOf(room_a) == LogOf(room_b); }));
  // A member's own events are its own only where it is: alice (1 on a) posted; on b,
  // member 1 is bob, who must see them.
  for (const EventPtr& e : room_b.History()) {
    EXPECT_EQ(e->origin, e->name == "bob" ? 1u : 0u) << e->name;
  }
  for (const EventPtr& e : room_a.History()) {
    EXPECT_EQ(e->origin, e->name == "alice" ? 1u : 0u) << e->name;
  }
}

TEST_F(RoomStreamsTest, ALateJoinerElsewhereGetsTheHistoryInOrder) {
  Instance a("a:1", redis_.port());
  Member alice("alice");
  a.Join("dev", 1, &alice);
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(a.rooms.back()->Post(
        MakeEvent(Event::Kind::kChat, absl::Now(), "alice", absl::StrCat("line ", i), 1)));
  }
  Instance b("b:2", redis_.port());
  ASSERT_TRUE(Eventually([&] { return b.streams.redis_up(); }));
  Member carol("carol");
  const JoinPosition position = b.Join("DEV", 5, &carol);  // any spelling: one room
  // The history is in before the join position is taken: the replay has all of it.
  Room& room_b = *b.rooms.back();
  std::vector<std::string> replay;
  for (uint64_t seq = position.history_from; seq < position.live_from;) {
    EventSpan span = room_b.ReadHistory(seq, position.live_from, SIZE_MAX);
    if (span.empty()) break;
    span.ForEach([&](const Event& e) {
      if (e.is_history()) replay.push_back(e.text);
    });
    seq = span.end;
  }
  ASSERT_EQ(replay.size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(replay[i], absl::StrCat("line ", i));
}

TEST_F(RoomStreamsTest, RedisDownRefusesLinesAndRedisBackCarriesThemAgain) {
  Instance a("a:1", redis_.port());
  Instance b("b:2", redis_.port());
  Member alice("alice"), bob("bob");
  a.Join("dev", 1, &alice);
  b.Join("dev", 2, &bob);
  Room& room_a = *a.rooms.back();
  Room& room_b = *b.rooms.back();
  ASSERT_TRUE(room_a.Post(MakeEvent(Event::Kind::kChat, absl::Now(), "alice", "before", 1)));
  ASSERT_TRUE(Eventually([&] { return room_b.History().size() == 1; }));

  redis_.Kill9();
  // Nothing is stored while Redis is away, and the speaker learns it.
  EXPECT_FALSE(room_a.Post(MakeEvent(Event::Kind::kChat, absl::Now(), "alice", "lost", 1)));
  ASSERT_TRUE(Eventually([&] { return !a.streams.redis_up() && !b.streams.redis_up(); }));
  EXPECT_FALSE(room_b.Post(MakeEvent(Event::Kind::kChat, absl::Now(), "bob", "lost too", 2)));

  // Restarted empty (no persistence in this one): both instances reconnect, and lines
  // flow again from then on.
  ASSERT_TRUE(redis_.Restart().ok());
  ASSERT_TRUE(Eventually([&] { return a.streams.redis_up() && b.streams.redis_up(); }));
  ASSERT_TRUE(Eventually([&] {
    return room_b.Post(MakeEvent(Event::Kind::kChat, absl::Now(), "bob", "after", 2));
  }));
  ASSERT_TRUE(Eventually([&] {
    const auto h = Lines(room_a.History());
    return !h.empty() && h.back() == "bob: after";
  }));
  for (const std::string& line : Lines(room_a.History())) EXPECT_EQ(line.find("lost"), std::string::npos);
}

TEST_F(RoomStreamsTest, SurvivesACrashWithAppendOnlyRedisAndResumesFromTheLastEntry) {
  testing::RedisServer durable(/*append_only=*/true);
  ASSERT_TRUE(durable.Start().ok());
  Instance a("a:1", durable.port());
  Instance b("b:2", durable.port());
  Member alice("alice"), bob("bob");
  a.Join("dev", 1, &alice);
  b.Join("dev", 2, &bob);
  Room& room_a = *a.rooms.back();
  Room& room_b = *b.rooms.back();
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(room_a.Post(MakeEvent(Event::Kind::kChat, absl::Now(), "alice",
                                      absl::StrCat("x", i), 1)));
  }
  ASSERT_TRUE(Eventually([&] { return room_b.History().size() == 5; }));
  durable.Kill9();
  ASSERT_TRUE(durable.Restart().ok());
  ASSERT_TRUE(Eventually([&] {
    return room_a.Post(MakeEvent(Event::Kind::kChat, absl::Now(), "alice", "y", 1));
  }));
  // Acknowledged lines survived the crash, so the follower resumes after them: nothing
  // is delivered twice.
  ASSERT_TRUE(Eventually(
      [&] { return room_a.History().size() == 6 && room_b.History().size() == 6; }));
  EXPECT_EQ(Lines(room_b.History()), Lines(room_a.History()));
  // And a newcomer elsewhere loads all six from Redis.
  Instance c("c:3", durable.port());
  ASSERT_TRUE(Eventually([&] { return c.streams.redis_up(); }));
  Member carol("carol");
  c.Join("dev", 1, &carol);
  EXPECT_EQ(Lines(c.rooms.back()->History()), Lines(room_a.History()));
}


TEST_F(RoomStreamsTest, ARoomRemovedWhileFollowedIsDroppedAndFollowedAgainWhenRecreated) {
  Instance a("a:1", redis_.port());
  Instance b("b:2", redis_.port());
  Member alice("alice"), bob("bob"), carol("carol");
  b.Join("dev", 2, &bob);
  Room& room_b = *b.rooms.back();
  ASSERT_TRUE(room_b.Post(MakeEvent(Event::Kind::kChat, absl::Now(), "bob", "before", 2)));
  std::weak_ptr<Room> first;
  {
    Joiner joiner;
    joiner.id = 1;
    joiner.member = &alice;
    joiner.waker = std::make_shared<NullWaker>();
    RoomEntry entry = a.lobby.Join("side", joiner, nullptr);
    ASSERT_NE(entry.room, nullptr);
    first = entry.room;
    // Nothing was said in it: the lobby drops it as soon as alice leaves, while the
    // follower's XREAD (blocking) names its stream.
    a.lobby.Leave(entry.room, entry.position.membership, nullptr);
  }
  ASSERT_TRUE(first.expired());
  EXPECT_EQ(a.lobby.Find("side"), nullptr);

  // Entries for the removed room arrive; nobody here holds it any more.
  Member bob_side("bob");
  b.Join("side", 2, &bob_side);
  Room& side_b = *b.rooms.back();
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(side_b.Post(MakeEvent(Event::Kind::kChat, absl::Now(), "bob",
                                      absl::StrCat("while gone ", i), 2)));
  }
  // The follower goes on with the other rooms.
  Member dan("dan");
  a.Join("dev", 4, &dan);
  Room& room_a = *a.rooms.back();
  ASSERT_TRUE(room_b.Post(MakeEvent(Event::Kind::kChat, absl::Now(), "bob", "after", 2)));
  ASSERT_TRUE(Eventually([&] {
    return Lines(room_a.History()).size() == 2 && Lines(room_b.History()).size() == 2;
  }));
  EXPECT_EQ(Lines(room_a.History()), Lines(room_b.History()));

  // Re-created, the room is followed again: its history first, then what is said live,
  // each once, in the stream's order.
  ASSERT_TRUE(Eventually([&] { return Lines(side_b.History()).size() == 5; }));
  a.Join("side", 3, &carol);
  Room& side_a = *a.rooms.back();
  EXPECT_EQ(Lines(side_a.History()), Lines(side_b.History()));
  ASSERT_TRUE(side_b.Post(MakeEvent(Event::Kind::kChat, absl::Now(), "bob", "back", 2)));
  ASSERT_TRUE(Eventually([&] {
    return Lines(side_a.History()).size() == 6 && Lines(side_b.History()).size() == 6;
  })) << Lines(side_a.History()).size();
  EXPECT_EQ(Lines(side_a.History()), Lines(side_b.History()));
  ASSERT_TRUE(Eventually([&] { return LogOf(side_a) == LogOf(side_b); }));
}


TEST_F(RoomStreamsTest, ARedisThatStallsBoundsWhatWaitsForItAndLinesFailAtOnce) {
  metrics::Counter lines_full, notices_full, lines_down, notices_down;
  Instance a("a:1", redis_.port(), [&](RoomStreamsOptions& options) {
    options.max_pending_bytes = 4096;
    // Nothing times out while Redis is paused: only the byte bound can refuse.
    options.timeout = absl::Minutes(10);
    options.counters = {&lines_down, &notices_down, &lines_full, &notices_full};
  });
  Member alice("alice");
  a.Join("dev", 1, &alice);
  Room& room = *a.rooms.back();
  ASSERT_TRUE(room.Post(MakeEvent(Event::Kind::kChat, absl::Now(), "alice", "before", 1)));

  redis_.Pause();
  // Notices are queued until 4 KiB wait, then dropped.
  int queued = 0;
  while (queued < 10000 &&
         a.streams.Publish(room, *MakeEvent(Event::Kind::kRename, absl::Now(), "alice",
                                            std::string(100, 'x'), 1),
                           /*wait=*/false)) {
    ++queued;
  }
  EXPECT_GT(queued, 0);
  EXPECT_LT(queued, 10000);
  EXPECT_EQ(notices_full.value(), 1u);
  // A line is refused at once, as during an outage, though Redis would answer it in
  // the end (no timeout): this returns while Redis is still paused.
  EXPECT_FALSE(room.Post(MakeEvent(Event::Kind::kChat, absl::Now(), "alice", "refused", 1)));
  EXPECT_EQ(lines_full.value(), 1u);

  redis_.Resume();
  ASSERT_TRUE(Eventually([&] {
    return room.Post(MakeEvent(Event::Kind::kChat, absl::Now(), "alice", "after", 1));
  }));
  // What was queued got through; what was refused did not.
  ASSERT_TRUE(Eventually([&] {
    const auto h = Lines(room.History());
    return !h.empty() && h.back() == "alice: after";
  }));
  EXPECT_EQ(Lines(room.History()), (std::vector<std::string>{"alice: before", "alice: after"}));
  size_t renames = 0;
  for (const std::string& e : LogOf(room)) renames += e.starts_with(absl::StrCat(
                                                          static_cast<int>(Event::Kind::kRename), ":"));
  EXPECT_EQ(renames, static_cast<size_t>(queued));
  EXPECT_EQ(lines_down.value(), 0u);
  EXPECT_EQ(notices_down.value(), 0u);
}

TEST_F(RoomStreamsTest, LinesAndNoticesRedisDidNotTakeAreCounted) {
  metrics::Counter lines_full, notices_full, lines_down, notices_down;
  Instance a("a:1", redis_.port(), [&](RoomStreamsOptions& options) {
    options.counters = {&lines_down, &notices_down, &lines_full, &notices_full};
  });
  Member alice("alice");
  a.Join("dev", 1, &alice);
  Room& room = *a.rooms.back();
  ASSERT_TRUE(room.Post(MakeEvent(Event::Kind::kChat, absl::Now(), "alice", "before", 1)));
  EXPECT_EQ(lines_down.value(), 0u);
  redis_.Kill9();
  EXPECT_FALSE(room.Post(MakeEvent(Event::Kind::kChat, absl::Now(), "alice", "lost", 1)));
  EXPECT_EQ(lines_down.value(), 1u);
  a.streams.Publish(room, *MakeEvent(Event::Kind::kRename, absl::Now(), "alice", "x", 1),
                    /*wait=*/false);
  EXPECT_TRUE(Eventually([&] { return notices_down.value() == 1u; }));
  EXPECT_EQ(lines_full.value() + notices_full.value(), 0u);
}

}  // namespace
}  // namespace chat::cluster

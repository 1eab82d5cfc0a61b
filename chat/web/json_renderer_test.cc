#include "chat/web/json_renderer.h"

#include <string>

#include <nlohmann/json.hpp>

#include "absl/time/civil_time.h"
#include "chat/core/room.h"
#include "gtest/gtest.h"

namespace chat {
namespace {

using Json = nlohmann::json;

const absl::Time kTime = absl::FromCivil(absl::CivilSecond(2026, 11, 27, 12, 0, 0),
                                         absl::UTCTimeZone());

// Every line of `out` parsed; also checks that `out` is whole lines of JSON.
std::vector<Json> Lines(const std::string& out) {
  std::vector<Json> lines;
  size_t start = 0;
  while (start < out.size()) {
    const size_t end = out.find('\n', start);
    EXPECT_NE(end, std::string::npos) << "unterminated: " << out.substr(start);
    if (end == std::string::npos) break;
    lines.push_back(Json::parse(out.substr(start, end - start)));
    start = end + 1;
  }
  return lines;
}

// Logs `renderer` in as `name` (alice), in `room` (general); returns what that drew.
std::string LoggedIn(JsonRenderer& renderer, std::string_view name = "alice",
                     std::string_view room_name = "general") {
  const Room room(std::string(room_name), RoomOptions{});
  std::string out;
  renderer.BeginBatch(kTime, name);
  renderer.Enter(room, &out);
  renderer.Prompt(&out);
  return out;
}

TEST(JsonRendererTest, LiveEventsAreOneObjectPerLineWithUtcTimes) {
  JsonRenderer renderer;
  LoggedIn(renderer);
  std::string out;
  renderer.Live(*MakeEvent(Event::Kind::kChat, kTime, "bob", "hi \"there\""), &out);
  renderer.Live(*MakeEvent(Event::Kind::kEmote, kTime, "bob", "waves"), &out);
  renderer.Live(*MakeEvent(Event::Kind::kJoin, kTime, "carol"), &out);
  renderer.Live(*MakeEvent(Event::Kind::kLeave, kTime, "carol"), &out);
  renderer.Live(*MakeEvent(Event::Kind::kRename, kTime, "bob", "rob"), &out);
  renderer.Live(*MakeEvent(Event::Kind::kPrivate, kTime, "rob", "psst"), &out);
  EXPECT_EQ(out.substr(0, out.find('\n')),
            R"({"type":"chat","room":"general","time":"2026-11-27T12:00:00Z","name":"bob",)"
            R"("text":"hi \"there\""})");
  const std::vector<Json> lines = Lines(out);
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_EQ(lines[1], Json::parse(R"({"type":"emote","room":"general",
      "time":"2026-11-27T12:00:00Z","name":"bob","text":"waves"})"));
  EXPECT_EQ(lines[2], Json::parse(R"({"type":"join","room":"general",
      "time":"2026-11-27T12:00:00Z","name":"carol"})"));
  EXPECT_EQ(lines[3]["type"], "leave");
  EXPECT_EQ(lines[4], Json::parse(R"({"type":"rename","room":"general",
      "time":"2026-11-27T12:00:00Z","name":"bob","new_name":"rob"})"));
  EXPECT_EQ(lines[5], Json::parse(R"({"type":"private","to":"alice",
      "time":"2026-11-27T12:00:00Z","name":"rob","text":"psst"})"));
}

TEST(JsonRendererTest, EnteringARoomIsOneWelcomeWithMembersAndHistory) {
  JsonRenderer renderer;
  Room room("dev", RoomOptions{});
  renderer.BeginBatch(kTime, "alice");
  std::string out;
  renderer.Notice(NoticeKind::kReply, "You are now in dev.", &out);
  renderer.Enter(room, &out);
  renderer.History(*MakeEvent(Event::Kind::kChat, kTime, "bob", "one"), &out);
  renderer.History(*MakeEvent(Event::Kind::kEmote, kTime, "bob", "two"), &out);
  renderer.Prompt(&out);
  const std::vector<Json> lines = Lines(out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], Json::parse(R"({"type":"reply","text":"You are now in dev."})"));
  EXPECT_EQ(lines[1]["type"], "welcome");
  EXPECT_EQ(lines[1]["name"], "alice");
  EXPECT_EQ(lines[1]["room"], "dev");
  EXPECT_EQ(lines[1]["users"], Json::array());
  ASSERT_EQ(lines[1]["history"].size(), 2u);
  EXPECT_EQ(lines[1]["history"][0]["text"], "one");
  EXPECT_EQ(lines[1]["history"][1]["type"], "emote");
  // Later prompts say nothing: the page has its own input line.
  out.clear();
  renderer.Prompt(&out);
  EXPECT_EQ(out, "");
}

TEST(JsonRendererTest, AnEmptyHistoryIsAnEmptyArray) {
  JsonRenderer renderer;
  EXPECT_EQ(LoggedIn(renderer),
            R"({"type":"welcome","name":"alice","room":"general","users":[],"history":[]})"
            "\n");
}

TEST(JsonRendererTest, ARenameIsAnnouncedAtTheNextPrompt) {
  JsonRenderer renderer;
  LoggedIn(renderer);
  std::string out;
  renderer.BeginBatch(kTime, "alicia");
  renderer.Notice(NoticeKind::kReply, "You are now known as alicia.", &out);
  renderer.Prompt(&out);
  renderer.Prompt(&out);  // once only
  EXPECT_EQ(out,
            "{\"type\":\"reply\",\"text\":\"You are now known as alicia.\"}\n"
            "{\"type\":\"name\",\"name\":\"alicia\"}\n");
}

TEST(JsonRendererTest, NoticesByKind) {
  JsonRenderer renderer;
  std::string out;
  renderer.BeginBatch(kTime, "");
  renderer.Notice(NoticeKind::kBanner, "Welcome to TCP-Chat!\n  _nnnn_", &out);
  renderer.Notice(NoticeKind::kNamePrompt, "", &out);
  renderer.Notice(NoticeKind::kError, "Name cannot be empty.", &out);
  renderer.Notice(NoticeKind::kGoodbye, "Server is shutting down. Goodbye!", &out);
  renderer.Notice(NoticeKind::kProtocol, "{\"type\":\"pong\"}\n", &out);
  EXPECT_EQ(out,
            "{\"type\":\"banner\",\"text\":\"Welcome to TCP-Chat!\\n  _nnnn_\"}\n"
            "{\"type\":\"error\",\"text\":\"Name cannot be empty.\"}\n"
            "{\"type\":\"goodbye\",\"text\":\"Server is shutting down. Goodbye!\"}\n"
            "{\"type\":\"pong\"}\n");
}

TEST(JsonRendererTest, PasswordPromptSaysWhichPassword) {
  JsonRenderer renderer;
  std::string out;
  renderer.BeginBatch(kTime, "");
  renderer.Notice(NoticeKind::kSecretPrompt, "REPEAT PASSWORD", &out);
  EXPECT_EQ(out, "{\"type\":\"password_prompt\",\"text\":\"REPEAT PASSWORD\"}\n");
}

TEST(JsonRendererTest, MessageOfTheDayHasItsOwnType) {
  JsonRenderer renderer;
  std::string out;
  renderer.BeginBatch(kTime, "alice");
  renderer.Notice(NoticeKind::kMotd, "Be nice.\nNo spam.", &out);
  EXPECT_EQ(out, "{\"type\":\"motd\",\"text\":\"Be nice.\\nNo spam.\"}\n");
}

TEST(JsonRendererTest, ControlCharactersAreEscapedAndBadUtf8IsReplacedNotThrown) {
  JsonRenderer renderer;
  std::string out;
  renderer.BeginBatch(kTime, "");
  renderer.Notice(NoticeKind::kReply, std::string("a\x01\nb\xff", 5), &out);
  EXPECT_EQ(out, "{\"type\":\"reply\",\"text\":\"a\\u0001\\nb\xEF\xBF\xBD\"}\n");
}

// Events are written member by member (the hot path of every web delivery); the bytes
// must be exactly those of the ordered tree they replaced, for any text.
TEST(JsonRendererTest, EventsAreTheBytesOfTheOrderedTree) {
  using Ordered = nlohmann::ordered_json;
  const std::string texts[] = {"",
                               "plain text, 100% ASCII ~!@#$^&*()",
                               "quote \" and backslash \\",
                               "tab\tnewline\ncontrol\x01\x1f del\x7f",
                               "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80",
                               "bad \xff\xfe utf-8 \xC3",
                               "</script><!-- {\"type\":\"chat\"} -->"};
  for (const std::string& text : texts) {
    SCOPED_TRACE(text);
    JsonRenderer renderer;
    LoggedIn(renderer);
    std::string out;
    renderer.Live(*MakeEvent(Event::Kind::kChat, kTime, "bob", text), &out);
    renderer.Live(*MakeEvent(Event::Kind::kPrivate, kTime, "rob", text), &out);
    renderer.Live(*MakeEvent(Event::Kind::kRename, kTime, "bob", text), &out);
    renderer.Live(*MakeEvent(Event::Kind::kJoin, kTime, "carol"), &out);
    std::string expected;
    const auto dump = [&](const Ordered& json) {
      expected += json.dump(-1, ' ', false, Ordered::error_handler_t::replace) + "\n";
    };
    dump(Ordered{{"type", "chat"}, {"room", "general"}, {"time", "2026-11-27T12:00:00Z"},
                 {"name", "bob"}, {"text", text}});
    dump(Ordered{{"type", "private"}, {"to", "alice"}, {"time", "2026-11-27T12:00:00Z"},
                 {"name", "rob"}, {"text", text}});
    dump(Ordered{{"type", "rename"}, {"room", "general"}, {"time", "2026-11-27T12:00:00Z"},
                 {"name", "bob"}, {"new_name", text}});
    dump(Ordered{{"type", "join"}, {"room", "general"}, {"time", "2026-11-27T12:00:00Z"},
                 {"name", "carol"}});
    EXPECT_EQ(out, expected);
  }
}

// A room event is drawn once and its bytes serve every JSON reader in the room: the
// second reader gets exactly what a fresh drawing would give.
TEST(JsonRendererTest, ReadersInOneRoomShareOneDrawingOfAnEvent) {
  JsonRenderer alice;
  JsonRenderer carol;
  LoggedIn(alice);
  LoggedIn(carol, "carol", "general");
  for (const Event::Kind kind : {Event::Kind::kChat, Event::Kind::kEmote, Event::Kind::kJoin,
                                 Event::Kind::kLeave, Event::Kind::kRename,
                                 Event::Kind::kModeration}) {
    const auto event = MakeEvent(kind, kTime, "bob", "hi \"there\" caf\xC3\xA9");
    const auto twin = MakeEvent(kind, kTime, "bob", "hi \"there\" caf\xC3\xA9");
    std::string first;
    alice.Live(*event, &first);
    ASSERT_NE(event->rendered.Find(JsonRenderer::CacheKey(), "general"), nullptr)
        << "not kept";
    std::string second = "before";
    carol.Live(*event, &second);
    std::string fresh = "before";
    carol.Live(*twin, &fresh);  // drawn, not copied: the twin's cache was empty
    EXPECT_EQ(second, "before" + first);
    EXPECT_EQ(second, fresh);
  }
}

// What depends on the reader is never shared: the room (a reader elsewhere draws its
// own) and a private message's "to".
TEST(JsonRendererTest, AReaderInAnotherRoomOrOfAPrivateMessageDrawsItsOwn) {
  JsonRenderer alice;
  LoggedIn(alice);
  JsonRenderer carol;
  LoggedIn(carol, "carol", "general");
  JsonRenderer dave;
  LoggedIn(dave, "dave", "dev");
  const auto said = MakeEvent(Event::Kind::kChat, kTime, "bob", "hi");
  const auto whispered = MakeEvent(Event::Kind::kPrivate, kTime, "bob", "psst");
  std::string to_alice;
  alice.Live(*said, &to_alice);
  alice.Live(*whispered, &to_alice);
  std::string to_carol;
  carol.Live(*whispered, &to_carol);
  std::string to_dave;
  dave.Live(*said, &to_dave);
  EXPECT_EQ(Lines(to_alice).at(0)["room"], "general");
  EXPECT_EQ(Lines(to_dave).at(0)["room"], "dev");
  EXPECT_EQ(Lines(to_alice).at(1)["to"], "alice");
  EXPECT_EQ(Lines(to_carol).at(0)["to"], "carol");
  EXPECT_EQ(whispered->rendered.Find(JsonRenderer::CacheKey(), "general"), nullptr);
}

// History in a welcome is the same object as a live line, so a replay copies it too.
TEST(JsonRendererTest, HistoryUsesTheSharedDrawing) {
  JsonRenderer alice;
  LoggedIn(alice);
  const auto event = MakeEvent(Event::Kind::kChat, kTime, "bob", "one");
  std::string live;
  alice.Live(*event, &live);
  JsonRenderer carol;
  const Room room("general", RoomOptions{});
  std::string out;
  carol.BeginBatch(kTime, "carol");
  carol.Enter(room, &out);
  carol.History(*event, &out);
  carol.Prompt(&out);
  const std::vector<Json> lines = Lines(out);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["history"].at(0), Json::parse(live));
  EXPECT_NE(out.find(live.substr(0, live.size() - 1)), std::string::npos);
}

}  // namespace
}  // namespace chat

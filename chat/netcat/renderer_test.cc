#include "chat/netcat/renderer.h"

#include <string>

#include "absl/time/civil_time.h"
#include "gtest/gtest.h"

namespace chat {
namespace {

const absl::Time kTime = absl::FromCivil(absl::CivilSecond(2026, 11, 23, 18, 30, 9),
                                         absl::UTCTimeZone());

std::string Line(Event::Kind kind, std::string name, std::string text = {}) {
  NetcatRenderer renderer(absl::UTCTimeZone());
  std::string out;
  renderer.AppendLine(*MakeEvent(kind, kTime, std::move(name), std::move(text)), &out);
  return out;
}

TEST(NetcatRendererTest, EachKindOfEventLooksAsTheProtocolSays) {
  EXPECT_EQ(Line(Event::Kind::kChat, "Lee", "Hello, everyone!"),
            "[2026-11-23 18:30:09][Lee]:Hello, everyone!");
  EXPECT_EQ(Line(Event::Kind::kEmote, "alice", "waves"), "[2026-11-23 18:30:09] * alice waves");
  EXPECT_EQ(Line(Event::Kind::kJoin, "Lee"), "Lee has joined our chat...");
  EXPECT_EQ(Line(Event::Kind::kLeave, "Lee"), "Lee has left our chat...");
  EXPECT_EQ(Line(Event::Kind::kRename, "old", "new"), "old changed their name to new");
  EXPECT_EQ(Line(Event::Kind::kPrivate, "alice", "psst"), "[2026-11-23 18:30:09][alice -> you]:psst");
}

TEST(NetcatRendererTest, LiveEventsRedrawThePromptHistoryDoesNot) {
  NetcatRenderer renderer(absl::UTCTimeZone());
  renderer.BeginBatch(kTime + absl::Seconds(6), "Yenlik");
  const auto hi = MakeEvent(Event::Kind::kChat, kTime, "Lee", "hi");
  std::string out;
  renderer.Live(*hi, &out);
  EXPECT_EQ(out, "\n[2026-11-23 18:30:09][Lee]:hi\n[2026-11-23 18:30:15][Yenlik]:");
  out.clear();
  renderer.History(*hi, &out);
  renderer.Prompt(&out);
  EXPECT_EQ(out, "[2026-11-23 18:30:09][Lee]:hi\n[2026-11-23 18:30:15][Yenlik]:");
}

// One reader's drawing of a room event serves the others (see render_cache.h): each
// still gets its own prompt, and a reader in another time zone draws its own line.
TEST(NetcatRendererTest, ReadersShareTheDrawnLineButNotThePromptOrTheZone) {
  const auto hi = MakeEvent(Event::Kind::kChat, kTime, "Lee", "hi");
  NetcatRenderer first(absl::UTCTimeZone());
  first.BeginBatch(kTime, "Yenlik");
  std::string out;
  first.Live(*hi, &out);
  EXPECT_EQ(out, "\n[2026-11-23 18:30:09][Lee]:hi\n[2026-11-23 18:30:09][Yenlik]:");
  ASSERT_NE(hi->rendered.Find(NetcatRenderer::CacheKey(), "UTC"), nullptr);

  NetcatRenderer second(absl::UTCTimeZone());
  second.BeginBatch(kTime + absl::Seconds(1), "Alem");
  out.clear();
  second.Live(*hi, &out);
  EXPECT_EQ(out, "\n[2026-11-23 18:30:09][Lee]:hi\n[2026-11-23 18:30:10][Alem]:");

  NetcatRenderer elsewhere(absl::FixedTimeZone(3 * 3600));
  elsewhere.BeginBatch(kTime, "Dana");
  out.clear();
  elsewhere.Live(*hi, &out);
  EXPECT_EQ(out, "\n[2026-11-23 21:30:09][Lee]:hi\n[2026-11-23 21:30:09][Dana]:");
}

// A private message is drawn for its one reader and not kept.
TEST(NetcatRendererTest, PrivateMessagesAreNotKept) {
  const auto psst = MakeEvent(Event::Kind::kPrivate, kTime, "alice", "psst");
  NetcatRenderer renderer(absl::UTCTimeZone());
  renderer.BeginBatch(kTime, "bob");
  std::string out;
  renderer.Live(*psst, &out);
  EXPECT_EQ(out, "\n[2026-11-23 18:30:09][alice -> you]:psst\n[2026-11-23 18:30:09][bob]:");
  EXPECT_EQ(psst->rendered.Find(NetcatRenderer::CacheKey(), "UTC"), nullptr);
}

TEST(NetcatRendererTest, NoticesAreTheClassicLines) {
  NetcatRenderer renderer(absl::UTCTimeZone());
  std::string out;
  renderer.Notice(NoticeKind::kError, "Name cannot be empty.", &out);
  renderer.Notice(NoticeKind::kNamePrompt, "", &out);
  EXPECT_EQ(out, "Name cannot be empty.\n[ENTER YOUR NAME]: ");
  out.clear();
  renderer.Notice(NoticeKind::kReply, "Users in general (1): a\nConnected in total: 1", &out);
  EXPECT_EQ(out, "Users in general (1): a\nConnected in total: 1\n");
  out.clear();
  // A goodbye may interrupt a half-typed line, so it starts on a fresh one.
  renderer.Notice(NoticeKind::kGoodbye, "Server is shutting down. Goodbye!", &out);
  EXPECT_EQ(out, "\nServer is shutting down. Goodbye!\n");
  out.clear();
  // So does the message of the day: it comes after the login's prompt, like an event.
  renderer.Notice(NoticeKind::kMotd, "Be nice.\nNo spam.", &out);
  EXPECT_EQ(out, "\nBe nice.\nNo spam.\n");
  out.clear();
  renderer.Notice(NoticeKind::kProtocol, "\xff\xfb\x06", &out);
  EXPECT_EQ(out, "\xff\xfb\x06");
}

TEST(NetcatRendererTest, PasswordPromptsLookLikeTheNamePrompt) {
  NetcatRenderer renderer(absl::UTCTimeZone());
  std::string out;
  renderer.Notice(NoticeKind::kSecretPrompt, "ENTER PASSWORD", &out);
  EXPECT_EQ(out, "[ENTER PASSWORD]: ");
}

}  // namespace
}  // namespace chat

#include "chat/outbox.h"

#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace chat {
namespace {

Frame Line(std::string text) { return NoticeFrame(NoticeKind::kReply, std::move(text)); }

std::vector<std::string> Texts(const std::vector<Frame>& frames) {
  std::vector<std::string> texts;
  for (const Frame& f : frames) {
    if (f.text != nullptr) texts.push_back(*f.text);
    else if (f.event != nullptr) texts.push_back("event:" + f.event->text);
    else texts.push_back("<prompt>");
  }
  return texts;
}

TEST(OutboxTest, TakeReturnsEverythingQueuedInOrder) {
  Outbox outbox(1000);
  EXPECT_EQ(outbox.Push(Line("a")), Outbox::PushResult::kQueued);
  EXPECT_EQ(outbox.Push({Line("b"), PromptFrame()}), Outbox::PushResult::kQueued);
  std::vector<Frame> batch;
  EXPECT_FALSE(outbox.Take(batch, /*block=*/true));
  EXPECT_EQ(Texts(batch), (std::vector<std::string>{"a", "b", "<prompt>"}));
}

TEST(OutboxTest, OverflowRefusesTheFrameAndEverythingAfter) {
  Outbox outbox(100);
  EXPECT_EQ(outbox.Push(Line(std::string(20, 'x'))), Outbox::PushResult::kQueued);
  EXPECT_EQ(outbox.Push(Line(std::string(90, 'y'))), Outbox::PushResult::kOverflow);
  // Even a small frame is refused now: a gap followed by later lines would mislead.
  EXPECT_EQ(outbox.Push(Line("z")), Outbox::PushResult::kClosed);
  std::vector<Frame> batch;
  EXPECT_TRUE(outbox.Take(batch, true));  // closed: what was queued is the last
  EXPECT_EQ(batch.size(), 1u);
  EXPECT_TRUE(outbox.Take(batch, true));
  EXPECT_TRUE(batch.empty());
}

TEST(OutboxTest, ManySmallFramesAreBoundedToo) {
  Outbox outbox(10000);
  int queued = 0;
  while (outbox.Push(PromptFrame()) == Outbox::PushResult::kQueued) {
    ++queued;
    ASSERT_LT(queued, 10000) << "prompts must be charged, or a non-reader grows memory";
  }
  EXPECT_GT(queued, 10);
}

TEST(OutboxTest, PrivateEventsAreChargedForTheirText) {
  Outbox outbox(1000);
  Frame frame;
  frame.kind = Frame::Kind::kEvent;
  frame.event = MakeEvent(Event::Kind::kPrivate, absl::UnixEpoch(), "eve", std::string(900, 'x'));
  EXPECT_EQ(outbox.Push(std::move(frame)), Outbox::PushResult::kOverflow);
}

TEST(OutboxTest, ZeroMeansUnbounded) {
  Outbox outbox(0);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(outbox.Push(Line(std::string(1000, 'x'))), Outbox::PushResult::kQueued);
  }
}

TEST(OutboxTest, FramesAreStampedWithTheFollowedRoomsEnd) {
  auto room = std::make_shared<Room>("r", RoomOptions{});
  Outbox outbox(1000);
  ASSERT_EQ(outbox.Push(Line("before any room")), Outbox::PushResult::kQueued);
  Frame follow;
  follow.kind = Frame::Kind::kFollow;
  follow.after_seq = 0;
  outbox.Switch(std::move(follow), Room::EndSeqOf(room));
  room->Post(MakeEvent(Event::Kind::kChat, absl::UnixEpoch(), "a", "one"));
  room->Post(MakeEvent(Event::Kind::kChat, absl::UnixEpoch(), "a", "two"));
  ASSERT_EQ(outbox.Push(Line("after two")), Outbox::PushResult::kQueued);
  std::vector<Frame> batch;
  outbox.Take(batch, true);
  ASSERT_EQ(batch.size(), 3u);
  EXPECT_EQ(batch[0].after_seq, 0u);
  EXPECT_EQ(batch[2].after_seq, 3u);  // events 1 and 2 go first
}

TEST(OutboxTest, SwitchIsQueuedEvenWhenFull) {
  Outbox outbox(100);
  ASSERT_EQ(outbox.Push(Line(std::string(30, 'x'))), Outbox::PushResult::kQueued);
  Frame unfollow;
  unfollow.kind = Frame::Kind::kUnfollow;
  outbox.Switch(std::move(unfollow), nullptr);
  std::vector<Frame> batch;
  outbox.Take(batch, true);
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_EQ(batch[1].kind, Frame::Kind::kUnfollow);
}

TEST(OutboxTest, WakeEndsABlockingTakeWithNoFrames) {
  Outbox outbox(1000);
  std::thread waker([&] { outbox.Wake(); });
  std::vector<Frame> batch;
  EXPECT_FALSE(outbox.Take(batch, /*block=*/true));  // returns once woken
  EXPECT_TRUE(batch.empty());
  waker.join();
}

TEST(OutboxTest, CloseWithQueuesTheFarewellEvenWhenFull) {
  Outbox outbox(100);
  ASSERT_EQ(outbox.Push(Line(std::string(30, 'x'))), Outbox::PushResult::kQueued);
  outbox.CloseWith(Line("goodbye"));
  EXPECT_EQ(outbox.Push(Line("late")), Outbox::PushResult::kClosed);
  std::vector<Frame> batch;
  EXPECT_TRUE(outbox.Take(batch, true));
  EXPECT_EQ(Texts(batch), (std::vector<std::string>{std::string(30, 'x'), "goodbye"}));
}

TEST(OutboxTest, CloseWithAfterAbortQueuesNothing) {
  Outbox outbox(100);
  outbox.Abort();
  outbox.CloseWith(Line("goodbye"));
  std::vector<Frame> batch;
  EXPECT_TRUE(outbox.Take(batch, true));
  EXPECT_TRUE(batch.empty());
}

TEST(OutboxTest, BatchBeingWrittenStaysChargedUntilNextTake) {
  Outbox outbox(100);
  ASSERT_EQ(outbox.Push(Line(std::string(10, 'a'))), Outbox::PushResult::kQueued);
  const size_t one_frame = outbox.queued_bytes();
  std::vector<Frame> batch;
  outbox.Take(batch, true);
  EXPECT_EQ(outbox.queued_bytes(), one_frame);  // the writer still holds it
  outbox.Close();
  EXPECT_TRUE(outbox.Take(batch, true));
  EXPECT_EQ(outbox.queued_bytes(), 0u);
}

TEST(OutboxTest, TakeMoreAppendsWithoutWaiting) {
  Outbox outbox(1000);
  outbox.Push(Line("a"));
  std::vector<Frame> batch;
  outbox.Take(batch, true);
  EXPECT_FALSE(outbox.TakeMore(batch));  // nothing new: returns at once
  EXPECT_EQ(Texts(batch), (std::vector<std::string>{"a"}));
  outbox.Push(Line("b"));
  outbox.Push(Line("c"));
  outbox.TakeMore(batch);
  EXPECT_EQ(Texts(batch), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_GT(outbox.queued_bytes(), 0u);  // still held by the writer
  outbox.Close();
  EXPECT_TRUE(outbox.Take(batch, true));
  EXPECT_EQ(outbox.queued_bytes(), 0u);
}

TEST(OutboxTest, AbortDiscards) {
  Outbox outbox(1000);
  outbox.Push(Line("dropped"));
  outbox.Abort();
  std::vector<Frame> batch;
  EXPECT_TRUE(outbox.Take(batch, true));
  EXPECT_TRUE(batch.empty());
}

TEST(OutboxTest, TakeBlocksUntilAProducerPushes) {
  Outbox outbox(1 << 20);
  std::vector<std::string> got;
  std::thread writer([&] {
    std::vector<Frame> batch;
    bool closed = false;
    while (!closed) {
      closed = outbox.Take(batch, true);
      for (const std::string& t : Texts(batch)) got.push_back(t);
    }
  });
  std::vector<std::thread> producers;
  for (int p = 0; p < 4; ++p) {
    producers.emplace_back([&outbox, p] {
      for (int i = 0; i < 500; ++i) outbox.Push(Line(std::to_string(p) + ":" + std::to_string(i)));
    });
  }
  for (std::thread& t : producers) t.join();
  outbox.Close();
  writer.join();
  ASSERT_EQ(got.size(), 2000u);
  // Each producer's frames arrive in the order it pushed them.
  std::vector<int> next(4, 0);
  for (const std::string& t : got) {
    const int p = t[0] - '0';
    EXPECT_EQ(t, std::to_string(p) + ":" + std::to_string(next[p]++));
  }
}

}  // namespace
}  // namespace chat

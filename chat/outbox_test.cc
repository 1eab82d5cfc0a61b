#include "chat/outbox.h"

#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace chat {
namespace {

Frame Event(std::string text) { return Frame{Frame::Kind::kEvent, MakeShared(std::move(text))}; }
Frame History(std::string text) {
  return Frame{Frame::Kind::kHistory, MakeShared(std::move(text))};
}

std::vector<std::string> Texts(const std::vector<Frame>& frames) {
  std::vector<std::string> texts;
  for (const Frame& f : frames) texts.push_back(f.text ? *f.text : "<prompt>");
  return texts;
}

TEST(OutboxTest, TakeReturnsEverythingQueuedInOrder) {
  Outbox outbox(1000);
  EXPECT_EQ(outbox.Push(Event("a")), Outbox::PushResult::kQueued);
  EXPECT_EQ(outbox.Push({Event("b"), Frame{Frame::Kind::kPrompt, nullptr}}),
            Outbox::PushResult::kQueued);
  std::vector<Frame> batch;
  ASSERT_TRUE(outbox.Take(batch));
  EXPECT_EQ(Texts(batch), (std::vector<std::string>{"a", "b", "<prompt>"}));
}

TEST(OutboxTest, OverflowRefusesTheFrameAndEverythingAfter) {
  Outbox outbox(100);
  EXPECT_EQ(outbox.Push(Event(std::string(20, 'x'))), Outbox::PushResult::kQueued);
  EXPECT_EQ(outbox.Push(Event(std::string(90, 'y'))), Outbox::PushResult::kOverflow);
  // Even a small frame is refused now: a gap followed by later lines would mislead.
  EXPECT_EQ(outbox.Push(Event("z")), Outbox::PushResult::kClosed);
  std::vector<Frame> batch;
  ASSERT_TRUE(outbox.Take(batch));  // what was queued before the overflow still drains
  EXPECT_EQ(batch.size(), 1u);
  EXPECT_FALSE(outbox.Take(batch));
}

TEST(OutboxTest, ManySmallFramesAreBoundedToo) {
  Outbox outbox(10000);
  int queued = 0;
  while (outbox.Push(Frame{Frame::Kind::kPrompt, nullptr}) == Outbox::PushResult::kQueued) {
    ++queued;
    ASSERT_LT(queued, 10000) << "prompts must be charged, or a non-reader grows memory";
  }
  EXPECT_GT(queued, 10);
}

// The issue this pins: a slow reader alternating /join between rooms with long
// histories grew the server by hundreds of MiB, because replays were free.
TEST(OutboxTest, HistoryIsChargedLikeAnyFrame) {
  Outbox outbox(1000);
  std::vector<Frame> history;
  for (int i = 0; i < 50; ++i) history.push_back(History(std::string(50, 'h')));
  EXPECT_EQ(outbox.Push(std::move(history)), Outbox::PushResult::kOverflow);
  EXPECT_EQ(outbox.queued_bytes(), 0u);
  Outbox roomy(50 * (50 + Outbox::kFrameOverheadBytes));
  history.clear();
  for (int i = 0; i < 50; ++i) history.push_back(History(std::string(50, 'h')));
  EXPECT_EQ(roomy.Push(std::move(history)), Outbox::PushResult::kQueued);
  EXPECT_EQ(roomy.queued_bytes(), 50 * (50 + Outbox::kFrameOverheadBytes));
}

TEST(OutboxTest, ZeroMeansUnbounded) {
  Outbox outbox(0);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(outbox.Push(Event(std::string(1000, 'x'))), Outbox::PushResult::kQueued);
  }
}

TEST(OutboxTest, CloseWithQueuesTheFarewellEvenWhenFull) {
  Outbox outbox(100);
  ASSERT_EQ(outbox.Push(Event(std::string(30, 'x'))), Outbox::PushResult::kQueued);
  outbox.CloseWith(Frame{Frame::Kind::kRaw, MakeShared("goodbye")});
  EXPECT_EQ(outbox.Push(Event("late")), Outbox::PushResult::kClosed);
  std::vector<Frame> batch;
  ASSERT_TRUE(outbox.Take(batch));
  EXPECT_EQ(Texts(batch), (std::vector<std::string>{std::string(30, 'x'), "goodbye"}));
  EXPECT_FALSE(outbox.Take(batch));
}

TEST(OutboxTest, CloseWithAfterAbortQueuesNothing) {
  Outbox outbox(100);
  outbox.Abort();
  outbox.CloseWith(Frame{Frame::Kind::kRaw, MakeShared("goodbye")});
  std::vector<Frame> batch;
  EXPECT_FALSE(outbox.Take(batch));
}

TEST(OutboxTest, BatchBeingWrittenStaysChargedUntilNextTake) {
  Outbox outbox(100);
  ASSERT_EQ(outbox.Push(Event(std::string(10, 'a'))), Outbox::PushResult::kQueued);
  const size_t one_frame = outbox.queued_bytes();
  std::vector<Frame> batch;
  ASSERT_TRUE(outbox.Take(batch));
  EXPECT_EQ(outbox.queued_bytes(), one_frame);  // the writer still holds it
  outbox.Close();
  EXPECT_FALSE(outbox.Take(batch));
  EXPECT_EQ(outbox.queued_bytes(), 0u);
}

TEST(OutboxTest, TakeMoreAppendsWithoutWaiting) {
  Outbox outbox(1000);
  outbox.Push(Event("a"));
  std::vector<Frame> batch;
  ASSERT_TRUE(outbox.Take(batch));
  outbox.TakeMore(batch);  // nothing new: returns at once
  EXPECT_EQ(Texts(batch), (std::vector<std::string>{"a"}));
  outbox.Push(Event("b"));
  outbox.Push(Event("c"));
  outbox.TakeMore(batch);
  EXPECT_EQ(Texts(batch), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_GT(outbox.queued_bytes(), 0u);  // still held by the writer
  outbox.Close();
  EXPECT_FALSE(outbox.Take(batch));
  EXPECT_EQ(outbox.queued_bytes(), 0u);
}

TEST(OutboxTest, CloseDrainsThenEnds) {
  Outbox outbox(1000);
  outbox.Push(Event("last words"));
  outbox.Close();
  EXPECT_EQ(outbox.Push(Event("too late")), Outbox::PushResult::kClosed);
  std::vector<Frame> batch;
  ASSERT_TRUE(outbox.Take(batch));
  EXPECT_EQ(Texts(batch), (std::vector<std::string>{"last words"}));
  EXPECT_FALSE(outbox.Take(batch));
}

TEST(OutboxTest, AbortDiscards) {
  Outbox outbox(1000);
  outbox.Push(Event("dropped"));
  outbox.Abort();
  std::vector<Frame> batch;
  EXPECT_FALSE(outbox.Take(batch));
}

TEST(OutboxTest, TakeBlocksUntilAProducerPushes) {
  Outbox outbox(1 << 20);
  std::vector<std::string> got;
  std::thread writer([&] {
    std::vector<Frame> batch;
    while (outbox.Take(batch)) {
      for (const std::string& t : Texts(batch)) got.push_back(t);
    }
  });
  std::vector<std::thread> producers;
  for (int p = 0; p < 4; ++p) {
    producers.emplace_back([&outbox, p] {
      for (int i = 0; i < 500; ++i) outbox.Push(Event(std::to_string(p) + ":" + std::to_string(i)));
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

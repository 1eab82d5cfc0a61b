#include "chat/scoped_fd.h"

#include <fcntl.h>
#include <unistd.h>

#include <utility>

#include "gtest/gtest.h"

namespace chat {
namespace {

bool IsOpen(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

TEST(ScopedFdTest, ClosesOnDestructionAndMove) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ScopedFd write_end(fds[1]);
  {
    ScopedFd read_end(fds[0]);
    ScopedFd moved = std::move(read_end);
    EXPECT_FALSE(read_end.valid());
    EXPECT_EQ(moved.get(), fds[0]);
    EXPECT_TRUE(IsOpen(fds[0]));
  }
  EXPECT_FALSE(IsOpen(fds[0]));
  EXPECT_TRUE(IsOpen(fds[1]));
}

TEST(ScopedFdTest, ResetClosesTheOldDescriptorAndReleaseGivesItUp) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ScopedFd fd(fds[0]);
  fd.Reset(fds[1]);
  EXPECT_FALSE(IsOpen(fds[0]));
  EXPECT_EQ(fd.get(), fds[1]);
  const int released = fd.Release();
  EXPECT_FALSE(fd.valid());
  EXPECT_TRUE(IsOpen(released));  // nobody closed it: it is the caller's now
  ::close(released);
}

TEST(ScopedFdTest, MoveAssignmentClosesWhatWasHeld) {
  int first[2], second[2];
  ASSERT_EQ(::pipe(first), 0);
  ASSERT_EQ(::pipe(second), 0);
  ScopedFd a(first[0]), keep_a(first[1]), b(second[0]), keep_b(second[1]);
  a = std::move(b);
  EXPECT_FALSE(IsOpen(first[0]));
  EXPECT_EQ(a.get(), second[0]);
  EXPECT_FALSE(b.valid());
}

}  // namespace
}  // namespace chat

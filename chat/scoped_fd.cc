#include "chat/scoped_fd.h"

#include <unistd.h>

namespace chat {

ScopedFd& ScopedFd::operator=(ScopedFd&& other) noexcept {
  if (this != &other) Reset(other.Release());
  return *this;
}

int ScopedFd::Release() {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

void ScopedFd::Reset(int fd) {
  // close() is not retried on EINTR: on Linux the descriptor is released either way, and
  // a retry could close a descriptor another thread just received.
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

}  // namespace chat

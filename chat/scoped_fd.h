// chat/scoped_fd.h: ownership of a file descriptor.
//
// Defines:
//   ScopedFd - owns a descriptor (socket, file, directory); close() only in the
//              destructor or Reset().
//
// One class for sockets and the history files alike, so there is one place that decides
// how a descriptor is closed.

#ifndef CHAT_SCOPED_FD_H_
#define CHAT_SCOPED_FD_H_

namespace chat {

// ScopedFd closes its descriptor when destroyed. Move-only.
class ScopedFd {
 public:
  ScopedFd() = default;
  explicit ScopedFd(int fd) : fd_(fd) {}
  ScopedFd(ScopedFd&& other) noexcept : fd_(other.Release()) {}
  ScopedFd& operator=(ScopedFd&& other) noexcept;
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  ~ScopedFd() { Reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int Release();
  void Reset(int fd = -1);

 private:
  int fd_ = -1;
};

}  // namespace chat

#endif  // CHAT_SCOPED_FD_H_

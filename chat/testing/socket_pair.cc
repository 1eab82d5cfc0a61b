#include "chat/testing/socket_pair.h"

#include <sys/socket.h>

#include <cstdio>
#include <cstdlib>

namespace chat::testing {

SocketPair MakeSocketPair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    std::perror("socketpair");
    std::abort();
  }
  return SocketPair{ScopedFd(fds[0]), ScopedFd(fds[1])};
}

}  // namespace chat::testing

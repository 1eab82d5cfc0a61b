// chat/testing/socket_pair.h: a connected pair of stream sockets, standing in for TCP.

#ifndef CHAT_TESTING_SOCKET_PAIR_H_
#define CHAT_TESTING_SOCKET_PAIR_H_

#include "chat/socket.h"

namespace chat::testing {

// One end goes to the code under test (as if accepted), the test holds the other.
struct SocketPair {
  ScopedFd server_end;
  ScopedFd client_end;
};

// MakeSocketPair() returns an AF_UNIX SOCK_STREAM pair; CHECK-fails if the kernel refuses.
SocketPair MakeSocketPair();

}  // namespace chat::testing

#endif  // CHAT_TESTING_SOCKET_PAIR_H_

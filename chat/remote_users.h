// chat/remote_users.h: users connected to the other instances of one chat (--redis).
//
// Defines:
//   RemoteUsers - reach a user by name when the name is not connected here: a private
//                 message, an operator's kick.
//
// The session asks its own NameRegistry first; only a name nobody has here goes to
// RemoteUsers (chat/cluster/inbox.h implements it over Redis). Its methods block on I/O:
// call them without holding a session, room or registry lock.

#ifndef CHAT_REMOTE_USERS_H_
#define CHAT_REMOTE_USERS_H_

#include <string_view>

namespace chat {

class RemoteUsers {
 public:
  enum class Result {
    kSent,          // handed to the instance that has the name
    kNoSuchUser,    // no instance has the name
    kUnavailable,   // the shared store could not be asked; nothing was sent
  };

  virtual ~RemoteUsers() = default;
  // A private message from `sender` (its display name) to whoever has `recipient`'s key.
  virtual Result SendPrivate(std::string_view recipient, std::string_view sender,
                             std::string_view text) = 0;
  // Disconnect whoever has `name`'s key, saying `goodbye` (as NameRegistry::Kick).
  virtual Result Kick(std::string_view name, std::string_view goodbye) = 0;
};

}  // namespace chat

#endif  // CHAT_REMOTE_USERS_H_

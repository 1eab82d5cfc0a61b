// chat/remote_users.h: users connected to the other instances of one chat (--redis).
//
// Defines:
//   RemoteUsers - reach a user by name when the name is not connected here: a private
//                 message, a /reply to another instance's user, an operator's kick.
//
// The session asks its own NameRegistry first; only a name nobody has here goes to
// RemoteUsers (chat/cluster/inbox.h implements it over Redis). Its methods block on I/O:
// call them without holding a session, room or registry lock.

#ifndef CHAT_REMOTE_USERS_H_
#define CHAT_REMOTE_USERS_H_

#include <cstdint>
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
  // A private message from `sender` (its display name; `sender_id` its session here, so
  // the recipient's /reply can come back to this session) to whoever has `recipient`'s
  // key.
  virtual Result SendPrivate(std::string_view recipient, std::string_view sender,
                             std::string_view text, uint64_t sender_id) = 0;
  // A /reply to a private message from session `session` of instance `instance`, then
  // called `recipient`: kNoSuchUser unless `recipient`'s name is still that instance's;
  // that instance delivers it to that session only (dropped if it has gone meanwhile).
  virtual Result ReplyPrivate(std::string_view instance, uint64_t session,
                              std::string_view recipient, std::string_view sender,
                              std::string_view text, uint64_t sender_id) = 0;
  // Disconnect whoever has `name`'s key, saying `goodbye` (as NameRegistry::Kick).
  virtual Result Kick(std::string_view name, std::string_view goodbye) = 0;
};

}  // namespace chat

#endif  // CHAT_REMOTE_USERS_H_

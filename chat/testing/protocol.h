// chat/testing/protocol.h: the client's side of the login handshake, shared by the
// session, server and load tests.

#ifndef CHAT_TESTING_PROTOCOL_H_
#define CHAT_TESTING_PROTOCOL_H_

#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "chat/message.h"
#include "chat/testing/line_client.h"
#include "gtest/gtest.h"

namespace chat::testing {

// What every new connection receives: the banner, then the name prompt.
inline std::string Welcome() { return absl::StrCat(kBanner, kNamePrompt); }

// LogIn() expects the welcome on `client`, answers with `name`, and expects exactly
// `prompt` (the first input prompt, history being empty) in reply.
inline void LogIn(LineClient& client, std::string_view name, const std::string& prompt) {
  EXPECT_EQ(client.Read(Welcome().size()), Welcome());
  client.Send(absl::StrCat(name, "\n"));
  EXPECT_EQ(client.ReadUntil(prompt), prompt);
}

}  // namespace chat::testing

#endif  // CHAT_TESTING_PROTOCOL_H_

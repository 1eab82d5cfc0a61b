#include "chat/cluster/presence_codec.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "chat/name_registry.h"
#include "chat/testing/presence_user.h"
#include "gtest/gtest.h"

namespace chat::cluster {
namespace {

using testing::Alice;
const absl::Time kStart = testing::kPresenceStart;

TEST(PresenceCodecTest, RoundTrips) {
  absl::StatusOr<UserInfo> info = DecodePresence(EncodePresence(Alice()));
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->name, "Alice");
  EXPECT_EQ(info->room, "general");
  EXPECT_EQ(info->connected_at, kStart);
  EXPECT_EQ(info->last_line_at, kStart + absl::Minutes(3));
  EXPECT_EQ(info->away, "lunch");
  EXPECT_EQ(info->address, "192.0.2.7:5678");
  EXPECT_TRUE(info->registered);
  EXPECT_EQ(info->id, 0u);  // never another server's session id

  UserInfo plain = Alice();
  plain.away.clear();
  plain.address = "[::1]:9";
  plain.registered = false;
  info = DecodePresence(EncodePresence(plain));
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->away, "");
  EXPECT_EQ(info->address, "[::1]:9");
  EXPECT_FALSE(info->registered);
}

// Behind a load balancer (--proxy_protocol_from) a session's address names both; the
// record must still be taken, or the user would be invisible elsewhere and never get a
// leave notice, and its address key is the client's (for /ban from another server).
TEST(PresenceCodecTest, AUserBehindALoadBalancerRoundTrips) {
  UserInfo info = Alice();
  info.address = "[2001:db8:1:2:3:4:5:6]:65535 via [::ffff:255.255.255.255]:65535";
  absl::StatusOr<UserInfo> decoded = DecodePresence(EncodePresence(info));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->address, info.address);
  EXPECT_EQ(decoded->address_key, "2001:db8:1:2::/64");
  info.address = "192.0.2.7:5678 via 127.0.0.1:40000";
  decoded = DecodePresence(EncodePresence(info));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->address_key, "192.0.2.7");
  info.address = "192.0.2.7:5678 via 127.0.0.1:40000 via x";
  EXPECT_FALSE(DecodePresence(EncodePresence(info)).ok());
}

TEST(PresenceCodecTest, AwayTextCannotAddFields) {
  UserInfo info = Alice();
  info.away = "gone\nfor\nlunch";  // never typed (lines end at \n), but never trusted either
  absl::StatusOr<UserInfo> decoded = DecodePresence(EncodePresence(info));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->away, "goneforlunch");
}

TEST(PresenceCodecTest, RefusesWhatNoServerWrites) {
  const std::string good = EncodePresence(Alice());
  ASSERT_TRUE(DecodePresence(good).ok());
  for (const std::string& bad : std::vector<std::string>{
           "",
           "2\nAlice\ngeneral\n0\n0\n0\n\n",            // unknown version
           "1\nAlice\ngeneral\n0\n0\n0\n",               // a field short
           "1\nAl ice\ngeneral\n0\n0\n0\n\n",            // a name no server accepts
           "1\n\ngeneral\n0\n0\n0\n\n",                  // no name
           "1\n[admin]\ngeneral\n0\n0\n0\n\n",           // brackets
           "1\nAlice\n/dev\n0\n0\n0\n\n",                // a room no server accepts
           "1\nAlice\ngeneral\n-1\n0\n0\n\n",            // times
           "1\nAlice\ngeneral\n0\n99999999999999999999\n0\n\n",
           "1\nAlice\ngeneral\n0\n+5\n0\n\n",
           "1\nAlice\ngeneral\n0\n0\n2\n\n",             // the flag
           "1\nAlice\ngeneral\n0\n0\n0\nevil host\n",    // not an address
           absl::StrCat("1\nAlice\ngeneral\n0\n0\n0\n\n", std::string(201, 'a')),
           absl::StrCat("1\nAlice\ngeneral\n0\n0\n0\n", std::string(kMaxPresenceAddressBytes + 1, '1'), "\n"),
           absl::StrCat("1\nAlice\ngeneral\n0\n0\n0\n\n", std::string(1100, 'a')),
           std::string("1\nAl\x1b[2Jice\ngeneral\n0\n0\n0\n\n"),  // escape in a name
       }) {
    EXPECT_FALSE(DecodePresence(bad).ok()) << absl::CEscape(bad);
  }
}

}  // namespace
}  // namespace chat::cluster

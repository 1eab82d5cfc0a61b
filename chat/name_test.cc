#include "chat/name.h"

#include <string>

#include "gtest/gtest.h"

namespace chat {
namespace {

using namespace std::string_literals;

TEST(ValidateNameTest, AcceptsOrdinaryNames) {
  EXPECT_EQ(ValidateName("alice"), std::nullopt);
  EXPECT_EQ(ValidateName("Bob the 2nd"), std::nullopt);
  EXPECT_EQ(ValidateName("Zo\xC3\xAB"), std::nullopt);
  EXPECT_EQ(ValidateName(std::string(kMaxNameBytes, 'x')), std::nullopt);
}

TEST(ValidateNameTest, RefusesEmpty) {
  EXPECT_EQ(ValidateName(""), "Name cannot be empty.");
}

TEST(ValidateNameTest, RefusesTooLong) {
  EXPECT_EQ(ValidateName(std::string(kMaxNameBytes + 1, 'x')),
            "Name is too long (33 bytes; at most 32).");
}

TEST(ValidateNameTest, RefusesBracketsThatCouldForgeAPrefix) {
  EXPECT_EQ(ValidateName("[admin]"), "Name cannot contain '[' or ']'.");
  EXPECT_EQ(ValidateName("a]b"), "Name cannot contain '[' or ']'.");
}

TEST(ValidateNameTest, RefusesControlCharacters) {
  EXPECT_EQ(ValidateName("a\x1b[2Jb"), "Name cannot contain '[' or ']'.");
  EXPECT_EQ(ValidateName("a\x1b" "b"), "Name cannot contain control characters.");
  EXPECT_EQ(ValidateName("a\tb"), "Name cannot contain control characters.");
  EXPECT_EQ(ValidateName("a\0b"s), "Name cannot contain control characters.");
  EXPECT_EQ(ValidateName("a\x7f"), "Name cannot contain control characters.");
}

TEST(ValidateNameTest, RefusesInvalidUtf8AndC1Controls) {
  EXPECT_EQ(ValidateName("a\xFF"), "Name must be valid UTF-8 without control characters.");
  EXPECT_EQ(ValidateName("a\xC2\x9B"), "Name must be valid UTF-8 without control characters.");
}

TEST(ValidateNameTest, RefusesALeadingSlash) {
  EXPECT_EQ(ValidateName("/help"), "Name cannot start with '/'.");
  EXPECT_EQ(ValidateName("a/b"), std::nullopt);
}

TEST(ValidateRoomNameTest, SameRulesWithItsOwnWording) {
  EXPECT_EQ(ValidateRoomName("random"), std::nullopt);
  EXPECT_EQ(ValidateRoomName(""), "Room name cannot be empty.");
  EXPECT_EQ(ValidateRoomName("[x]"), "Room name cannot contain '[' or ']'.");
}

}  // namespace
}  // namespace chat

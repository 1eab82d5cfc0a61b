#include "chat/name.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace chat {
namespace {

using namespace std::string_literals;

TEST(ValidateNameTest, AcceptsOrdinaryNames) {
  EXPECT_EQ(ValidateName("alice"), std::nullopt);
  // "Bob the 2nd" was accepted before names lost their spaces (see RefusesSpaces).
  EXPECT_EQ(ValidateName("Bob_the_2nd"), std::nullopt);
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

TEST(ValidateNameTest, AcceptsNamesInOtherScriptsAndWithSymbols) {
  EXPECT_EQ(ValidateName("\xD0\x90\xD0\xBD\xD0\xBD\xD0\xB0"), std::nullopt);  // Анна
  EXPECT_EQ(ValidateName("\xE5\xA4\xAA\xE9\x83\x8E"), std::nullopt);          // 太郎
  EXPECT_EQ(ValidateName("Zoe\xCC\x88"), std::nullopt);  // e + combining diaeresis
  EXPECT_EQ(ValidateName("\xF0\x9F\x90\xA7"), std::nullopt);  // penguin emoji
  EXPECT_EQ(ValidateName("alice-2,b.c(d)"), std::nullopt);
}

TEST(ValidateNameTest, RefusesSpaces) {
  // Spaces would let a name complete another line's format: `[t][admin -> you]:` is a
  // private message, `alice, bob` a /users list.
  EXPECT_EQ(ValidateName("Bob the 2nd"), "Name cannot contain spaces.");
  EXPECT_EQ(ValidateName("admin -> you"), "Name cannot contain spaces.");
  EXPECT_EQ(ValidateName("a\xC2\xA0" "b"), "Name cannot contain spaces.");      // NBSP
  EXPECT_EQ(ValidateName("\xC2\xA0"), "Name cannot contain spaces.");
  EXPECT_EQ(ValidateName("\xE3\x80\x80"), "Name cannot contain spaces.");       // U+3000
  EXPECT_EQ(ValidateName("\xE2\x80\x83x"), "Name cannot contain spaces.");      // em space
  EXPECT_EQ(ValidateName("\xE2\x80\xA8"), "Name cannot contain spaces.");       // U+2028
  EXPECT_EQ(ValidateName("a\xE2\x80\xA9"), "Name cannot contain spaces.");      // U+2029
  EXPECT_EQ(ValidateName("\xE1\x9A\x80"), "Name cannot contain spaces.");       // ogham
}

TEST(ValidateNameTest, RefusesBlankLookingFillers) {
  EXPECT_EQ(ValidateName("\xE3\x85\xA4"), "Name cannot contain spaces.");       // U+3164
  EXPECT_EQ(ValidateName("\xE2\xA0\x80"), "Name cannot contain spaces.");       // U+2800
  EXPECT_EQ(ValidateName("admin\xE2\xA0\x80->\xE2\xA0\x80you"), "Name cannot contain spaces.");
  EXPECT_EQ(ValidateName("\xE1\x85\x9F"), "Name cannot contain spaces.");       // U+115F
  EXPECT_EQ(ValidateName("\xE1\x85\xA0"), "Name cannot contain spaces.");       // U+1160
  EXPECT_EQ(ValidateName("\xEF\xBE\xA0"), "Name cannot contain spaces.");       // U+FFA0
  EXPECT_EQ(ValidateName("\xE2\xA0\x81"), std::nullopt);  // a braille dot is visible
}

TEST(ValidateNameTest, RefusesInvisibleAndFormattingCharacters) {
  const std::string invisible = "Name cannot contain invisible or formatting characters.";
  EXPECT_EQ(ValidateName("admin\xE2\x80\x8B"), invisible);          // U+200B zero-width space
  EXPECT_EQ(ValidateName("admin\xE2\x80\x8E"), invisible);          // U+200E LRM
  EXPECT_EQ(ValidateName("admin\xEF\xB8\x8F"), invisible);          // U+FE0F VS16
  EXPECT_EQ(ValidateName("\xEF\xBB\xBF" "admin"), invisible);       // U+FEFF BOM
  EXPECT_EQ(ValidateName("admin\xF3\xA0\x80\x81"), invisible);      // U+E0001 language tag
  EXPECT_EQ(ValidateName("admin\xF3\xA0\x81\xA1"), invisible);      // U+E0061 tag a
  EXPECT_EQ(ValidateName("nimda\xE2\x80\xAE"), invisible);          // U+202E RLO
  EXPECT_EQ(ValidateName("\xE2\x81\xA6" "a"), invisible);           // U+2066 LRI
  EXPECT_EQ(ValidateName("a\xE2\x81\xA9"), invisible);              // U+2069 PDI
  EXPECT_EQ(ValidateName("a\xC2\xAD" "b"), invisible);              // soft hyphen
  EXPECT_EQ(ValidateName("a\xE2\x80\x8D" "b"), invisible);          // ZWJ
  EXPECT_EQ(ValidateName("a\xD8\x9C"), invisible);                  // U+061C ALM
  EXPECT_EQ(ValidateName("a\xCD\x8F"), invisible);                  // U+034F CGJ
}

TEST(ValidateNameTest, RefusesUnassignedPrivateUseAndNoncharacters) {
  const std::string refusal = "Name cannot contain unassigned or private-use characters.";
  EXPECT_EQ(ValidateName("a\xEE\x80\x80"), refusal);          // U+E000 private use
  EXPECT_EQ(ValidateName("a\xF3\xB0\x80\x80"), refusal);      // U+F0000 plane 15 private use
  EXPECT_EQ(ValidateName("a\xEF\xB7\x90"), refusal);          // U+FDD0 noncharacter
  EXPECT_EQ(ValidateName("a\xEF\xBF\xBF"), refusal);          // U+FFFF noncharacter
  EXPECT_EQ(ValidateName("a\xF0\xAF\xBF\xBE"), refusal);      // U+2FFFE noncharacter
  EXPECT_EQ(ValidateName("a\xCD\xB8"), refusal);              // U+0378 unassigned
}

TEST(ValidateNameTest, RequiresAVisibleCharacterFirst) {
  EXPECT_EQ(ValidateName("\xCC\x88"), "Name must contain a visible character.");
  EXPECT_EQ(ValidateName("\xCC\x88" "a"), "Name cannot start with a combining mark.");
  EXPECT_EQ(ValidateName("\xE2\x83\x9D" "a"), "Name cannot start with a combining mark.");
}

TEST(ValidateNameTest, RefusesLookAlikesOfBracketsAndSlash) {
  EXPECT_EQ(ValidateName("\xEF\xBC\xBB" "admin\xEF\xBC\xBD"),  // ［admin］
            "Name cannot contain '[' or ']'.");
  EXPECT_EQ(ValidateName("a\xEF\xB9\x87"), "Name cannot contain '[' or ']'.");  // U+FE47
  EXPECT_EQ(ValidateName("\xEF\xBC\x8Fhelp"), "Name cannot start with '/'.");   // ／help
  EXPECT_EQ(ValidateName("\xE2\x88\x95help"), "Name cannot start with '/'.");   // ∕help
}

TEST(NameKeyTest, IgnoresCase) {
  EXPECT_EQ(NameKey("Alice"), NameKey("alice"));
  EXPECT_EQ(NameKey("ALICE"), NameKey("alice"));
  EXPECT_EQ(NameKey("Stra\xC3\x9F" "e"), NameKey("STRASSE"));  // ß folds to ss
  EXPECT_NE(NameKey("alice"), NameKey("alicia"));
}

TEST(NameKeyTest, IgnoresNormalisationAndWidth) {
  EXPECT_EQ(NameKey("Zo\xC3\xAB"), NameKey("Zoe\xCC\x88"));  // precomposed vs combining
  EXPECT_EQ(NameKey("\xEF\xBD\x81\xEF\xBD\x84\xEF\xBD\x8D\xEF\xBD\x89\xEF\xBD\x8E"),
            NameKey("admin"));                              // full-width ａｄｍｉｎ
  EXPECT_EQ(NameKey("\xEF\xAC\x81" "sh"), NameKey("fish"));  // ﬁ ligature
  EXPECT_NE(NameKey("Zo\xC3\xAB"), NameKey("Zoe"));          // the accent still counts
}

TEST(NameKeyTest, MatchesConfusables) {
  EXPECT_EQ(NameKey("\xD0\xB0" "dmin"), NameKey("admin"));  // Cyrillic а
  // Upper-case look-alikes from other scripts: Cyrillic А, М and І in АDМІN.
  EXPECT_EQ(NameKey("\xD0\x90" "D" "\xD0\x9C\xD0\x86" "N"), NameKey("admin"));
  EXPECT_EQ(NameKey("\xCE\x91\xCE\x9D\xCE\x9D\xCE\x91"), NameKey("anna"));  // Greek ΑΝΝΑ
  EXPECT_EQ(NameKey("\xEF\xBC\xA1\xEF\xBC\xAC\xEF\xBC\xA9\xEF\xBC\xA3\xEF\xBC\xA5"),
            NameKey("alice"));  // full-width ＡＬＩＣＥ
  EXPECT_EQ(NameKey("rn"), NameKey("m"));
  EXPECT_EQ(NameKey("l"), NameKey("1"));
  EXPECT_EQ(NameKey("l"), NameKey("|"));
  EXPECT_EQ(NameKey("0"), NameKey("o"));
  EXPECT_EQ(NameKey("O"), NameKey("o"));
  // Upper-case I folds to i before the skeleton sees it, so it does not meet l.
  EXPECT_EQ(NameKey("I"), NameKey("i"));
  EXPECT_NE(NameKey("I"), NameKey("l"));
}

TEST(NameKeyTest, IsIdempotentAndNonEmptyOnValidNames) {
  for (const char* name : {"Alice", "\xD0\xB0" "dmin", "Zoe\xCC\x88", "0O0", "rnrn", "x1|I",
                           "\xE2\x84\xAA", "\xF0\x9F\x90\xA7", "\xEF\xBD\x81"}) {
    ASSERT_EQ(ValidateName(name), std::nullopt) << name;
    const std::string key = NameKey(name);
    EXPECT_FALSE(key.empty()) << name;
    EXPECT_EQ(NameKey(key), key) << name;
  }
}

TEST(NameKeyTest, InvalidUtf8GivesADeterministicKey) {
  EXPECT_EQ(NameKey("a\xFF"), NameKey("a\xFF"));
  EXPECT_EQ(NameKey(""), "");
}

// Every session calls NameKey(); under TSan this shows ICU's shared objects are used
// without a data race (ICU itself is not instrumented; our first-use guard is).
TEST(NameKeyTest, IsSafeToCallFromManyThreads) {
  const std::vector<std::string> names = {"Alice", "\xD0\xB0" "dmin", "Zoe\xCC\x88", "rn",
                                          "\xEF\xBD\x81\xEF\xBD\x84"};
  std::atomic<int> mismatches = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        const std::string& name = names[(t + i) % names.size()];
        if (NameKey(name) != NameKey(std::string(name))) ++mismatches;
        if (ValidateName(name).has_value()) ++mismatches;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_EQ(NameKey("Alice"), NameKey("alice"));
}

TEST(ValidateRoomNameTest, SameRulesWithItsOwnWording) {
  EXPECT_EQ(ValidateRoomName("random"), std::nullopt);
  EXPECT_EQ(ValidateRoomName(""), "Room name cannot be empty.");
  EXPECT_EQ(ValidateRoomName("[x]"), "Room name cannot contain '[' or ']'.");
  EXPECT_EQ(ValidateRoomName("dev team"), "Room name cannot contain spaces.");
  EXPECT_EQ(ValidateRoomName("dev\xE2\x80\xAE"),
            "Room name cannot contain invisible or formatting characters.");
  EXPECT_EQ(ValidateRoomName("\xE3\x85\xA4"), "Room name cannot contain spaces.");
  EXPECT_EQ(ValidateRoomName("\xCC\x88"), "Room name must contain a visible character.");
  EXPECT_EQ(ValidateRoomName("a\xEE\x80\x80"),
            "Room name cannot contain unassigned or private-use characters.");
}

}  // namespace
}  // namespace chat

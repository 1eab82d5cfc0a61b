#include "client/name_colors.h"

#include <set>
#include <string>

#include "gtest/gtest.h"

namespace chat::client {
namespace {

TEST(NameColorsTest, TheSameNameAlwaysGetsTheSameColor) {
  // FNV-1a's published test vector: the hash is not allowed to drift between releases.
  EXPECT_EQ(NameHash("a"), 0xe40c292cu);
  EXPECT_EQ(NameColor("alice", Palette256()), NameColor("alice", Palette256()));
}

TEST(NameColorsTest, NamesSpreadOverThePalette) {
  std::set<int> used;
  for (int i = 0; i < 100; ++i) used.insert(NameColor("user" + std::to_string(i), Palette256()));
  EXPECT_EQ(used.size(), Palette256().size());
}

TEST(NameColorsTest, PalettesAvoidColorsThatVanishOnOneBackground) {
  for (int color : Palette8()) {
    EXPECT_NE(color, 0);  // black
    EXPECT_NE(color, 3);  // yellow
    EXPECT_NE(color, 7);  // white
  }
  for (int color : Palette256()) {
    EXPECT_GE(color, 16);  // no 0-15: their look is the terminal theme's choice
    EXPECT_LT(color, 232);  // no greys
  }
}

TEST(NameColorsTest, NoColorFollowsNoColorOrg) {
  EXPECT_TRUE(ColorsWanted(nullptr));
  EXPECT_TRUE(ColorsWanted(""));
  EXPECT_FALSE(ColorsWanted("1"));
  EXPECT_FALSE(ColorsWanted("0"));  // any non-empty value
}

}  // namespace
}  // namespace chat::client

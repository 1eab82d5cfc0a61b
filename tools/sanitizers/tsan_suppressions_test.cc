// The suppressions every binary gets: the narrow ones, never the module-wide one a single
// test adds for itself (server_fd_exhaustion_test).

#include <string>

#include "gtest/gtest.h"

extern "C" const char* __tsan_default_suppressions();

namespace {

TEST(TsanSuppressionsTest, EveryBinaryGetsOnlyTheNarrowOnes) {
  const std::string suppressions = __tsan_default_suppressions();
  EXPECT_NE(suppressions.find("race:google::InitVLOG3__\n"), std::string::npos) << suppressions;
  EXPECT_NE(suppressions.find("race:tzset_internal\n"), std::string::npos) << suppressions;
  EXPECT_EQ(suppressions.find(".so"), std::string::npos) << suppressions;
}

}  // namespace

// chat/testing/test_files.h: files a test reads or writes.

#ifndef CHAT_TESTING_TEST_FILES_H_
#define CHAT_TESTING_TEST_FILES_H_

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"

namespace chat::testing {

// ReadFile() returns the whole file, or "" if it cannot be read.
inline std::string ReadFile(const std::string& path) {
  std::string out;
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return out;
  char buffer[4096];
  size_t got;
  while ((got = std::fread(buffer, 1, sizeof(buffer), f)) > 0) out.append(buffer, got);
  std::fclose(f);
  return out;
}

// TempPath() is `name` in the test's private temporary directory (TEST_TMPDIR).
inline std::string TempPath(std::string_view name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return absl::StrCat(dir != nullptr ? dir : "/tmp", "/", name);
}

// GoldenWelcome() is what a new connection must receive, from the golden banner file
// (the test needs "//testdata:banner.txt" in its data) rather than the code's own
// constant, so a binary test catches a banner the code changed by mistake.
inline std::string GoldenWelcome() {
  return ReadFile("testdata/banner.txt") + "[ENTER YOUR NAME]: ";
}

}  // namespace chat::testing

#endif  // CHAT_TESTING_TEST_FILES_H_

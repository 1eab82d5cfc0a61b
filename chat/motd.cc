#include "chat/motd.h"

#include <errno.h>

#include <cstring>
#include <fstream>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "chat/sanitize.h"

namespace chat {

std::string SanitizeMotd(std::string_view text) {
  std::vector<std::string> lines;
  for (std::string_view line : absl::StrSplit(text, '\n')) {
    lines.push_back(SanitizeText(absl::StripSuffix(line, "\r")));
  }
  while (!lines.empty() && IsBlank(lines.back())) lines.pop_back();
  return absl::StrJoin(lines, "\n");
}

absl::StatusOr<std::string> ReadMotdFile(const std::string& path, size_t max_bytes) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return absl::NotFoundError(absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  }
  // One byte more than allowed tells "exactly at the limit" from "over it" without
  // reading an arbitrarily large file.
  std::string text(max_bytes + 1, '\0');
  file.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (file.bad()) return absl::DataLossError(absl::StrCat("cannot read ", path));
  text.resize(static_cast<size_t>(file.gcount()));
  if (text.size() > max_bytes) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " is larger than ", max_bytes, " bytes; shorten it"));
  }
  return SanitizeMotd(text);
}

void Motd::Set(std::string text) {
  std::shared_ptr<const std::string> shared;
  if (!text.empty()) shared = std::make_shared<const std::string>(std::move(text));
  absl::MutexLock lock(&mu_);
  text_ = std::move(shared);
}

std::shared_ptr<const std::string> Motd::Get() const {
  absl::MutexLock lock(&mu_);
  return text_;
}

}  // namespace chat

// chat/web/static_files.h: the browser page's files, built into the binary.
//
// Defines:
//   StaticFile  - one file: the URL path it is served at, its Content-Type, its bytes.
//   StaticFiles - every one of them (generated from chat/web/static/ at build time).

#ifndef CHAT_WEB_STATIC_FILES_H_
#define CHAT_WEB_STATIC_FILES_H_

#include <span>
#include <string_view>

namespace chat {

struct StaticFile {
  std::string_view path;          // "/app.js"
  std::string_view content_type;  // "text/javascript; charset=utf-8"
  std::string_view body;
};

// Defined in the generated static_files.cc (see chat/web/BUILD.bazel).
std::span<const StaticFile> StaticFiles();

}  // namespace chat

#endif  // CHAT_WEB_STATIC_FILES_H_

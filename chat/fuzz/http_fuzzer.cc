// Fuzz target for the web port's HTTP request reader and the answers it leads to.
//
// The first byte splits the rest into two reads, as the network might. Properties:
//   - reading never crashes; a head is never accepted past the bound, and what it
//     consumed lies within the read that completed it;
//   - every request gets a well-formed answer: a status line, and 101 only for a
//     complete upgrade with a valid key.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "chat/web/endpoint.h"
#include "chat/web/http.h"

namespace {

constexpr size_t kMaxHead = 512;

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const size_t split = data[0] % (input.size() + 1);
  chat::HttpRequestReader reader(kMaxHead);
  using Result = chat::HttpRequestReader::Result;
  Result result = Result::kNeedMore;
  size_t fed = 0;
  for (const std::string_view piece : {input.substr(0, split), input.substr(split)}) {
    if (result != Result::kNeedMore) break;
    result = reader.Feed(piece);
    if (result == Result::kComplete) {
      Check(reader.consumed() <= piece.size());
      Check(fed + reader.consumed() <= kMaxHead);
    }
    fed += piece.size();
  }
  if (result == Result::kTooLarge) Check(fed >= kMaxHead);
  const chat::HttpAnswer answer = result == Result::kComplete
                                      ? chat::AnswerRequest(reader.request())
                                      : chat::AnswerUnreadable(result);
  Check(answer.response.substr(0, 9) == "HTTP/1.1 ");
  Check(answer.response.find("\r\n\r\n") != std::string_view::npos);
  if (answer.upgrade) {
    Check(answer.status == 101 && result == Result::kComplete);
    Check(chat::IsWebSocketKey(reader.request().websocket_key));
  }
  return 0;
}

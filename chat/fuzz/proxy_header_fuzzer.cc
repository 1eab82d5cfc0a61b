// Fuzz target for the PROXY protocol header (chat/transport/proxy_header): the first bytes
// of every connection from a trusted load balancer.
//
// Checks properties, not just crashes:
//   - a complete header is at most 107 bytes, ends in "\r\n", and every shorter prefix of
//     it is kNeedMore (the reader waits for exactly the header, never past it);
//   - its client address is IPv4 or IPv6, with a display of at most 47 + 7 bytes;
//   - kNeedMore only for fewer than 107 bytes; bytes appended to a complete or invalid
//     input leave the verdict unchanged (the parser looks at the header only).
//
// Built as a libFuzzer binary under --config=fuzz (clang); in every other configuration
// fuzz_corpus_main.cc replays testdata/fuzz/proxy_header so the corpus is a regression test.

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "chat/transport/proxy_header.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using chat::ParseProxyHeader;
  using chat::ProxyHeader;
  using chat::ProxyParse;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  ProxyHeader header;
  const ProxyParse parse = ParseProxyHeader(bytes, &header);
  if (parse != ProxyParse::kNeedMore) {
    ProxyHeader longer;
    Check(ParseProxyHeader(std::string(bytes) + "extra\r\n", &longer) == parse);
  }
  switch (parse) {
    case ProxyParse::kNeedMore:
      Check(size < chat::kMaxProxyHeaderBytes);
      break;
    case ProxyParse::kInvalid:
      break;
    case ProxyParse::kComplete: {
      Check(header.length >= 8 && header.length <= chat::kMaxProxyHeaderBytes &&
            header.length <= size);
      Check(bytes.substr(header.length - 2, 2) == "\r\n");
      for (size_t n = 0; n < header.length; ++n) {
        ProxyHeader partial;
        Check(ParseProxyHeader(bytes.substr(0, n), &partial) == ProxyParse::kNeedMore);
      }
      if (header.source.has_value()) {
        const int family = header.source->ss_family;
        Check(family == AF_INET || family == AF_INET6);
        Check(!header.display.empty() && header.display.size() <= 54);
      } else {
        Check(header.display.empty());
      }
      break;
    }
  }
  return 0;
}

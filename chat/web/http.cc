#include "chat/web/http.h"

#include <openssl/evp.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace chat {
namespace {

HttpRequestReader* ReaderOf(http_parser* parser) {
  return static_cast<HttpRequestReader*>(parser->data);
}

}  // namespace

HttpRequestReader::HttpRequestReader(size_t max_head_bytes) : max_head_bytes_(max_head_bytes) {
  http_parser_init(&parser_, HTTP_REQUEST);
  parser_.data = this;
  http_parser_settings_init(&settings_);
  settings_.on_url = &HttpRequestReader::OnUrl;
  settings_.on_header_field = &HttpRequestReader::OnHeaderField;
  settings_.on_header_value = &HttpRequestReader::OnHeaderValue;
  settings_.on_headers_complete = &HttpRequestReader::OnHeadersComplete;
}

int HttpRequestReader::OnUrl(http_parser* parser, const char* at, size_t length) {
  ReaderOf(parser)->request_.target.append(at, length);
  return 0;
}

int HttpRequestReader::OnHeaderField(http_parser* parser, const char* at, size_t length) {
  HttpRequestReader& self = *ReaderOf(parser);
  if (self.in_value_) self.FinishHeader();
  self.field_.append(at, length);
  return 0;
}

int HttpRequestReader::OnHeaderValue(http_parser* parser, const char* at, size_t length) {
  HttpRequestReader& self = *ReaderOf(parser);
  self.in_value_ = true;
  self.value_.append(at, length);
  return 0;
}

void HttpRequestReader::FinishHeader() {
  absl::AsciiStrToLower(&field_);
  std::string* keep = field_ == "host"                    ? &request_.host
                      : field_ == "origin"                ? &request_.origin
                      : field_ == "upgrade"               ? &request_.upgrade_header
                      : field_ == "connection"            ? &request_.connection
                      : field_ == "sec-websocket-key"     ? &request_.websocket_key
                      : field_ == "sec-websocket-version" ? &request_.websocket_version
                                                          : nullptr;
  if (keep != nullptr) {
    if (!keep->empty()) keep->append(", ");
    keep->append(absl::StripAsciiWhitespace(value_));
  }
  field_.clear();
  value_.clear();
  in_value_ = false;
}

int HttpRequestReader::OnHeadersComplete(http_parser* parser) {
  HttpRequestReader& self = *ReaderOf(parser);
  if (self.in_value_) self.FinishHeader();
  HttpRequest& request = self.request_;
  request.method = http_method_str(static_cast<http_method>(parser->method));
  request.http_major = parser->http_major;
  request.http_minor = parser->http_minor;
  // Set before this callback: both "Connection: upgrade" and an "Upgrade" header.
  request.upgrade = parser->upgrade != 0;
  http_parser_url url;
  http_parser_url_init(&url);
  if (http_parser_parse_url(request.target.data(), request.target.size(), /*is_connect=*/0,
                            &url) == 0 &&
      (url.field_set & (1 << UF_PATH)) != 0) {
    request.path = request.target.substr(url.field_data[UF_PATH].off, url.field_data[UF_PATH].len);
  }
  self.head_complete_ = true;
  // Stop here: the body, if any, is not needed, and what follows an upgrade is not HTTP.
  http_parser_pause(parser, 1);
  return 0;
}

HttpRequestReader::Result HttpRequestReader::Feed(std::string_view bytes) {
  // Never more than the bound: a head that does not end within it is refused.
  const std::string_view chunk = bytes.substr(0, max_head_bytes_ - fed_);
  const size_t parsed = http_parser_execute(&parser_, &settings_, chunk.data(), chunk.size());
  fed_ += chunk.size();
  if (head_complete_) {
    // Paused in on_headers_complete, http-parser returns the offset of the head's last
    // "\n", not counted: the upgraded protocol begins right after it.
    consumed_ = parsed + 1;
    return Result::kComplete;
  }
  if (HTTP_PARSER_ERRNO(&parser_) != HPE_OK) return Result::kMalformed;
  if (fed_ >= max_head_bytes_) return Result::kTooLarge;
  return Result::kNeedMore;
}

std::string WebSocketAcceptKey(std::string_view key) {
  const std::string input = absl::StrCat(key, "258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  EVP_Digest(input.data(), input.size(), digest, &digest_size, EVP_sha1(), nullptr);
  unsigned char encoded[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
  const int length = EVP_EncodeBlock(encoded, digest, static_cast<int>(digest_size));
  return std::string(reinterpret_cast<const char*>(encoded), static_cast<size_t>(length));
}

bool IsWebSocketKey(std::string_view key) {
  // 16 bytes are 22 base64 digits and "==".
  if (key.size() != 24 || !key.ends_with("==")) return false;
  unsigned char decoded[18];
  return EVP_DecodeBlock(decoded, reinterpret_cast<const unsigned char*>(key.data()), 24) == 18;
}

}  // namespace chat

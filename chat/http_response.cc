#include "chat/http_response.h"

#include "absl/strings/str_cat.h"

namespace chat {

std::string_view HttpReason(int status) {
  switch (status) {
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 426: return "Upgrade Required";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
  }
  return "Error";
}

std::string HttpResponse::Format(bool head_only) const {
  std::string out = absl::StrCat("HTTP/1.1 ", status, " ", HttpReason(status), "\r\n");
  for (const auto& [name, value] : headers) absl::StrAppend(&out, name, ": ", value, "\r\n");
  if (status != 101) absl::StrAppend(&out, "Content-Length: ", body.size(), "\r\n");
  out.append("\r\n");
  if (!head_only) out.append(body);
  return out;
}

}  // namespace chat

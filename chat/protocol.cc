#include "chat/protocol.h"

#include <utility>

namespace chat {

void AppendFramedLines(std::vector<LineFramer::Line> framed, std::vector<InputLine>& lines) {
  for (LineFramer::Line& piece : framed) {
    InputLine& line = lines.emplace_back();
    line.text = std::move(piece.text);
    line.too_long = piece.too_long;
  }
}

}  // namespace chat

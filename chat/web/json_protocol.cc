#include "chat/web/json_protocol.h"

#include <optional>
#include <utility>

#include <nlohmann/json.hpp>

#include "chat/line_framer.h"
#include "chat/web/json_renderer.h"

namespace chat {
namespace {

using Json = nlohmann::json;

// Collects the string members "type", "name" and "text" of one flat JSON object and
// refuses everything else by returning false, which stops the parse at once.
class FlatObjectReader final : public nlohmann::json_sax<Json> {
 public:
  std::optional<std::string> type, name, text;
  bool wrong_member_type = false;  // "type", "name" or "text" was not a string

  bool start_object(size_t) override { return depth_++ == 0; }
  bool end_object() override {
    --depth_;
    return true;
  }
  bool start_array(size_t) override { return false; }
  bool end_array() override { return false; }
  bool key(string_t& key) override {
    member_ = key == "type" ? &type : key == "name" ? &name : key == "text" ? &text : nullptr;
    return true;
  }
  bool string(string_t& value) override {
    if (depth_ == 0) return false;
    if (member_ != nullptr) *member_ = std::move(value);
    return true;
  }
  bool null() override { return Scalar(); }
  bool boolean(bool) override { return Scalar(); }
  bool number_integer(number_integer_t) override { return Scalar(); }
  bool number_unsigned(number_unsigned_t) override { return Scalar(); }
  bool number_float(number_float_t, const string_t&) override { return Scalar(); }
  bool binary(binary_t&) override { return false; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  // A member of another kind than string: fine unless it is one we read.
  bool Scalar() {
    if (depth_ == 0) return false;
    if (member_ != nullptr) wrong_member_type = true;
    return true;
  }

  int depth_ = 0;
  std::optional<std::string>* member_ = nullptr;
};

void Refuse(std::string why, std::vector<InputLine>& lines) {
  lines.emplace_back().refusal = std::move(why);
}

}  // namespace

void JsonProtocol::Decode(std::string_view message, bool at_name_prompt,
                          std::vector<InputLine>& lines, std::string& replies) {
  FlatObjectReader reader;
  if (!Json::sax_parse(message.begin(), message.end(), &reader) || reader.wrong_member_type) {
    Refuse(R"(Could not read that message: send one flat JSON object, like {"type":"say","text":"hi"}.)",
           lines);
    return;
  }
  if (reader.type == "login") {
    if (!at_name_prompt) {
      Refuse("You are already logged in; to change your name, say /name NEW.", lines);
    } else if (!reader.name.has_value()) {
      Refuse(R"(A login needs a name: {"type":"login","name":"alice"}.)", lines);
    } else {
      InputLine& line = lines.emplace_back();
      line.too_long = reader.name->size() > max_line_bytes_;
      if (!line.too_long) line.text = std::move(*reader.name);
    }
    return;
  }
  if (reader.type == "say") {
    if (at_name_prompt) {
      Refuse(R"(Log in first: {"type":"login","name":"alice"}.)", lines);
    } else if (!reader.text.has_value()) {
      Refuse(R"(A say needs a text: {"type":"say","text":"hi"}.)", lines);
    } else {
      // Exactly the lines a net-cat client sending this text would make; a text that
      // does not end in a newline is one line more, not a partial one.
      LineFramer framer(max_line_bytes_);
      std::vector<LineFramer::Line> framed = framer.Feed(*reader.text);
      if (reader.text->empty() || reader.text->back() != '\n') {
        for (LineFramer::Line& last : framer.Feed("\n")) framed.push_back(std::move(last));
      }
      AppendFramedLines(std::move(framed), lines);
    }
    return;
  }
  if (reader.type == "password") {
    // Whether a password was asked for is the session's business: it refuses one that
    // was not, and never says it in a room.
    if (!reader.text.has_value()) {
      Refuse(R"(A password needs a text: {"type":"password","text":"..."}.)", lines);
    } else {
      InputLine& line = lines.emplace_back();
      line.secret = true;
      line.too_long = reader.text->size() > max_line_bytes_;
      if (!line.too_long) line.text = std::move(*reader.text);
    }
    return;
  }
  Refuse(R"(Unknown message type: send {"type":"login",...} or {"type":"say",...}.)", lines);
}

std::unique_ptr<Renderer> JsonProtocol::MakeRenderer(absl::TimeZone zone) const {
  return std::make_unique<JsonRenderer>();
}

}  // namespace chat

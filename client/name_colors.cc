#include "client/name_colors.h"

namespace chat::client {
namespace {

constexpr int kPalette256[] = {166, 34, 33, 163, 30, 98, 160, 100};
// ncurses' COLOR_RED .. COLOR_CYAN are 1, 2, 4, 5, 6 (3 is yellow, 7 white).
constexpr int kPalette8[] = {1, 2, 4, 5, 6};

}  // namespace

uint32_t NameHash(std::string_view name) {
  uint32_t hash = 2166136261u;
  for (char c : name) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 16777619u;
  }
  return hash;
}

std::span<const int> Palette256() { return kPalette256; }
std::span<const int> Palette8() { return kPalette8; }

int NameColor(std::string_view name, std::span<const int> palette) {
  if (palette.empty()) return -1;
  return palette[NameHash(name) % palette.size()];
}

bool ColorsWanted(const char* no_color) { return no_color == nullptr || no_color[0] == '\0'; }

}  // namespace chat::client

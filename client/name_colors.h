// client/name_colors.h: a stable colour per name, readable on dark and light terminals.

#ifndef CLIENT_NAME_COLORS_H_
#define CLIENT_NAME_COLORS_H_

#include <cstdint>
#include <span>
#include <string_view>

namespace chat::client {

// NameHash() is FNV-1a over the name's bytes: the same name gets the same colour in
// every session and on every machine (std::hash promises neither).
uint32_t NameHash(std::string_view name);

// Palettes of terminal colour numbers. Only mid-luminance colours: pure yellow, white,
// black, bright cyan or dark blue vanish on one background or the other.
// For 256-colour terminals (xterm indexes): orange, green, blue, magenta, teal, purple,
// red, olive.
std::span<const int> Palette256();
// For 8-colour terminals (COLOR_RED, COLOR_GREEN, COLOR_BLUE, COLOR_MAGENTA, COLOR_CYAN).
std::span<const int> Palette8();

// NameColor() is the palette entry for `name`.
int NameColor(std::string_view name, std::span<const int> palette);

// ColorsWanted() applies https://no-color.org: NO_COLOR set to anything but the empty
// string turns colour off. `no_color` is getenv("NO_COLOR").
bool ColorsWanted(const char* no_color);

}  // namespace chat::client

#endif  // CLIENT_NAME_COLORS_H_

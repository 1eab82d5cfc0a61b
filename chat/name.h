// chat/name.h: what a user or room name may be, and when two names are the same.
//
// Defines:
//   kMaxNameBytes    - the longest name, in bytes.
//   ValidateName     - the reason a candidate name is refused, if it is.
//   ValidateRoomName - the same for a room name.
//   NameKey          - the canonical form two names share iff they count as the same name.

#ifndef CHAT_NAME_H_
#define CHAT_NAME_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace chat {

inline constexpr size_t kMaxNameBytes = 32;

// ValidateName() checks a name that has already been trimmed of surrounding blanks.
// Returns std::nullopt when it is acceptable, otherwise one human-readable sentence
// (no newline) that tells the user what to change. A name must be non-empty, at most
// kMaxNameBytes bytes of valid UTF-8, free of control characters and of `[` / `]` (or
// anything that normalises or looks like them, e.g. full-width `［`), so nobody can forge
// a `[time][name]:` prefix, and must not start with '/', which would read as a command.
//
// So that nobody can pass for someone else, a name also may not contain:
//   - whitespace of any kind (Unicode White_Space, which includes U+0020, NBSP, U+3000
//     and the line/paragraph separators U+2028/U+2029) or a blank-looking filler
//     (U+115F, U+1160, U+3164, U+FFA0, U+2800): with no spaces, no name can complete the
//     `[time][alice -> you]:` private-message prefix, a `/users` or `/rooms` list
//     separator (", ", " (2)"), or a join/leave/rename notice;
//   - invisible or formatting characters (General_Category Cf, Default_Ignorable_Code_Point,
//     Bidi_Control): zero-width spaces, bidi overrides/isolates, variation selectors, tags;
//   - private-use, unassigned (as of ICU's Unicode version) or noncharacter code points,
//     whose rendering nobody can predict;
// and it must contain a visible character (letter, number, symbol or punctuation) and
// must not start with a combining mark (which would draw on the `[` before it).
// Uniqueness is checked elsewhere (NameRegistry, Lobby), by NameKey().
std::optional<std::string> ValidateName(std::string_view name);

// ValidateRoomName() applies the same rules to a room name ("Room name cannot ...").
std::optional<std::string> ValidateRoomName(std::string_view name);

// NameKey() maps a name to a key such that two valid names are the same person (or the
// same room) iff their keys are equal: it ignores case, compatibility variants
// (full-width letters, ligatures, precomposed vs combining accents) and characters that
// look alike per Unicode's confusables data (Cyrillic `а` vs Latin `a`, `m` vs `rn`,
// `0` vs `O`, `1` vs `l`). The key is for comparison only, never shown.
//
// How: NFKD, then every non-ASCII character is replaced by its UTS #39 skeleton
// (Cyrillic capital `М` -> `M`; an upper-case one whose skeleton is `l`, like Cyrillic
// `І`, -> `I`), then NFKC_Casefold, skeleton, NFKC_Casefold, repeated until nothing
// changes. The first step catches upper-case look-alikes that case folding alone would
// lose (`м` does not look like `m`); ASCII skips it because the skeleton of `I` is `l`,
// which would part `ALICE` from `alice`. NFKC_Casefold before the skeleton lets case and
// width variants meet (UTS #39 prototypes are case-sensitive), and after it because a
// skeleton may be upper case (`0` -> `O`). The fixed point makes NameKey idempotent.
// Left apart on purpose: ASCII `I` and `l` (`AIice` vs `Alice`), which monospaced
// terminal fonts draw differently; merging them would also merge `Ali` and `All`.
//
// Defined for any input; for text ValidateName() refuses (e.g. invalid UTF-8, which is
// read as U+FFFD) the key is deterministic but otherwise unspecified. Thread-safe.
std::string NameKey(std::string_view name);

}  // namespace chat

#endif  // CHAT_NAME_H_

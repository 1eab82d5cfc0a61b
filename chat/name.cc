#include "chat/name.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/uspoof.h>
#include <unicode/utf8.h>

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace chat {

namespace {

// The ICU objects NameKey() needs, built once. ICU documents both as safe to share:
// Normalizer2 instances are immutable singletons, and "functions that take a const
// USpoofChecker parameter are thread safe" (uspoof.h). Built under the function-local
// static's guard, which orders ICU's own lazy data loading before every other use, and
// never destroyed, so a session still running at exit cannot use a freed checker.
struct Icu {
  const icu::Normalizer2* nfkc_casefold = nullptr;
  const icu::Normalizer2* nfkd = nullptr;
  const USpoofChecker* spoof = nullptr;
};

[[noreturn]] void IcuFailed(const char* what, UErrorCode status) {
  std::fprintf(stderr, "ICU: %s failed: %s\n", what, u_errorName(status));
  std::abort();
}

const Icu& GetIcu() {
  static const Icu* const icu = [] {
    auto* result = new Icu;
    UErrorCode status = U_ZERO_ERROR;
    result->nfkc_casefold = icu::Normalizer2::getNFKCCasefoldInstance(status);
    if (U_FAILURE(status)) IcuFailed("getNFKCCasefoldInstance", status);
    result->nfkd = icu::Normalizer2::getNFKDInstance(status);
    if (U_FAILURE(status)) IcuFailed("getNFKDInstance", status);
    USpoofChecker* spoof = uspoof_open(&status);
    if (U_FAILURE(status)) IcuFailed("uspoof_open", status);
    result->spoof = spoof;
    // One real call each, so any data ICU loads lazily is loaded here, inside the guard.
    icu::UnicodeString sample = icu::UnicodeString::fromUTF8("Warm-up");
    icu::UnicodeString out;
    result->nfkc_casefold->normalize(sample, out, status);
    result->nfkd->normalize(sample, out, status);
    uspoof_getSkeletonUnicodeString(result->spoof, 0, sample, out, &status);
    if (U_FAILURE(status)) IcuFailed("warm-up", status);
    return result;
  }();
  return *icu;
}

// Casefolding first loses upper-case look-alikes from other scripts: Cyrillic `М` folds
// to `м`, which does not look like `m`, and UTS #39 prototypes are case-sensitive. So
// each non-ASCII character is first replaced by its own skeleton (Cyrillic `М` -> `M`),
// after NFKD has turned full-width and other compatibility forms into plain ones. ASCII
// is left for case folding: the skeleton of `I` is `l`, which would part `ALICE` from
// `alice`. For the same reason an upper-case non-ASCII letter whose skeleton is `l`
// (Cyrillic `І`, Greek `Ι`) becomes `I`, to fold like the Latin capital it looks like.
icu::UnicodeString PrototypesOutsideAscii(const Icu& icu, const icu::UnicodeString& name) {
  UErrorCode status = U_ZERO_ERROR;
  icu::UnicodeString decomposed;
  icu.nfkd->normalize(name, decomposed, status);
  if (U_FAILURE(status)) IcuFailed("NFKD", status);
  icu::UnicodeString out;
  for (int32_t i = 0; i < decomposed.length();) {
    const UChar32 c = decomposed.char32At(i);
    i += U16_LENGTH(c);
    if (c < 0x80) {
      out.append(c);
      continue;
    }
    icu::UnicodeString skeleton;
    uspoof_getSkeletonUnicodeString(icu.spoof, 0, icu::UnicodeString(c), skeleton, &status);
    if (U_FAILURE(status)) IcuFailed("skeleton", status);
    if (skeleton == icu::UnicodeString(u'l') && (u_isupper(c) || u_istitle(c))) {
      out.append(u'I');
    } else {
      out.append(skeleton);
    }
  }
  return out;
}

icu::UnicodeString KeyOf(const icu::UnicodeString& name) {
  const Icu& icu = GetIcu();
  icu::UnicodeString key = PrototypesOutsideAscii(icu, name);
  // NFKC_Casefold and the skeleton are each idempotent; alternating them settles in a
  // round or two. The bound only guards against a surprise in future Unicode data.
  for (int round = 0; round < 8; ++round) {
    UErrorCode status = U_ZERO_ERROR;
    icu::UnicodeString folded;
    icu.nfkc_casefold->normalize(key, folded, status);
    icu::UnicodeString skeleton;
    uspoof_getSkeletonUnicodeString(icu.spoof, 0, folded, skeleton, &status);
    icu::UnicodeString next;
    icu.nfkc_casefold->normalize(skeleton, next, status);
    if (U_FAILURE(status)) IcuFailed("NameKey", status);
    if (next == key) break;
    key = std::move(next);
  }
  return key;
}

// Blank-looking letters and symbols that are not White_Space: a name made of them looks
// empty, and one inside a name looks like a space (`admin⠀->⠀you`).
bool IsBlankFiller(UChar32 c) {
  return c == 0x115F || c == 0x1160 || c == 0x3164 || c == 0xFFA0 || c == 0x2800;
}

bool IsInvisibleOrFormat(UChar32 c) {
  return u_charType(c) == U_FORMAT_CHAR || u_hasBinaryProperty(c, UCHAR_BIDI_CONTROL) ||
         u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT);
}

bool IsUnassignedOrPrivate(UChar32 c) {
  const int8_t type = u_charType(c);
  return type == U_UNASSIGNED || type == U_PRIVATE_USE_CHAR || type == U_SURROGATE ||
         u_hasBinaryProperty(c, UCHAR_NONCHARACTER_CODE_POINT);
}

bool IsCombiningMark(UChar32 c) { return (U_GET_GC_MASK(c) & U_GC_M_MASK) != 0; }

bool IsVisible(UChar32 c) {
  return (U_GET_GC_MASK(c) & (U_GC_L_MASK | U_GC_N_MASK | U_GC_S_MASK | U_GC_P_MASK)) != 0 &&
         !IsBlankFiller(c);
}

std::optional<std::string> ValidateIdentifier(std::string_view name, std::string_view noun) {
  if (name.empty()) return absl::StrCat(noun, " cannot be empty.");
  if (name.size() > kMaxNameBytes) {
    return absl::StrCat(noun, " is too long (", name.size(), " bytes; at most ", kMaxNameBytes,
                        ").");
  }
  if (name.find_first_of("[]") != std::string_view::npos) {
    return absl::StrCat(noun, " cannot contain '[' or ']'.");
  }
  for (unsigned char c : name) {
    // Tab too: it is allowed inside messages but would misalign a name.
    if (c < 0x20 || c == 0x7F) return absl::StrCat(noun, " cannot contain control characters.");
  }
  // Decode once; every later rule is about code points. U8_NEXT rejects overlong forms,
  // surrogates and anything above U+10FFFF (c < 0), as SanitizeText() does.
  std::u32string code_points;
  for (int32_t i = 0; i < static_cast<int32_t>(name.size());) {
    UChar32 c;
    U8_NEXT(name.data(), i, static_cast<int32_t>(name.size()), c);
    if (c < 0 || u_charType(c) == U_CONTROL_CHAR) {  // invalid, or a C1 control
      return absl::StrCat(noun, " must be valid UTF-8 without control characters.");
    }
    code_points.push_back(static_cast<char32_t>(c));
  }
  if (name.front() == '/') return absl::StrCat(noun, " cannot start with '/'.");
  bool visible = false;
  for (const char32_t c : code_points) {
    if (u_isUWhiteSpace(c) || IsBlankFiller(c)) {
      return absl::StrCat(noun, " cannot contain spaces.");
    }
    if (IsInvisibleOrFormat(c)) {
      return absl::StrCat(noun, " cannot contain invisible or formatting characters.");
    }
    if (IsUnassignedOrPrivate(c)) {
      return absl::StrCat(noun, " cannot contain unassigned or private-use characters.");
    }
    visible = visible || IsVisible(c);
  }
  if (!visible) return absl::StrCat(noun, " must contain a visible character.");
  if (IsCombiningMark(code_points.front())) {
    return absl::StrCat(noun, " cannot start with a combining mark.");
  }
  // Look-alikes of the characters refused above: full-width `［` and `／`, presentation
  // forms `﹇` `﹈`... The key is NFKC-folded and skeletonised, so they appear as `[`, `/`.
  const std::string key = NameKey(name);
  if (key.find_first_of("[]") != std::string::npos) {
    return absl::StrCat(noun, " cannot contain '[' or ']'.");
  }
  if (!key.empty() && key.front() == '/') return absl::StrCat(noun, " cannot start with '/'.");
  return std::nullopt;
}

}  // namespace

std::optional<std::string> ValidateName(std::string_view name) {
  return ValidateIdentifier(name, "Name");
}

std::optional<std::string> ValidateRoomName(std::string_view name) {
  return ValidateIdentifier(name, "Room name");
}

std::string NameKey(std::string_view name) {
  const icu::UnicodeString key = KeyOf(icu::UnicodeString::fromUTF8(
      icu::StringPiece(name.data(), static_cast<int32_t>(name.size()))));
  std::string out;
  key.toUTF8String(out);
  return out;
}

}  // namespace chat

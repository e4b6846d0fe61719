#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace hisbridge::auth {

// Admin API tokens. A token is 32 random bytes from the operating system's generator, written
// "hbt_" + 43 base64url characters; the config keeps only its SHA-256 digest, so a copy of
// the config (a backup, a support ticket) gives no access. A fast digest is enough: a token
// has 256 bits of entropy, nothing to guess.
using Digest = std::array<unsigned char, 32>;

inline constexpr std::string_view kTokenPrefix = "hbt_";

// A new random token; nullopt when the system's generator fails.
std::optional<std::string> make_token();
// SHA-256 of the token's bytes.
Digest digest(std::string_view token);
// 64 lower-case hexadecimal digits.
std::string to_hex(const Digest& d);
// The digest 64 hexadecimal digits (either case) spell; nullopt for anything else.
std::optional<Digest> digest_from_hex(std::string_view hex);
// Compares in time that does not depend on where the digests differ.
bool same_digest(const Digest& a, const Digest& b);

}  // namespace hisbridge::auth

#include "engine/auth/token.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

namespace hisbridge::auth {
namespace {

constexpr std::size_t kTokenBytes = 32;
constexpr char kBase64Url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64url(const unsigned char* data, std::size_t n) {
  std::string out;
  unsigned bits = 0;
  int count = 0;
  for (std::size_t i = 0; i < n; ++i) {
    bits = (bits << 8) | data[i];
    count += 8;
    while (count >= 6) {
      count -= 6;
      out += kBase64Url[(bits >> count) & 0x3f];
    }
  }
  if (count > 0) {
    out += kBase64Url[(bits << (6 - count)) & 0x3f];
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

}  // namespace

std::optional<std::string> make_token() {
  unsigned char bytes[kTokenBytes];
  if (RAND_bytes(bytes, static_cast<int>(kTokenBytes)) != 1) {
    return std::nullopt;
  }
  std::string token(kTokenPrefix);
  token += base64url(bytes, kTokenBytes);
  OPENSSL_cleanse(bytes, kTokenBytes);
  return token;
}

Digest digest(std::string_view token) {
  Digest out{};
  unsigned int n = 0;
  EVP_Digest(token.data(), token.size(), out.data(), &n, EVP_sha256(), nullptr);
  return out;
}

std::string to_hex(const Digest& d) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(d.size() * 2);
  for (const unsigned char b : d) {
    out += kHex[b >> 4];
    out += kHex[b & 0x0f];
  }
  return out;
}

std::optional<Digest> digest_from_hex(std::string_view hex) {
  Digest out{};
  if (hex.size() != out.size() * 2) {
    return std::nullopt;
  }
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int high = hex_value(hex[2 * i]);
    const int low = hex_value(hex[2 * i + 1]);
    if (high < 0 || low < 0) {
      return std::nullopt;
    }
    out[i] = static_cast<unsigned char>(high * 16 + low);
  }
  return out;
}

bool same_digest(const Digest& a, const Digest& b) {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace hisbridge::auth

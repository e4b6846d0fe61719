#include "engine/store/open_store.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <cctype>
#include <string>

#include "engine/store/postgres_store.hpp"
#include "engine/store/sqlite_store.hpp"

namespace hisbridge::store {
namespace {

constexpr std::string_view kSqlitePrefix = "sqlite:";

bool is_scheme_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '+' || c == '-' || c == '.';
}

// "word:" at the start, as in "mysql://x" or "file:x": a URI scheme, not a file name. A single
// letter is let through as a path ("c:"), as are names with no letters before the colon.
bool has_scheme(std::string_view s) {
  const auto colon = s.find(':');
  if (colon == std::string_view::npos || colon < 2 ||
      !std::isalpha(static_cast<unsigned char>(s[0]))) {
    return false;
  }
  for (std::size_t i = 0; i < colon; ++i) {
    if (!is_scheme_char(s[i])) {
      return false;
    }
  }
  return true;
}

// "word=..." at the start: libpq keyword syntax, even when the keyword is not one we accept.
bool looks_like_keywords(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && (std::isalpha(static_cast<unsigned char>(s[i])) || s[i] == '_')) {
    ++i;
  }
  return i > 0 && i < s.size() && s[i] == '=';
}

bool is_libpq_keywords(std::string_view s) {
  constexpr std::array<std::string_view, 6> kFirst = {"host=", "hostaddr=", "dbname=",
                                                      "user=", "port=",     "service="};
  for (const std::string_view k : kFirst) {
    if (s.starts_with(k)) {
      return true;
    }
  }
  return false;
}

std::string_view sqlite_path(std::string_view location) {
  std::string_view path = location.substr(kSqlitePrefix.size());
  if (path.starts_with("//")) {
    path.remove_prefix(2);  // sqlite://relative, sqlite:///absolute
  }
  return path;
}

bool bad_path(std::string_view path) {
  for (const char c : path) {
    if (static_cast<unsigned char>(c) < 0x20) {
      return true;
    }
  }
  return path.empty();
}

}  // namespace

Result<StoreKind> store_kind(std::string_view location) {
  if (location.starts_with("postgresql://") || location.starts_with("postgres://") ||
      is_libpq_keywords(location)) {
    return StoreKind::postgres;
  }
  if (location.starts_with(kSqlitePrefix)) {
    if (bad_path(sqlite_path(location))) {
      return StoreError::bad_config;
    }
    return StoreKind::sqlite;
  }
  if (bad_path(location) || has_scheme(location) || looks_like_keywords(location)) {
    return StoreError::bad_config;
  }
  return StoreKind::sqlite;
}

std::string redacted_location(std::string_view location) {
  std::string out(location);
  if (const std::size_t scheme = out.find("://"); scheme != std::string::npos) {
    // scheme://user:password@host: the password runs from the first ':' after the scheme to
    // the last '@' before the path.
    const std::size_t authority = scheme + 3;
    const std::size_t path = out.find('/', authority);
    const std::size_t at = out.rfind('@', path == std::string::npos ? out.size() : path);
    if (at != std::string::npos && at > authority) {
      const std::size_t colon = out.find(':', authority);
      if (colon != std::string::npos && colon < at) {
        out.replace(colon + 1, at - colon - 1, "***");
      }
    }
  }
  // password=secret or password='se cret' in key=value form, or as a URI query parameter.
  for (std::size_t at = out.find("password="); at != std::string::npos;
       at = out.find("password=", at + 1)) {
    const std::size_t begin = at + 9;
    std::size_t end = begin;
    if (end < out.size() && out[end] == '\'') {
      end = out.find('\'', end + 1);
      end = end == std::string::npos ? out.size() : end + 1;
    } else {
      while (end < out.size() && out[end] != ' ' && out[end] != '&') {
        ++end;
      }
    }
    out.replace(begin, end - begin, "***");
  }
  return out;
}

Result<std::unique_ptr<Store>> open_store(std::string_view location) {
  auto kind = store_kind(location);
  if (!kind) {
    // The location is not logged: a connection string may hold a password.
    spdlog::error("store: the store location is not sqlite:PATH, a file path or postgresql://...");
    return kind.error();
  }
  if (*kind == StoreKind::postgres) {
    auto opened = PostgresStore::open(location);
    if (!opened) {
      return opened.error();
    }
    return std::unique_ptr<Store>(std::move(*opened));
  }
  const std::string_view path =
      location.starts_with(kSqlitePrefix) ? sqlite_path(location) : location;
  auto opened = SqliteStore::open(std::string(path));
  if (!opened) {
    return opened.error();
  }
  return std::unique_ptr<Store>(std::move(*opened));
}

}  // namespace hisbridge::store

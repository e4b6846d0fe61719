#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

namespace hisbridge::config {

// A line and column in a file a person edits: both 1-based, columns in bytes.
struct Position {
  std::size_t line = 0;
  std::size_t column = 0;
};

Position position_at(std::string_view text, std::size_t offset);

// Where each value and each object key of a JSON document (with // and /* */ comments) starts,
// by JSON pointer ("/listeners/0/port"). nlohmann::json reads the values but forgets where
// they were; this lets every config and mapping error name the file, line and column.
// Built by a tolerant scan: on malformed text it records what it reached and stops.
class SourceMap {
 public:
  static SourceMap build(std::string_view text);

  // Position of the value at `pointer`; for a pointer not found, its nearest recorded parent.
  Position value(std::string_view pointer) const;
  // Position of the key naming the member at `pointer` (for "unknown key" errors).
  Position key(std::string_view pointer) const;

 private:
  friend class SourceMapBuilder;
  Position lookup(const std::map<std::string, Position, std::less<>>& table,
                  std::string_view pointer) const;

  std::map<std::string, Position, std::less<>> values_;
  std::map<std::string, Position, std::less<>> keys_;
};

}  // namespace hisbridge::config

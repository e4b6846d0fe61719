#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/config/config_error.hpp"
#include "engine/config/source_map.hpp"

namespace hisbridge::config {

// Collects the errors of one file, each placed by its JSON pointer.
class ErrorSink {
 public:
  ErrorSink(std::string file, const SourceMap& map) : file_(std::move(file)), map_(map) {}

  void at_value(std::string_view pointer, std::string message);
  void at_key(std::string_view pointer, std::string message);
  void at(Position position, std::string message);

  const std::vector<ConfigError>& errors() const { return errors_; }
  const std::string& file() const { return file_; }

 private:
  std::string file_;
  const SourceMap& map_;
  std::vector<ConfigError> errors_;
};

// Parses a file people edit: JSON with // and /* */ comments. False, with the error placed at
// the line and column where reading stopped, when the text is not valid JSON.
bool parse_json_with_comments(std::string_view text, ErrorSink& sink, nlohmann::json& out);

// The closest of `candidates` to `word` (edit distance at most 2, or a third of its length),
// or empty: the "did you mean" of unknown-key errors.
std::string closest_match(std::string_view word, std::initializer_list<std::string_view> candidates);

// Reads the members of one JSON object into typed fields, reporting every problem (unknown
// key, wrong type, out of range) to the sink and leaving the field at its default.
class ObjectReader {
 public:
  ObjectReader(const nlohmann::json& object, std::string pointer, ErrorSink& sink,
               std::initializer_list<std::string_view> allowed_keys);

  bool valid() const { return valid_; }
  bool has(std::string_view key) const;
  std::string pointer(std::string_view key) const { return pointer_ + "/" + std::string(key); }
  const nlohmann::json* member(std::string_view key) const;

  void text(std::string_view key, std::string& out, bool required = false);
  void flag(std::string_view key, bool& out);
  void port(std::string_view key, std::uint16_t& out, bool required = false);
  void count(std::string_view key, std::size_t& out, std::size_t min, std::size_t max);
  // "250ms", "30s", "5m", "2h", "1d", or a number of seconds.
  void duration(std::string_view key, std::chrono::milliseconds& out);
  // "500MB", "20 GB", "1.5GiB", or a number of bytes; at least `min` bytes. KB, MB, GB, TB
  // count in thousands (as disks are sold), KiB, MiB, GiB, TiB in 1024s.
  void bytes(std::string_view key, std::int64_t& out, std::int64_t min);
  void texts(std::string_view key, std::vector<std::string>& out);

 private:
  const nlohmann::json& object_;
  std::string pointer_;
  ErrorSink& sink_;
  bool valid_ = true;
};

}  // namespace hisbridge::config

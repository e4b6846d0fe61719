#pragma once

#include <boost/assert/source_location.hpp>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/core/result.hpp"

namespace hisbridge::mapping {

// Why a lookup table could not be read, placed so that IT staff find the spot in an editor.
struct LookupTableError {
  std::string file;
  std::size_t line = 0;    // 1-based; 0 when the file itself could not be read
  std::size_t column = 0;  // 1-based, counted in characters (not bytes) of that line
  std::string message;

  // "mappings/tables/lis-services.csv:4:1: key \"GLU\" is already on line 2"
  std::string to_string() const;
};

// Lets `Result<LookupTable, LookupTableError>::value()` throw a readable exception when a caller
// insists (config loading at start-up).
[[noreturn]] void throw_exception_from_error(const LookupTableError& e,
                                             const boost::source_location& loc);

// A CSV table that maps a key (the first column) to the other columns of its row, such as
// `mappings/tables/lis-services.csv` (LIS test code -> HIS service code and name). Immutable once
// loaded: find() may be called from any number of threads.
//
// The file is RFC 4180 CSV, as spreadsheets save it, with these choices:
// - UTF-8 only (a leading byte order mark is skipped); anything else is an error, since a legacy
//   code page would turn Vietnamese names into different bytes without a word.
// - CRLF, LF or a lone CR end a line. A line break inside a quoted field is kept as LF.
// - The first record is the header: column names, none empty, none repeated.
// - Outside quoted fields, a line that starts with `#` is a comment and a line of nothing or only
//   spaces/tabs is skipped; a record whose fields are all empty (`,,,` as spreadsheets leave after
//   the last row) is skipped too. A key that must start with `#` is quoted.
// - Fields are taken as written: spaces are part of the value (RFC 4180 §2.4); `""` inside a quoted
//   field is one quote; a quote inside an unquoted field is an ordinary character.
// - Every record has as many fields as the header. The first column is the key: not empty, and not
//   repeated (a lookup with two answers would be ambiguous).
class LookupTable {
 public:
  // A code list of the ministry's (tens of thousands of rows) is a few megabytes; a larger
  // file is refused, as is anything but a regular file.
  static constexpr std::size_t kMaxFileBytes = std::size_t{64} << 20;

  static Result<LookupTable, LookupTableError> load(const std::filesystem::path& file);
  // `file_name` only names the table in errors.
  static Result<LookupTable, LookupTableError> parse(std::string_view text, std::string file_name);

  // Column names in header order; the first is the key column.
  const std::vector<std::string>& columns() const noexcept { return columns_; }
  bool has_column(std::string_view name) const noexcept { return column_index(name).has_value(); }
  std::optional<std::size_t> column_index(std::string_view name) const noexcept;

  // The `column` value of the row whose key is exactly `key` (byte for byte: case, spaces and
  // diacritics all count), or nullptr when there is no such row or column. The pointer lives as
  // long as the table. Resolving the column once with column_index() and calling the index overload
  // saves the name comparison on hot paths.
  const std::string* find(std::string_view key, std::string_view column) const noexcept;
  const std::string* find(std::string_view key, std::size_t column) const noexcept;

  // Rows, the header not counted.
  std::size_t size() const noexcept { return rows_by_key_.size(); }
  // A cell by row (0-based, file order) and column index; both must be in range.
  const std::string& cell(std::size_t row, std::size_t column) const {
    return cells_[row * columns_.size() + column];
  }

 private:
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };

  std::vector<std::string> columns_;
  std::vector<std::string> cells_;  // row after row, columns_.size() cells each
  std::unordered_map<std::string, std::size_t, KeyHash, std::equal_to<>> rows_by_key_;
};

}  // namespace hisbridge::mapping

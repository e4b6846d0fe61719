#include "engine/mapping/lookup_table.hpp"

#include <algorithm>
#include <stdexcept>

#include "engine/core/read_whole_file.hpp"
#include "engine/hl7/utf8.hpp"

namespace hisbridge::mapping {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

// One CSV record as read: its fields, where each began (byte offsets) and its first line.
struct CsvRecord {
  std::vector<std::string> fields;
  std::vector<std::size_t> offsets;
  std::size_t line = 0;

  bool all_empty() const {
    return std::all_of(fields.begin(), fields.end(), [](const auto& f) { return f.empty(); });
  }
};

// Where a CSV read failed: a byte offset into the text, and what was wrong.
struct CsvFailure {
  std::size_t offset = 0;
  std::string message;
};

// An RFC 4180 reader with the comment and blank-line rules of LookupTable (see its header).
class CsvReader {
 public:
  enum class Step { record, end, failed };

  explicit CsvReader(std::string_view text) : text_(text) {}

  Step next(CsvRecord& record);
  const CsvFailure& failure() const { return failure_; }
  std::size_t line() const { return line_; }

 private:
  bool at_end() const { return pos_ == text_.size(); }
  bool at_line_end() const { return !at_end() && (text_[pos_] == '\n' || text_[pos_] == '\r'); }
  // Consumes CRLF, LF or a lone CR.
  void take_line_end() {
    pos_ += text_.compare(pos_, 2, "\r\n") == 0 ? 2u : 1u;
    ++line_;
  }
  void skip_comments_and_blank_lines();
  bool read_quoted(std::string& field);
  void read_unquoted(std::string& field);

  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
  CsvFailure failure_;
};

void CsvReader::skip_comments_and_blank_lines() {
  while (!at_end()) {
    std::size_t end = pos_;
    while (end < text_.size() && (text_[end] == ' ' || text_[end] == '\t')) {
      ++end;
    }
    const bool blank = end == text_.size() || text_[end] == '\n' || text_[end] == '\r';
    if (!blank && text_[pos_] != '#') {
      return;
    }
    pos_ = end;
    while (!at_end() && !at_line_end()) {
      ++pos_;
    }
    if (!at_end()) {
      take_line_end();
    }
  }
}

// At the opening quote; stops after the closing one.
bool CsvReader::read_quoted(std::string& field) {
  const std::size_t open = pos_++;
  while (!at_end()) {
    const char c = text_[pos_];
    if (c == '"') {
      if (text_.compare(pos_, 2, "\"\"") != 0) {
        ++pos_;
        return true;
      }
      field += '"';
      pos_ += 2;
    } else if (c == '\r' || c == '\n') {
      field += '\n';
      take_line_end();
    } else {
      field += c;
      ++pos_;
    }
  }
  failure_ = {open, "quote opened here is never closed"};
  return false;
}

void CsvReader::read_unquoted(std::string& field) {
  const std::size_t start = pos_;
  while (!at_end() && !at_line_end() && text_[pos_] != ',') {
    ++pos_;
  }
  field.assign(text_.substr(start, pos_ - start));
}

CsvReader::Step CsvReader::next(CsvRecord& record) {
  skip_comments_and_blank_lines();
  if (at_end()) {
    return Step::end;
  }
  record = CsvRecord{{}, {}, line_};
  while (true) {
    record.offsets.push_back(pos_);
    std::string& field = record.fields.emplace_back();
    if (!at_end() && text_[pos_] == '"') {
      if (!read_quoted(field)) {
        return Step::failed;
      }
      if (!at_end() && !at_line_end() && text_[pos_] != ',') {
        failure_ = {pos_,
                    "a closing quote must be followed by a comma or the "
                    "end of the line"};
        return Step::failed;
      }
    } else {
      read_unquoted(field);
    }
    if (at_end() || at_line_end()) {
      break;
    }
    ++pos_;  // the comma
  }
  if (!at_end()) {
    take_line_end();
  }
  return Step::record;
}

// 1-based line and column (in characters) of a byte offset into valid UTF-8 text, with line ends
// counted as CsvReader counts them.
std::pair<std::size_t, std::size_t> position_of(std::string_view text, std::size_t offset) {
  std::size_t line = 1;
  std::size_t column = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n' || (c == '\r' && (i + 1 >= text.size() || text[i + 1] != '\n'))) {
      ++line;
      column = 1;
    } else if (c != '\r' && (static_cast<unsigned char>(c) & 0xC0) != 0x80) {
      ++column;  // UTF-8 continuation bytes belong to the character before them
    }
  }
  return {line, column};
}

std::string in_quotes(std::string_view s) { return "\"" + std::string(s) + "\""; }

// A table under construction, so each check can report with the file's name and text.
class TableBuilder {
 public:
  TableBuilder(std::string_view text, std::string file) : text_(text), file_(std::move(file)) {}

  LookupTableError error_at(std::size_t offset, std::string message) const {
    const auto [line, column] = position_of(text_, offset);
    return {file_, line, column, std::move(message)};
  }
  std::optional<LookupTableError> check_header(const CsvRecord& header) const;
  std::optional<LookupTableError> check_row(const CsvRecord& row, std::size_t columns) const;

 private:
  std::string_view text_;
  std::string file_;
};

std::optional<LookupTableError> TableBuilder::check_header(const CsvRecord& header) const {
  for (std::size_t i = 0; i < header.fields.size(); ++i) {
    if (header.fields[i].empty()) {
      return error_at(header.offsets[i],
                      "column " + std::to_string(i + 1) + " of the header has no name");
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (header.fields[j] == header.fields[i]) {
        return error_at(header.offsets[i], "column name " + in_quotes(header.fields[i]) +
                                               " appears twice in the header (columns " +
                                               std::to_string(j + 1) + " and " +
                                               std::to_string(i + 1) + ")");
      }
    }
  }
  return std::nullopt;
}

std::optional<LookupTableError> TableBuilder::check_row(const CsvRecord& row,
                                                        std::size_t columns) const {
  if (row.fields.size() != columns) {
    const std::size_t n = row.fields.size();
    return error_at(row.offsets[0], "line " + std::to_string(row.line) + " has " +
                                        std::to_string(n) + (n == 1 ? " field" : " fields") +
                                        ", the header has " + std::to_string(columns));
  }
  if (row.fields[0].empty()) {
    return error_at(row.offsets[0], "the key (first column) is empty");
  }
  return std::nullopt;
}

}  // namespace

std::string LookupTableError::to_string() const {
  std::string out = file;
  if (line != 0) {
    out += ":" + std::to_string(line) + ":" + std::to_string(column);
  }
  return out + ": " + message;
}

void throw_exception_from_error(const LookupTableError& e, const boost::source_location&) {
  throw std::runtime_error(e.to_string());
}

Result<LookupTable, LookupTableError> LookupTable::load(const std::filesystem::path& file) {
  auto text = read_whole_file(file, kMaxFileBytes);
  if (!text) {
    return LookupTableError{file.string(), 0, 0, "cannot open: " + text.error()};
  }
  return parse(*text, file.string());
}

Result<LookupTable, LookupTableError> LookupTable::parse(std::string_view text,
                                                         std::string file_name) {
  if (text.starts_with(kUtf8Bom)) {
    text.remove_prefix(kUtf8Bom.size());
  }
  const TableBuilder builder(text, std::move(file_name));
  if (const std::size_t bad = hl7::find_invalid_utf8(text); bad != std::string_view::npos) {
    return builder.error_at(bad, "not valid UTF-8 (save the table as CSV UTF-8)");
  }
  CsvReader reader(text);
  CsvRecord record;
  CsvReader::Step step = reader.next(record);
  if (step == CsvReader::Step::end) {
    return builder.error_at(text.size(), "no header row: the first line must name the columns");
  }
  LookupTable table;
  std::vector<std::size_t> row_lines;  // for naming the first line of a repeated key
  while (step == CsvReader::Step::record) {
    if (table.columns_.empty()) {
      if (auto error = builder.check_header(record)) {
        return *error;
      }
      table.columns_ = std::move(record.fields);
    } else if (!record.all_empty()) {
      if (auto error = builder.check_row(record, table.columns_.size())) {
        return *error;
      }
      const auto [it, inserted] =
          table.rows_by_key_.try_emplace(record.fields[0], row_lines.size());
      if (!inserted) {
        return builder.error_at(record.offsets[0], "key " + in_quotes(record.fields[0]) +
                                                       " is already on line " +
                                                       std::to_string(row_lines[it->second]));
      }
      row_lines.push_back(record.line);
      std::move(record.fields.begin(), record.fields.end(), std::back_inserter(table.cells_));
    }
    step = reader.next(record);
  }
  if (step == CsvReader::Step::failed) {
    return builder.error_at(reader.failure().offset, reader.failure().message);
  }
  return table;
}

std::optional<std::size_t> LookupTable::column_index(std::string_view name) const noexcept {
  const auto it = std::find(columns_.begin(), columns_.end(), name);
  if (it == columns_.end()) {
    return std::nullopt;
  }
  return static_cast<std::size_t>(it - columns_.begin());
}

const std::string* LookupTable::find(std::string_view key, std::string_view column) const noexcept {
  const auto index = column_index(column);
  return index ? find(key, *index) : nullptr;
}

const std::string* LookupTable::find(std::string_view key, std::size_t column) const noexcept {
  if (column >= columns_.size()) {
    return nullptr;
  }
  const auto it = rows_by_key_.find(key);
  return it == rows_by_key_.end() ? nullptr : &cells_[it->second * columns_.size() + column];
}

}  // namespace hisbridge::mapping

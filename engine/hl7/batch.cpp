#include "engine/hl7/batch.hpp"

#include <algorithm>
#include <string>
#include <utility>

namespace hisbridge::hl7 {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
constexpr std::size_t kQuoteLength = 40;  // how much of a segment a problem quotes

struct Line {
  std::size_t number = 0;  // 1-based
  std::size_t begin = 0;   // offset of the text (after a BOM)
  std::size_t end = 0;     // offset after the terminator
  std::string_view text;   // without terminator
};

enum class Kind { blank, msh, fhs, bhs, bts, fts, other };

bool is_blank(std::string_view text) {
  return text.find_first_not_of(" \t") == std::string_view::npos;
}

// A field separator is printable punctuation (v2.5.1 §2.5.4 recommends '|').
bool is_separator(char c) {
  const bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  return c > ' ' && c < '\x7f' && !alnum;
}

Kind classify(std::string_view text) {
  if (is_blank(text)) {
    return Kind::blank;
  }
  const std::string_view id = text.substr(0, 3);
  if (id == "MSH") {
    return text.size() > 3 && is_separator(text[3]) ? Kind::msh : Kind::other;
  }
  if (text.size() > 3 && !is_separator(text[3])) {
    return Kind::other;
  }
  if (id == "FHS") {
    return Kind::fhs;
  }
  if (id == "BHS") {
    return Kind::bhs;
  }
  if (id == "BTS") {
    return Kind::bts;
  }
  if (id == "FTS") {
    return Kind::fts;
  }
  return Kind::other;
}

// Field 1 of BTS or FTS as a count: nullopt when empty, and `valid` false when not a number.
std::optional<std::size_t> count_field(std::string_view segment, bool& valid) {
  valid = true;
  if (segment.size() <= 4) {
    return std::nullopt;
  }
  std::string_view field = segment.substr(4);
  field = field.substr(0, field.find(segment[3]));
  field = field.substr(0, field.find_last_not_of(" \t") + 1);
  field.remove_prefix(std::min(field.find_first_not_of(" \t"), field.size()));
  if (field.empty()) {
    return std::nullopt;
  }
  std::size_t value = 0;
  for (char c : field) {
    if (c < '0' || c > '9' || value > (std::size_t{1} << 40)) {
      valid = false;
      return std::nullopt;
    }
    value = value * 10 + static_cast<std::size_t>(c - '0');
  }
  return value;
}

class Splitter {
 public:
  explicit Splitter(std::string_view file) : file_(file) {}

  Batch run();

 private:
  Line next_line(std::size_t pos, std::size_t number) const;
  void on_line(const Line& line);
  void open_message(const Line& line);
  void close_message();
  void on_fhs(const Line& line);
  void on_bhs(const Line& line);
  void on_bts(const Line& line);
  void on_fts(const Line& line);
  void close_open_batch(const Line& at);
  void problem(const Line& line, std::string detail, std::size_t field = 0);

  std::string_view file_;
  Batch out_;
  bool in_message_ = false;
  std::size_t message_begin_ = 0;
  std::size_t message_end_ = 0;
  bool batch_open_ = false;
  std::size_t fhs_line_ = 0;
  std::size_t fts_line_ = 0;
};

Line Splitter::next_line(std::size_t pos, std::size_t number) const {
  Line line;
  line.number = number;
  line.begin = pos;
  const std::size_t eol = file_.find_first_of("\r\n", pos);
  if (eol == std::string_view::npos) {
    line.end = file_.size();
  } else if (file_[eol] == '\n') {
    line.end = eol + 1;
  } else if (file_.substr(eol, 2) == "\r\n") {
    line.end = eol + 2;
  } else if (file_.substr(eol, 3) == "\r\r\n") {
    line.end = eol + 3;
  } else {
    line.end = eol + 1;
  }
  line.text = file_.substr(pos, (eol == std::string_view::npos ? file_.size() : eol) - pos);
  if (line.text.starts_with(kUtf8Bom)) {
    line.text.remove_prefix(kUtf8Bom.size());
    line.begin += kUtf8Bom.size();
  }
  return line;
}

Batch Splitter::run() {
  std::size_t number = 1;
  for (std::size_t pos = 0; pos < file_.size(); ++number) {
    const Line line = next_line(pos, number);
    on_line(line);
    pos = line.end;
  }
  close_message();
  const Line end{0, file_.size(), file_.size(), {}};  // line 0: the end of the file
  close_open_batch(end);
  if (fhs_line_ != 0 && fts_line_ == 0) {
    problem(end, "the FHS on line " + std::to_string(fhs_line_) + " has no FTS");
  }
  return std::move(out_);
}

void Splitter::on_line(const Line& line) {
  switch (classify(line.text)) {
    case Kind::blank:
      return close_message();
    case Kind::msh:
      return open_message(line);
    case Kind::fhs:
      return on_fhs(line);
    case Kind::bhs:
      return on_bhs(line);
    case Kind::bts:
      return on_bts(line);
    case Kind::fts:
      return on_fts(line);
    case Kind::other:
      break;
  }
  if (in_message_) {
    message_end_ = line.end;
  } else {
    out_.skipped.push_back({line.number, line.text});
  }
}

void Splitter::open_message(const Line& line) {
  close_message();
  in_message_ = true;
  message_begin_ = line.begin;
  message_end_ = line.end;
  out_.message_lines.push_back(line.number);
  if (batch_open_) {
    ++out_.batches.back().message_count;
  }
}

void Splitter::close_message() {
  if (in_message_) {
    out_.messages.push_back(file_.substr(message_begin_, message_end_ - message_begin_));
    in_message_ = false;
  }
}

void Splitter::on_fhs(const Line& line) {
  close_message();
  if (fhs_line_ != 0) {
    return problem(line, "a second FHS (the first is on line " + std::to_string(fhs_line_) +
                             "): " + std::string(line.text.substr(0, kQuoteLength)));
  }
  close_open_batch(line);
  fhs_line_ = line.number;
  out_.file_header = line.text;
}

void Splitter::on_bhs(const Line& line) {
  close_message();
  close_open_batch(line);
  BatchEnvelope batch;
  batch.header = line.text;
  batch.header_line = line.number;
  out_.batches.push_back(batch);
  batch_open_ = true;
}

void Splitter::on_bts(const Line& line) {
  close_message();
  if (!batch_open_) {
    return problem(line, "BTS without a BHS: " + std::string(line.text.substr(0, kQuoteLength)));
  }
  batch_open_ = false;
  BatchEnvelope& batch = out_.batches.back();
  batch.trailer = line.text;
  bool valid = true;
  batch.declared_count = count_field(line.text, valid);
  if (!valid) {
    return problem(line, "BTS-1 (batch message count) is not a number", 1);
  }
  if (batch.declared_count && *batch.declared_count != batch.message_count) {
    problem(line,
            "BTS-1 declares " + std::to_string(*batch.declared_count) +
                " messages, but the batch " + "that starts on line " +
                std::to_string(batch.header_line) + " holds " + std::to_string(batch.message_count),
            1);
  }
}

void Splitter::on_fts(const Line& line) {
  close_message();
  close_open_batch(line);
  if (fts_line_ != 0) {
    return problem(line, "a second FTS (the first is on line " + std::to_string(fts_line_) + ")");
  }
  fts_line_ = line.number;
  if (fhs_line_ == 0) {
    problem(line, "FTS without an FHS");
  }
  out_.file_trailer = line.text;
  bool valid = true;
  out_.declared_batch_count = count_field(line.text, valid);
  if (!valid) {
    return problem(line, "FTS-1 (file batch count) is not a number", 1);
  }
  // v2.5.1 §2.15.6.1: FTS-1 counts batches. Files without BHS often count their messages
  // there instead; that is accepted as well.
  const auto declared = out_.declared_batch_count;
  const std::size_t batches = out_.batches.size();
  if (declared && *declared != batches && (batches != 0 || *declared != out_.messages.size())) {
    problem(line,
            "FTS-1 declares " + std::to_string(*declared) + " batches, but the file holds " +
                std::to_string(batches),
            1);
  }
}

void Splitter::close_open_batch(const Line& at) {
  if (batch_open_) {
    batch_open_ = false;
    problem(at,
            "the BHS on line " + std::to_string(out_.batches.back().header_line) + " has no BTS");
  }
}

void Splitter::problem(const Line& line, std::string detail, std::size_t field) {
  ParseError e;
  e.code = Error::batch_malformed;
  e.offset = line.begin;
  e.field = field;
  e.detail =
      (line.number == 0 ? std::string("end of file") : "line " + std::to_string(line.number)) +
      ": " + std::move(detail);
  out_.problems.push_back(std::move(e));
}

}  // namespace

Batch split_messages(std::string_view file) { return Splitter(file).run(); }

}  // namespace hisbridge::hl7

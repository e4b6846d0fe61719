#include "engine/hl7/path.hpp"

#include <cctype>

namespace hisbridge::hl7 {
namespace {

class PathReader {
 public:
  explicit PathReader(std::string_view text) : text_(text) {}

  bool at_end() const { return pos_ == text_.size(); }
  bool take(char c) {
    if (!at_end() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  // A positive number of at most six digits; 0 when there is none.
  std::size_t number() {
    std::size_t value = 0;
    std::size_t digits = 0;
    while (!at_end() && std::isdigit(static_cast<unsigned char>(text_[pos_])) && digits < 6) {
      value = value * 10 + static_cast<std::size_t>(text_[pos_] - '0');
      ++pos_;
      ++digits;
    }
    return value;
  }
  std::size_t position() const { return pos_; }
  void skip(std::size_t n) { pos_ += n; }

  ParseError error(std::string detail) const {
    ParseError e;
    e.code = Error::bad_path;
    e.offset = pos_;
    e.detail.reserve(text_.size() + detail.size() + 4);
    e.detail += '\'';
    e.detail += text_;
    e.detail += "': ";
    e.detail += detail;
    return e;
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

bool is_segment_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// `[n]` after a segment id or a field number; `fallback` when absent.
ParseResult<std::size_t> bracketed(PathReader& r, std::size_t fallback) {
  if (!r.take('[')) {
    return fallback;
  }
  const std::size_t n = r.number();
  if (n == 0 || !r.take(']')) {
    return r.error("expected a number from 1 in [ ]");
  }
  return n;
}

}  // namespace

ParseResult<Path> Path::parse(std::string_view text) {
  PathReader r(text);
  Path path;
  if (text.size() < 3 || !is_segment_char(text[0]) || !is_segment_char(text[1]) ||
      !is_segment_char(text[2])) {
    return r.error("a path starts with a three-character segment id such as PID");
  }
  path.segment = std::string(text.substr(0, 3));
  r.skip(3);
  auto occurrence = bracketed(r, 1);
  if (!occurrence) {
    return occurrence.error();
  }
  path.segment_occurrence = *occurrence;
  if (r.at_end()) {
    return path;
  }
  if (!r.take('-')) {
    return r.error("expected '-' and a field number");
  }
  path.field = r.number();
  if (path.field == 0) {
    return r.error("expected a field number from 1");
  }
  auto repetition = bracketed(r, 0);
  if (!repetition) {
    return repetition.error();
  }
  path.repetition = *repetition;
  for (std::size_t* part : {&path.component, &path.subcomponent}) {
    if (r.at_end()) {
      return path;
    }
    if (!r.take('.')) {
      return r.error("expected '.' and a component number");
    }
    *part = r.number();
    if (*part == 0) {
      return r.error("expected a component number from 1");
    }
  }
  if (!r.at_end()) {
    return r.error("unexpected text after the sub-component");
  }
  return path;
}

std::string Path::to_string() const {
  std::string out = segment;
  if (segment_occurrence != 1) {
    out += "[" + std::to_string(segment_occurrence) + "]";
  }
  if (field == 0) {
    return out;
  }
  out += "-" + std::to_string(field);
  if (repetition != 0) {
    out += "[" + std::to_string(repetition) + "]";
  }
  if (component != 0) {
    out += "." + std::to_string(component);
    if (subcomponent != 0) {
      out += "." + std::to_string(subcomponent);
    }
  }
  return out;
}

}  // namespace hisbridge::hl7

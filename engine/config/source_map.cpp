#include "engine/config/source_map.hpp"

#include <vector>

namespace hisbridge::config {

Position position_at(std::string_view text, std::size_t offset) {
  Position p{1, 1};
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++p.line;
      p.column = 1;
    } else {
      ++p.column;
    }
  }
  return p;
}

namespace {

// RFC 6901: '~' and '/' inside a key are written ~0 and ~1.
std::string escape_pointer_token(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

class SourceMapBuilder {
 public:
  SourceMapBuilder(std::string_view text, SourceMap& map) : text_(text), map_(map) {}

  void run() {
    skip_space();
    value("");
  }

 private:
  Position here() {
    // Positions are computed incrementally: the scan only moves forward.
    while (counted_ < pos_ && counted_ < text_.size()) {
      if (text_[counted_] == '\n') {
        ++line_;
        column_ = 1;
      } else {
        ++column_;
      }
      ++counted_;
    }
    return {line_, column_};
  }

  bool at_end() const { return pos_ >= text_.size(); }

  void skip_space() {
    while (!at_end()) {
      const char c = text_[pos_];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        ++pos_;
      } else if (text_.substr(pos_, 2) == "//") {
        const std::size_t eol = text_.find('\n', pos_);
        pos_ = eol == std::string_view::npos ? text_.size() : eol + 1;
      } else if (text_.substr(pos_, 2) == "/*") {
        const std::size_t end = text_.find("*/", pos_ + 2);
        pos_ = end == std::string_view::npos ? text_.size() : end + 2;
      } else {
        return;
      }
    }
  }

  // Reads a JSON string at pos_ (which is at the opening quote) and returns its text with the
  // simple escapes decoded; \u escapes are kept as written (keys in hisbridge files are ASCII).
  std::string string_token() {
    std::string out;
    ++pos_;
    while (!at_end() && text_[pos_] != '"') {
      if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) {
        const char e = text_[pos_ + 1];
        out += e == 'n' ? '\n' : e == 't' ? '\t' : e;
        pos_ += 2;
      } else {
        out += text_[pos_++];
      }
    }
    ++pos_;  // closing quote
    return out;
  }

  bool value(const std::string& pointer) {
    if (at_end() || ++depth_ > kMaxDepth) {
      return false;
    }
    map_.values_.emplace(pointer, here());
    bool ok = true;
    const char c = text_[pos_];
    if (c == '{') {
      ok = object(pointer);
    } else if (c == '[') {
      ok = array(pointer);
    } else if (c == '"') {
      string_token();
    } else {
      const std::size_t start = pos_;
      while (!at_end() && std::string_view(",]} \t\r\n/").find(text_[pos_]) == std::string_view::npos) {
        ++pos_;
      }
      // A stray '}' in an array, ']' in an object or a lone '/' starts no value: stop here
      // rather than record the same place forever.
      ok = pos_ != start;
    }
    --depth_;
    return ok;
  }

  bool object(const std::string& pointer) {
    ++pos_;
    for (;;) {
      skip_space();
      if (at_end()) {
        return false;
      }
      if (text_[pos_] == '}') {
        ++pos_;
        return true;
      }
      if (text_[pos_] != '"') {
        return false;
      }
      const Position key_position = here();
      const std::string member = pointer + "/" + escape_pointer_token(string_token());
      map_.keys_.emplace(member, key_position);
      skip_space();
      if (at_end() || text_[pos_] != ':') {
        return false;
      }
      ++pos_;
      skip_space();
      if (!value(member)) {
        return false;
      }
      skip_space();
      if (!at_end() && text_[pos_] == ',') {
        ++pos_;
      }
    }
  }

  bool array(const std::string& pointer) {
    ++pos_;
    for (std::size_t index = 0;; ++index) {
      skip_space();
      if (at_end()) {
        return false;
      }
      if (text_[pos_] == ']') {
        ++pos_;
        return true;
      }
      if (!value(pointer + "/" + std::to_string(index))) {
        return false;
      }
      skip_space();
      if (!at_end() && text_[pos_] == ',') {
        ++pos_;
      }
    }
  }

  static constexpr std::size_t kMaxDepth = 256;

  std::string_view text_;
  SourceMap& map_;
  std::size_t pos_ = 0;
  std::size_t counted_ = 0;
  std::size_t line_ = 1;
  std::size_t column_ = 1;
  std::size_t depth_ = 0;
};

SourceMap SourceMap::build(std::string_view text) {
  SourceMap map;
  SourceMapBuilder(text, map).run();
  return map;
}

Position SourceMap::lookup(const std::map<std::string, Position, std::less<>>& table,
                           std::string_view pointer) const {
  for (;;) {
    auto it = table.find(pointer);
    if (it != table.end()) {
      return it->second;
    }
    const std::size_t slash = pointer.rfind('/');
    if (slash == std::string_view::npos) {
      return {1, 1};
    }
    pointer = pointer.substr(0, slash);
    if (pointer.empty()) {
      auto root = values_.find("");
      return root == values_.end() ? Position{1, 1} : root->second;
    }
  }
}

Position SourceMap::value(std::string_view pointer) const { return lookup(values_, pointer); }

Position SourceMap::key(std::string_view pointer) const {
  auto it = keys_.find(pointer);
  return it != keys_.end() ? it->second : value(pointer);
}

}  // namespace hisbridge::config

#include "engine/hl7/message_builder.hpp"

#include "engine/hl7/escape.hpp"

namespace hisbridge::hl7 {
namespace {

std::vector<std::string> split(std::string_view text, char delimiter) {
  std::vector<std::string> parts;
  if (delimiter == '\0') {
    parts.emplace_back(text);
    return parts;
  }
  std::size_t begin = 0;
  for (;;) {
    const std::size_t end = text.find(delimiter, begin);
    parts.emplace_back(text.substr(begin, end == std::string_view::npos ? end : end - begin));
    if (end == std::string_view::npos) {
      return parts;
    }
    begin = end + 1;
  }
}

std::string join(const std::vector<std::string>& parts, char delimiter) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i != 0) {
      out += delimiter;
    }
    out += parts[i];
  }
  return out;
}

std::string& at_number(std::vector<std::string>& parts, std::size_t number) {
  if (parts.size() < number) {
    parts.resize(number);
  }
  return parts[number - 1];
}

// Replaces the piece `number` (1-based) of `text` split on `delimiter` by what `edit` makes
// of it; with number 0 the whole text is the piece.
template <class Edit>
void edit_piece(std::string& text, char delimiter, std::size_t number, Edit&& edit) {
  if (number == 0 || delimiter == '\0') {
    edit(text);
    return;
  }
  std::vector<std::string> parts = split(text, delimiter);
  edit(at_number(parts, number));
  text = join(parts, delimiter);
}

ParseError builder_error(std::string detail) {
  ParseError e;
  e.code = Error::bad_path;
  e.detail = std::move(detail);
  return e;
}

bool valid_segment_id(std::string_view id) {
  if (id.size() != 3) {
    return false;
  }
  for (char c : id) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) {
      return false;
    }
  }
  return true;
}

}  // namespace

MessageBuilder::MessageBuilder(Delimiters delimiters) : delimiters_(delimiters) {}

MessageBuilder MessageBuilder::from(const Message& message) {
  MessageBuilder builder(message.delimiters());
  for (std::size_t n = 1; n <= message.segment_count(); ++n) {
    const Segment s = message.segment(n);
    SegmentText text;
    text.id = std::string(s.id());
    for (std::size_t f = 1; f <= s.field_count(); ++f) {
      text.fields.emplace_back(s.field(f).raw());
    }
    text.terminator = std::string(s.terminator());
    builder.segments_.push_back(std::move(text));
  }
  return builder;
}

ParseResult<std::size_t> MessageBuilder::add_segment(std::string_view id) {
  if (!valid_segment_id(id)) {
    return builder_error("segment id '" + std::string(id) + "' is not three upper-case letters or digits");
  }
  SegmentText text;
  text.id = std::string(id);
  if (id == "MSH") {
    text.fields = {std::string(1, delimiters_.field), delimiters_.encoding_characters()};
  }
  segments_.push_back(std::move(text));
  return segments_.size();
}

ParseResult<MessageBuilder::SegmentText*> MessageBuilder::segment_for(const Path& path) {
  std::size_t seen = 0;
  for (SegmentText& s : segments_) {
    if (s.id == path.segment && ++seen == path.segment_occurrence) {
      return &s;
    }
  }
  if (seen + 1 != path.segment_occurrence) {
    return builder_error(path.to_string() + ": only " + std::to_string(seen) + " " + path.segment +
                         " segments, cannot skip to occurrence " +
                         std::to_string(path.segment_occurrence));
  }
  auto added = add_segment(path.segment);
  if (!added) {
    return added.error();
  }
  return &segments_.back();
}

ParseResult<void> MessageBuilder::set_raw(const Path& path, std::string_view raw) {
  if (path.field == 0) {
    return builder_error(path.to_string() + ": a field number is needed");
  }
  if (path.segment == "MSH" && path.field <= 2) {
    return builder_error("MSH-1 and MSH-2 are the delimiters; they are fixed when building");
  }
  auto segment = segment_for(path);
  if (!segment) {
    return segment.error();
  }
  std::string& field = at_number((*segment)->fields, path.field);
  const Delimiters& d = delimiters_;
  edit_piece(field, d.repetition, path.repetition, [&](std::string& repetition) {
    edit_piece(repetition, d.component, path.component, [&](std::string& component) {
      edit_piece(component, d.subcomponent, path.subcomponent,
                 [&](std::string& leaf) { leaf = std::string(raw); });
    });
  });
  return {};
}

ParseResult<void> MessageBuilder::set(const Path& path, std::string_view text) {
  return set_raw(path, encode_escapes(text, delimiters_));
}

ParseResult<void> MessageBuilder::set(std::string_view path, std::string_view text) {
  auto parsed = Path::parse(path);
  if (!parsed) {
    return parsed.error();
  }
  return set(*parsed, text);
}

std::string MessageBuilder::to_er7() const {
  std::string out;
  for (const SegmentText& s : segments_) {
    out += s.id;
    // fields[0] of MSH is MSH-1, the separator itself: it is written once, not twice.
    for (std::size_t i = s.id == "MSH" ? 1 : 0; i < s.fields.size(); ++i) {
      out += delimiters_.field;
      out += s.fields[i];
    }
    out += s.terminator;
  }
  return out;
}

ParseResult<Message> MessageBuilder::build(const ParseOptions& options) const {
  return Message::parse_owned(to_er7(), options);
}

}  // namespace hisbridge::hl7

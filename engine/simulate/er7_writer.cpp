#include "engine/simulate/er7_writer.hpp"

#include "engine/hl7/delimiters.hpp"
#include "engine/hl7/escape.hpp"

namespace hisbridge::simulate {
namespace {

std::string joined(std::initializer_list<std::string_view> parts, char separator) {
  std::string out;
  std::size_t kept = 0;  // length up to the last non-empty part
  bool first = true;
  for (const std::string_view part : parts) {
    if (!first) {
      out += separator;
    }
    first = false;
    out += escaped(part);
    if (!part.empty()) {
      kept = out.size();
    }
  }
  out.resize(kept);
  return out;
}

}  // namespace

std::string escaped(std::string_view text) {
  static const hl7::Delimiters kDefault{};
  return hl7::encode_escapes(text, kDefault);
}

std::string components(std::initializer_list<std::string_view> parts) { return joined(parts, '^'); }

std::string subcomponents(std::initializer_list<std::string_view> parts) {
  return joined(parts, '&');
}

SegmentWriter& SegmentWriter::set(std::size_t field, std::string_view text) {
  return set_raw(field, escaped(text));
}

SegmentWriter& SegmentWriter::set_raw(std::size_t field, std::string raw) {
  if (fields_.size() < field) {
    fields_.resize(field);
  }
  fields_[field - 1] = std::move(raw);
  return *this;
}

std::string SegmentWriter::str() const {
  std::string out = id_;
  std::size_t last = fields_.size();
  while (last > 0 && fields_[last - 1].empty()) {
    --last;
  }
  for (std::size_t i = 0; i < last; ++i) {
    out += '|';
    out += fields_[i];
  }
  return out;
}

MessageWriter& MessageWriter::add(const SegmentWriter& segment) { return add_raw(segment.str()); }

MessageWriter& MessageWriter::add_raw(std::string_view segment) {
  bytes_ += segment;
  bytes_ += '\r';
  return *this;
}

}  // namespace hisbridge::simulate

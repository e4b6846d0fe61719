#include "engine/mapping/element_value.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <optional>

#include "engine/hl7/escape.hpp"
#include "engine/mapping/field_reader.hpp"

namespace hisbridge::mapping {
namespace {

hl7::Element narrow(hl7::Element el, std::size_t component, std::size_t subcomponent) {
  if (component != 0) {
    el = el.component(component);
  }
  if (subcomponent != 0) {
    el = el.subcomponent(subcomponent);
  }
  return el;
}

// The first repetition whose filter component is one of the wanted values.
hl7::Element pick_repetition(const hl7::Element& field, const RepetitionFilter& filter) {
  const std::size_t count = field.repetition_count();
  for (std::size_t r = 1; r <= count; ++r) {
    hl7::Element rep = field.repetition(r);
    const std::string v = rep.component(filter.component).value();
    if (std::find(filter.values.begin(), filter.values.end(), v) != filter.values.end()) {
      return rep;
    }
  }
  return {};
}

void set_null(Value& out) {
  out.type = Value::Type::null;
  out.text.clear();
}

// A field whose repetitions are separated by something other than `~`: each repetition
// decoded, joined with `~`.
void joined_repetitions(const hl7::Element& field, std::size_t repetitions, Value& out) {
  out.type = Value::Type::text;
  out.text.clear();
  for (std::size_t r = 1; r <= repetitions; ++r) {
    out.text += r > 1 ? "~" : "";
    const hl7::Element rep = field.repetition(r);
    hl7::append_decoded(out.text, rep.raw(), rep.delimiters());
  }
}

void text_of(const hl7::Element& el, Value& out) {
  if (!el.exists() || el.empty() || el.is_null()) {
    return set_null(out);
  }
  // With `~` as the repetition separator the raw text already is the joined form, so the
  // repetitions are counted (a scan of the field) only for the other separators.
  if (el.delimiters().repetition != '~' && el.level() == hl7::Element::Level::field) {
    if (const std::size_t repetitions = el.repetition_count(); repetitions > 1) {
      return joined_repetitions(el, repetitions, out);
    }
  }
  // Decoded straight into the Value (the same text as el.value()), over its old text.
  out.type = Value::Type::text;
  out.text.clear();
  hl7::append_decoded(out.text, el.raw(), el.delimiters());
  if (out.text.empty()) {
    out.type = Value::Type::null;
  }
}

// The `number`th part of `raw` between `delimiter`s, or nullopt when there are fewer. Works on
// the raw text rather than through Element's accessors: every Element a call returns is
// written to memory and read back in wider loads than it was written with, which stalled the
// CPU on each step (a quarter of mapping time, measured); a string_view stays in registers.
std::optional<std::string_view> nth_part(std::string_view raw, char delimiter, std::size_t number) {
  std::size_t begin = 0;
  for (std::size_t n = 1; n < number; ++n) {
    const std::size_t next = raw.find(delimiter, begin);
    if (next == std::string_view::npos) {
      return std::nullopt;
    }
    begin = next + 1;
  }
  const std::size_t end = raw.find(delimiter, begin);
  return raw.substr(begin, end == std::string_view::npos ? end : end - begin);
}

void decoded(std::string_view raw, const hl7::Delimiters& d, Value& out) {
  if (raw.empty() || raw == "\"\"") {
    return set_null(out);
  }
  out.type = Value::Type::text;
  out.text.clear();
  hl7::append_decoded(out.text, raw, d);
  if (out.text.empty()) {
    out.type = Value::Type::null;
  }
}

// A path narrowed below the field (a repetition, component or sub-component): Element's rules
// (a component of a field is read from its first repetition), on the raw text.
void narrowed_value(const hl7::Element& field, const hl7::Path& p, Value& out) {
  const hl7::Delimiters& d = field.delimiters();
  std::optional<std::string_view> raw = field.raw();
  raw = nth_part(*raw, d.repetition, p.repetition == 0 ? 1 : p.repetition);
  // A sub-component asked of a repetition is read from its first component.
  const std::size_t component = p.component != 0 ? p.component : (p.subcomponent != 0 ? 1 : 0);
  if (raw && component != 0) {
    raw = nth_part(*raw, d.component, component);
  }
  if (raw && p.subcomponent != 0) {
    raw = nth_part(*raw, d.subcomponent, p.subcomponent);
  }
  if (!raw) {
    return set_null(out);
  }
  decoded(*raw, d, out);
}

// The decoded text of `raw` over out's old text; text without escapes (nearly all) is copied.
void decode_into(std::string_view raw, const hl7::Delimiters& d, bool may_escape, Value& out) {
  if (raw.empty() || raw == "\"\"") {
    return set_null(out);
  }
  out.type = Value::Type::text;
  if (!may_escape || d.escape == '\0' ||
      std::memchr(raw.data(), d.escape, raw.size()) == nullptr) {
    out.text.assign(raw);
    return;
  }
  out.text.clear();
  hl7::append_decoded(out.text, raw, d);
  if (out.text.empty()) {
    out.type = Value::Type::null;
  }
}

// A path without a repetition filter on a field past MSH-2, read on the field's raw text: the
// repetition (the first unless the path names one), then the component and sub-component in
// the same pass. False when the field needs the general reader (a whole field whose
// repetitions are not separated by `~`).
bool read_raw(const hl7::Segment& segment, const hl7::Path& p, bool may_escape,
              const char* readable, Value& out) {
  std::string_view raw = segment.field_text(p.field);
  if (raw.data() == nullptr) {
    set_null(out);
    return true;
  }
  const hl7::Delimiters& d = segment.delimiters();
  if (p.repetition == 0 && p.component == 0 && p.subcomponent == 0) {
    if (d.repetition != '~' && raw.find(d.repetition) != std::string_view::npos) {
      return false;
    }
    decode_into(raw, d, may_escape, out);
    return true;
  }
  // A sub-component asked of a repetition is read from its first component.
  const std::size_t component = p.component != 0 ? p.component : (p.subcomponent != 0 ? 1 : 0);
  bool found = true;
  if (p.repetition > 1) {
    const std::optional<std::string_view> rep = nth_part(raw, d.repetition, p.repetition);
    found = rep.has_value();
    raw = rep.value_or(std::string_view());
    if (found && component != 0) {
      found = part_within(raw, d.component, d.repetition, component, readable);  // no `~` left
    }
  } else if (component != 0) {
    found = part_within(raw, d.component, d.repetition, component, readable);
  } else {
    found = part_within(raw, d.repetition, d.repetition, 1, readable);
  }
  if (found && p.subcomponent != 0) {
    found = part_within(raw, d.subcomponent, d.component, p.subcomponent, readable);  // no `^`
  }
  if (!found) {
    set_null(out);
    return true;
  }
  decode_into(raw, d, may_escape, out);
  return true;
}

}  // namespace

void element_value(const hl7::Segment& segment, const Expr& e, bool may_escape,
                   std::string_view message, Value& out) {
  constexpr std::uint32_t kMsh = segment_key("MSH");
  if (!e.has_filter && (e.path.field > 2 || e.segment_key != kMsh) &&
      read_raw(segment, e.path, may_escape, message.data() + message.size(), out)) {
    return;
  }
  hl7::Element el = segment.field(e.path.field);
  if (e.has_filter) {
    return text_of(narrow(pick_repetition(el, e.filter), e.get_component, e.get_subcomponent),
                   out);
  }
  if (!el.exists() || el.level() != hl7::Element::Level::field) {
    // MSH-1 and MSH-2 are literals: Element knows how to read them.
    if (e.path.repetition != 0) {
      el = el.repetition(e.path.repetition);
    }
    return text_of(narrow(el, e.path.component, e.path.subcomponent), out);
  }
  if (e.path.repetition == 0 && e.path.component == 0 && e.path.subcomponent == 0) {
    return text_of(el, out);
  }
  narrowed_value(el, e.path, out);
}

}  // namespace hisbridge::mapping

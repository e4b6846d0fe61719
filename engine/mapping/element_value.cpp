#include "engine/mapping/element_value.hpp"

#include <algorithm>
#include <optional>

#include "engine/hl7/escape.hpp"

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

// A field whose repetitions are separated by something other than `~`: each repetition
// decoded, joined with `~`.
Value joined_repetitions(const hl7::Element& field, std::size_t repetitions) {
  std::string joined;
  for (std::size_t r = 1; r <= repetitions; ++r) {
    joined += r > 1 ? "~" : "";
    joined += field.repetition(r).value();
  }
  return Value::of_text(std::move(joined));
}

Value text_of(const hl7::Element& el) {
  if (!el.exists() || el.empty() || el.is_null()) {
    return Value::null();
  }
  // With `~` as the repetition separator the raw text already is the joined form, so the
  // repetitions are counted (a scan of the field) only for the other separators.
  if (el.delimiters().repetition != '~' && el.level() == hl7::Element::Level::field) {
    if (const std::size_t repetitions = el.repetition_count(); repetitions > 1) {
      return joined_repetitions(el, repetitions);
    }
  }
  // Decoded straight into the Value (the same text as el.value()): one copy of the bytes,
  // not one more per move of a short string.
  Value v{Value::Type::text, {}};
  hl7::append_decoded(v.text, el.raw(), el.delimiters());
  if (v.text.empty()) {
    v.type = Value::Type::null;
  }
  return v;
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

Value decoded(std::string_view raw, const hl7::Delimiters& d) {
  if (raw.empty() || raw == "\"\"") {
    return Value::null();
  }
  Value v{Value::Type::text, {}};
  hl7::append_decoded(v.text, raw, d);
  if (v.text.empty()) {
    v.type = Value::Type::null;
  }
  return v;
}

// A path narrowed below the field (a repetition, component or sub-component): Element's rules
// (a component of a field is read from its first repetition), on the raw text.
Value narrowed_value(const hl7::Element& field, const hl7::Path& p) {
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
  return raw ? decoded(*raw, d) : Value::null();
}

}  // namespace

Value element_value(const hl7::Segment& segment, const Expr& e) {
  hl7::Element el = segment.field(e.path.field);
  if (e.has_filter) {
    return text_of(narrow(pick_repetition(el, e.filter), e.get_component, e.get_subcomponent));
  }
  if (!el.exists() || el.level() != hl7::Element::Level::field) {
    // MSH-1 and MSH-2 are literals: Element knows how to read them.
    if (e.path.repetition != 0) {
      el = el.repetition(e.path.repetition);
    }
    return text_of(narrow(el, e.path.component, e.path.subcomponent));
  }
  if (e.path.repetition == 0 && e.path.component == 0 && e.path.subcomponent == 0) {
    return text_of(el);
  }
  return narrowed_value(el, e.path);
}

}  // namespace hisbridge::mapping

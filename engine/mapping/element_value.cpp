#include "engine/mapping/element_value.hpp"

#include <algorithm>

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

}  // namespace

Value element_value(const hl7::Segment& segment, const Expr& e) {
  hl7::Element el = segment.field(e.path.field);
  if (e.has_filter) {
    el = narrow(pick_repetition(el, e.filter), e.get_component, e.get_subcomponent);
  } else {
    if (e.path.repetition != 0) {
      el = el.repetition(e.path.repetition);
    }
    el = narrow(el, e.path.component, e.path.subcomponent);
  }
  return text_of(el);
}

}  // namespace hisbridge::mapping

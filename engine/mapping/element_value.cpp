#include "engine/mapping/element_value.hpp"

#include <algorithm>
#include <string>

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

}  // namespace

void element_value_by_element(const hl7::Segment& segment, const Expr& e, Value& out) {
  hl7::Element el = segment.field(e.path.field);
  if (e.has_filter) {
    return text_of(narrow(pick_repetition(el, e.filter), e.get_component, e.get_subcomponent),
                   out);
  }
  const hl7::Path& p = e.path;
  if (el.exists() && el.level() == hl7::Element::Level::field && p.repetition == 0 &&
      p.component == 0 && p.subcomponent == 0) {
    return text_of(el, out);  // joined with `~`, each repetition decoded
  }
  // MSH-1 and MSH-2 are literals: Element knows how to read them.
  if (e.path.repetition != 0) {
    el = el.repetition(e.path.repetition);
  }
  text_of(narrow(el, e.path.component, e.path.subcomponent), out);
}

}  // namespace hisbridge::mapping

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

// A field whose repetitions are separated by something other than `~`: each repetition
// decoded, joined with `~`.
void joined_repetitions(const hl7::Element& field, std::size_t repetitions, ValueSink& sink,
                        Value& out) {
  sink.buffer.clear();
  for (std::size_t r = 1; r <= repetitions; ++r) {
    sink.buffer += r > 1 ? "~" : "";
    const hl7::Element rep = field.repetition(r);
    hl7::append_decoded(sink.buffer, rep.raw(), rep.delimiters());
  }
  out.set(Value::Type::text, sink.keep_buffer());
}

void text_of(const hl7::Element& el, ValueSink& sink, Value& out) {
  if (!el.exists() || el.empty() || el.is_null()) {
    return out.set_null();
  }
  // With `~` as the repetition separator the raw text already is the joined form, so the
  // repetitions are counted (a scan of the field) only for the other separators.
  if (el.delimiters().repetition != '~' && el.level() == hl7::Element::Level::field) {
    if (const std::size_t repetitions = el.repetition_count(); repetitions > 1) {
      return joined_repetitions(el, repetitions, sink, out);
    }
  }
  // The same text as el.value(). MSH-1 and MSH-2 are literals Element makes, not parts of the
  // message's bytes: every text is kept as made.
  sink.set_decoded(el.raw(), el.delimiters(), out);
}

}  // namespace

void element_value_by_element(const hl7::Segment& segment, const Expr& e, ValueSink& sink,
                              Value& out) {
  hl7::Element el = segment.field(e.path.field);
  if (e.has_filter) {
    return text_of(narrow(pick_repetition(el, e.filter), e.get_component, e.get_subcomponent),
                   sink, out);
  }
  const hl7::Path& p = e.path;
  if (el.exists() && el.level() == hl7::Element::Level::field && p.repetition == 0 &&
      p.component == 0 && p.subcomponent == 0) {
    return text_of(el, sink, out);  // joined with `~`, each repetition decoded
  }
  // MSH-1 and MSH-2 are literals: Element knows how to read them.
  if (e.path.repetition != 0) {
    el = el.repetition(e.path.repetition);
  }
  text_of(narrow(el, e.path.component, e.path.subcomponent), sink, out);
}

}  // namespace hisbridge::mapping

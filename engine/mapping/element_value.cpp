#include "engine/mapping/element_value.hpp"

#include <algorithm>

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

Value text_of(const hl7::Element& el) {
  if (!el.exists() || el.empty() || el.is_null()) {
    return Value::null();
  }
  const std::size_t repetitions =
      el.level() == hl7::Element::Level::field ? el.repetition_count() : 1;
  if (repetitions <= 1 || el.delimiters().repetition == '~') {
    std::string text = el.value();
    return text.empty() ? Value::null() : Value::of_text(std::move(text));
  }
  std::string joined;
  for (std::size_t r = 1; r <= repetitions; ++r) {
    joined += r > 1 ? "~" : "";
    joined += el.repetition(r).value();
  }
  return Value::of_text(std::move(joined));
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

#include "engine/app/parse_command.hpp"

#include <fstream>
#include <iterator>
#include <map>
#include <ostream>
#include <string_view>

#include <nlohmann/json.hpp>

#include "engine/hl7/batch.hpp"
#include "engine/hl7/charset.hpp"
#include "engine/hl7/message.hpp"

namespace hisbridge::app {
namespace {

using hl7::Element;
using hl7::Message;
using hl7::Segment;
using nlohmann::json;

// Values shown on one line: a line break inside a value is written as the two characters \n.
std::string one_line(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else {
      out += c;
    }
  }
  return out;
}

json element_tree(const Element& field) {
  json repetitions = json::array();
  for (std::size_t r = 1; r <= field.repetition_count(); ++r) {
    const Element rep = field.repetition(r);
    json components = json::array();
    for (std::size_t c = 1; c <= rep.component_count(); ++c) {
      const Element comp = rep.component(c);
      json subs = json::array();
      for (std::size_t s = 1; s <= comp.subcomponent_count(); ++s) {
        subs.push_back(comp.subcomponent(s).raw());
      }
      components.push_back(std::move(subs));
    }
    repetitions.push_back(std::move(components));
  }
  return repetitions;
}

json message_json(const Message& m, std::size_t index) {
  const auto& d = m.delimiters();
  json out;
  out["index"] = index;
  out["delimiters"] = {{"field", std::string(1, d.field)},
                       {"component", std::string(d.component ? 1 : 0, d.component)},
                       {"repetition", std::string(d.repetition ? 1 : 0, d.repetition)},
                       {"escape", std::string(d.escape ? 1 : 0, d.escape)},
                       {"subcomponent", std::string(d.subcomponent ? 1 : 0, d.subcomponent)},
                       {"truncation", std::string(d.truncation ? 1 : 0, d.truncation)}};
  json segments = json::array();
  for (std::size_t n = 1; n <= m.segment_count(); ++n) {
    const Segment s = m.segment(n);
    json fields = json::array();
    for (std::size_t f = 1; f <= s.field_count(); ++f) {
      const Element e = s.field(f);
      fields.push_back({{"number", f},
                        {"raw", e.raw()},
                        {"value", e.value()},
                        {"null", e.is_null()},
                        {"repetitions", element_tree(e)}});
    }
    segments.push_back({{"id", s.id()}, {"number", n}, {"fields", std::move(fields)}});
  }
  out["segments"] = std::move(segments);
  return out;
}

void print_components(std::ostream& out, const std::string& label, const Element& rep) {
  if (rep.component_count() <= 1 && rep.subcomponent_count() <= 1) {
    return;
  }
  for (std::size_t c = 1; c <= rep.component_count(); ++c) {
    const Element comp = rep.component(c);
    if (comp.empty()) {
      continue;
    }
    const std::string comp_label = label + "." + std::to_string(c);
    out << "    " << comp_label << "  " << one_line(comp.value()) << "\n";
    if (comp.subcomponent_count() > 1) {
      for (std::size_t s = 1; s <= comp.subcomponent_count(); ++s) {
        const Element sub = comp.subcomponent(s);
        if (!sub.empty()) {
          out << "      " << comp_label << "." << s << "  " << one_line(sub.value()) << "\n";
        }
      }
    }
  }
}

void print_tree(std::ostream& out, const Message& m, std::size_t index) {
  const auto h = m.header();
  out << "message " << index << ": " << h.message_code << "^" << h.trigger_event
      << ", control id " << h.control_id << ", " << m.segment_count() << " segments\n";
  std::map<std::string, std::size_t, std::less<>> seen;
  for (std::size_t n = 1; n <= m.segment_count(); ++n) {
    const Segment s = m.segment(n);
    const std::size_t occurrence = ++seen[std::string(s.id())];
    std::string name(s.id());
    if (occurrence > 1 || m.all(s.id()).size() > 1) {
      name += "[" + std::to_string(occurrence) + "]";
    }
    out << name << "\n";
    for (std::size_t f = 1; f <= s.field_count(); ++f) {
      const Element e = s.field(f);
      if (e.empty()) {
        continue;
      }
      const std::string label = name + "-" + std::to_string(f);
      if (e.level() == Element::Level::literal || e.repetition_count() == 1) {
        out << "  " << label << "  " << one_line(e.value()) << "\n";
        if (e.level() != Element::Level::literal) {
          print_components(out, label, e.repetition(1));
        }
        continue;
      }
      for (std::size_t r = 1; r <= e.repetition_count(); ++r) {
        const Element rep = e.repetition(r);
        const std::string rep_label = label + "[" + std::to_string(r) + "]";
        out << "  " << rep_label << "  " << one_line(rep.value()) << "\n";
        print_components(out, rep_label, rep);
      }
    }
  }
}

}  // namespace

int run_parse(const ParseOptions& options, std::ostream& out, std::ostream& err) {
  std::ifstream in(options.file, std::ios::binary);
  if (!in) {
    err << options.file << ": cannot open\n";
    return 2;
  }
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const hl7::Batch batch = hl7::split_messages(bytes);
  if (batch.messages.empty()) {
    err << options.file << ": no HL7 message found\n";
    return 2;
  }
  hl7::DecodeOptions decode_options;
  decode_options.charset_override = options.charset;
  json messages = json::array();
  int status = 0;
  for (std::size_t i = 0; i < batch.messages.size(); ++i) {
    auto message = hl7::decode(batch.messages[i], decode_options);
    if (!message) {
      // file:LINE names the message's MSH line, as compilers name a line, for editors.
      err << options.file << ":" << batch.message_lines[i] << ": message " << i + 1 << ": "
          << message.error().message() << "\n";
      status = 2;
      continue;
    }
    if (options.json) {
      messages.push_back(message_json(*message, i + 1));
    } else {
      print_tree(out, *message, i + 1);
    }
  }
  if (options.json) {
    json doc = {{"file", options.file}, {"messages", std::move(messages)}};
    out << doc.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
  }
  return status;
}

}  // namespace hisbridge::app

#include "engine/hl7/message.hpp"

#include <algorithm>

#include "engine/hl7/message_parser.hpp"

namespace hisbridge::hl7 {

ParseResult<Message> Message::parse(std::string_view bytes, const ParseOptions& options) {
  Message message;
  MessageParser parser(bytes, options, message);
  if (auto e = parser.run()) {
    return *e;
  }
  return message;
}

ParseResult<Message> Message::parse_owned(std::string bytes, const ParseOptions& options) {
  auto storage = std::make_shared<const std::string>(std::move(bytes));
  auto parsed = parse(*storage, options);
  if (parsed) {
    parsed->storage_ = std::move(storage);
  }
  return parsed;
}

Segment Message::make_segment(std::size_t index) const {
  const SegmentIndex& s = segments_[index];
  // The index holds offsets within raw_ (parse made it): views without bounds checks.
  return Segment(std::string_view(raw_.data() + s.begin, s.end - s.begin),
                 std::string_view(raw_.data() + s.end, s.next - s.end),
                 std::span<const std::uint32_t>(parts_.data() + s.first_part, s.part_count),
                 s.begin, delimiters_, index + 1);
}

Segment Message::segment(std::size_t number) const {
  if (number == 0 || number > segments_.size()) {
    return {};
  }
  return make_segment(number - 1);
}

std::optional<Segment> Message::find(std::string_view id, std::size_t occurrence) const {
  std::size_t seen = 0;
  for (std::size_t i = 0; i < segments_.size(); ++i) {
    if (raw_.substr(segments_[i].begin, 3) == id && ++seen == occurrence) {
      return make_segment(i);
    }
  }
  return std::nullopt;
}

std::vector<Segment> Message::all(std::string_view id) const {
  std::vector<Segment> out;
  for (std::size_t i = 0; i < segments_.size(); ++i) {
    if (raw_.substr(segments_[i].begin, 3) == id) {
      out.push_back(make_segment(i));
    }
  }
  return out;
}

std::vector<SegmentGroup> Message::groups(std::string_view head,
                                          std::span<const std::string_view> members) const {
  std::vector<SegmentGroup> out;
  bool open = false;
  for (std::size_t i = 0; i < segments_.size(); ++i) {
    Segment s = make_segment(i);
    if (s.id() == head) {
      out.push_back({s, {}});
      open = true;
    } else if (open && std::find(members.begin(), members.end(), s.id()) != members.end()) {
      out.back().members.push_back(s);
    } else {
      open = false;
    }
  }
  return out;
}

Element Message::get(const Path& path) const {
  auto segment = find(path.segment, path.segment_occurrence);
  if (!segment || path.field == 0) {
    return {};
  }
  Element e = segment->field(path.field);
  if (path.repetition != 0) {
    e = e.repetition(path.repetition);
  }
  if (path.component != 0) {
    e = e.component(path.component);
  }
  if (path.subcomponent != 0) {
    e = e.subcomponent(path.subcomponent);
  }
  return e;
}

Element Message::get(std::string_view path) const {
  auto parsed = Path::parse(path);
  return parsed ? get(*parsed) : Element();
}

MessageHeader Message::header() const {
  MessageHeader h;
  auto msh = find("MSH");
  if (!msh) {
    return h;
  }
  auto text = [&](std::size_t field, std::size_t component = 1) {
    return msh->field(field).component(component).value();
  };
  h.sending_application = text(3);
  h.sending_facility = text(4);
  h.receiving_application = text(5);
  h.receiving_facility = text(6);
  h.timestamp = text(7);
  h.message_code = text(9, 1);
  h.trigger_event = text(9, 2);
  h.message_structure = text(9, 3);
  h.control_id = msh->field(10).value();
  h.processing_id = text(11);
  h.version = text(12);
  h.accept_ack_type = msh->field(15).value();
  h.application_ack_type = msh->field(16).value();
  h.charset = msh->field(18).repetition(1).value();
  return h;
}

std::string Message::to_er7() const {
  std::string out;
  out.reserve(raw_.size());
  for (std::size_t i = 0; i < segments_.size(); ++i) {
    const Segment s = make_segment(i);
    out += s.raw();
    out += s.terminator();
  }
  return out;
}

std::optional<Segment> SegmentGroup::find(std::string_view id, std::size_t occurrence) const {
  std::size_t seen = 0;
  for (const Segment& s : members) {
    if (s.id() == id && ++seen == occurrence) {
      return s;
    }
  }
  return std::nullopt;
}

std::vector<Segment> SegmentGroup::all(std::string_view id) const {
  std::vector<Segment> out;
  for (const Segment& s : members) {
    if (s.id() == id) {
      out.push_back(s);
    }
  }
  return out;
}

}  // namespace hisbridge::hl7

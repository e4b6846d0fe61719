#include "engine/timeline/mark_codec.hpp"

#include <cstdint>
#include <optional>

namespace hisbridge::timeline {
namespace {

constexpr std::string_view kHeader = "HBM1";

void put_length(std::size_t n, std::string& out) {
  while (n >= 0x80) {
    out.push_back(static_cast<char>((n & 0x7f) | 0x80));
    n >>= 7;
  }
  out.push_back(static_cast<char>(n));
}

void put_text(std::string_view text, std::string& out) {
  put_length(text.size(), out);
  out.append(text);
}

void put_time(std::int64_t at_us, std::string& out) {
  auto bits = static_cast<std::uint64_t>(at_us);
  for (int i = 0; i < 8; ++i) {
    out.push_back(static_cast<char>(bits & 0xff));
    bits >>= 8;
  }
}

// Reads from the front of `rest`, consuming what it reads; nullopt / false at the end.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : rest_(bytes) {}

  bool empty() const { return rest_.empty(); }

  std::optional<unsigned char> byte() {
    if (rest_.empty()) {
      return std::nullopt;
    }
    const auto b = static_cast<unsigned char>(rest_.front());
    rest_.remove_prefix(1);
    return b;
  }

  std::optional<std::int64_t> time() {
    if (rest_.size() < 8) {
      return std::nullopt;
    }
    std::uint64_t bits = 0;
    for (int i = 7; i >= 0; --i) {
      bits = (bits << 8) | static_cast<unsigned char>(rest_[static_cast<std::size_t>(i)]);
    }
    rest_.remove_prefix(8);
    return static_cast<std::int64_t>(bits);
  }

  bool text(std::string& out) {
    std::size_t n = 0;
    for (int shift = 0;; shift += 7) {
      const auto b = byte();
      // Ten groups of seven bits hold any 64-bit length, the tenth only its top bit: a longer
      // varint, or one whose value needs more bits (which would wrap round), is not an encoding.
      if (!b || (shift == 63 && (*b & 0xfe) != 0)) {
        return false;
      }
      n |= static_cast<std::size_t>(*b & 0x7f) << shift;
      if ((*b & 0x80) == 0) {
        break;
      }
    }
    if (n > rest_.size()) {
      return false;
    }
    out.assign(rest_.substr(0, n));
    rest_.remove_prefix(n);
    return true;
  }

 private:
  std::string_view rest_;
};

bool read_mark(Reader& in, Mark& m) {
  const auto scope = in.byte();
  if (!scope || *scope > static_cast<unsigned char>(Scope::message)) {
    return false;
  }
  m.scope = static_cast<Scope>(*scope);
  const auto at = in.time();
  if (!at) {
    return false;
  }
  m.at_us = *at;
  SubjectInfo& i = m.info;
  return in.text(m.subject) && in.text(m.kind) && in.text(i.discipline) &&
         in.text(i.visit_id) && in.text(i.patient_id) && in.text(i.department) &&
         in.text(i.priority) && in.text(i.service_code) && in.text(i.modality);
}

}  // namespace

void encode_marks(std::span<const Mark> marks, std::string& out) {
  out.append(kHeader);
  for (const Mark& m : marks) {
    out.push_back(static_cast<char>(m.scope));
    put_time(m.at_us, out);
    put_text(m.subject, out);
    put_text(m.kind, out);
    const SubjectInfo& i = m.info;
    for (const std::string* field : {&i.discipline, &i.visit_id, &i.patient_id, &i.department,
                                     &i.priority, &i.service_code, &i.modality}) {
      put_text(*field, out);
    }
  }
}

bool decode_marks(std::string_view bytes, std::vector<Mark>& out, std::string& error) {
  if (!bytes.starts_with(kHeader)) {
    error = "the marks do not start with the header " + std::string(kHeader);
    return false;
  }
  Reader in(bytes.substr(kHeader.size()));
  const std::size_t before = out.size();
  while (!in.empty()) {
    if (!read_mark(in, out.emplace_back())) {
      error = "mark " + std::to_string(out.size() - before) + " is cut short or malformed";
      out.resize(before);
      return false;
    }
  }
  return true;
}

}  // namespace hisbridge::timeline

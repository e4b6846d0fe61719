#include "adapters/xml130/row_check.hpp"

#include <cstdio>
#include <string>

#include "engine/hl7/utf8.hpp"

namespace hisbridge::xml130 {
namespace {

bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0U) == 0x80U; }

std::string hex_code_point(unsigned value) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "U+%04X", value);
  return buffer;
}

// XML 1.0 §2.2 Char: tab, line feed and carriage return are the only C0 characters allowed;
// U+FFFE and U+FFFF (UTF-8 EF BF BE / EF BF BF) are excluded too. A carriage return never
// reaches here: records have their line ends made LF first, as any XML reader would.
Xml130Result<void> check_xml_chars(Element e, std::string_view text) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (!is_continuation(text[i])) {
      ++chars;
    }
    const bool control = byte < 0x20U && byte != '\t' && byte != '\n';
    const bool non_char = byte == 0xEFU && i + 2 < text.size() && text[i + 1] == '\xBF' &&
                          (text[i + 2] == '\xBE' || text[i + 2] == '\xBF');
    if (control || non_char) {
      const unsigned value = control ? byte : (text[i + 2] == '\xBE' ? 0xFFFEU : 0xFFFFU);
      return fail(Xml130Error::invalid_record,
                  std::string(name_of(e)) + " holds " + hex_code_point(value) + " at character " +
                      std::to_string(chars) + ", which an XML 1.0 file cannot carry");
    }
  }
  return {};
}

Xml130Result<void> check_code_shape(Element e, std::string_view text) {
  if (text.find_first_of("\t\n") != std::string_view::npos) {
    return fail(Xml130Error::invalid_record,
                std::string(name_of(e)) + " is a code and must be one line without tabs");
  }
  if (!text.empty() && (text.front() == ' ' || text.back() == ' ')) {
    return fail(Xml130Error::invalid_record,
                std::string(name_of(e)) + " \"" + std::string(text) +
                    "\" is a code and must not start or end with a space");
  }
  return {};
}

Xml130Failure with_row(const ClsRow& row, Xml130Failure failure) {
  failure.detail = describe(row) + ": " + failure.detail;
  return failure;
}

Xml130Result<void> check_element(const ClsRow& row, Element e) {
  const std::string& text = row[e];
  if (auto ok = check_value(e, text); !ok) {
    return with_row(row, ok.error());
  }
  if (spec(e).required && text.empty()) {
    return fail(Xml130Error::missing_field,
                describe(row) + ": " + std::string(name_of(e)) + " is required and empty");
  }
  return {};
}

Xml130Result<void> check_links(const ClsRow& row) {
  const bool measured = !row[Element::gia_tri].empty() || !row[Element::don_vi_do].empty();
  for (const Element e : {Element::ma_chi_so, Element::ten_chi_so}) {
    if (measured && row[e].empty()) {
      return fail(Xml130Error::missing_field,
                  describe(row) + ": " + std::string(name_of(e)) +
                      " is empty, but GIA_TRI or DON_VI_DO holds a measured value");
    }
  }
  if (row[Element::gia_tri].empty() && row[Element::mo_ta].empty() &&
      row[Element::ket_luan].empty()) {
    return fail(Xml130Error::missing_field,
                describe(row) +
                    ": GIA_TRI, MO_TA and KET_LUAN are all empty, so the row "
                    "holds no result");
  }
  return {};
}

}  // namespace

std::size_t count_chars(std::string_view text) noexcept {
  std::size_t chars = 0;
  for (const char c : text) {
    chars += is_continuation(c) ? 0U : 1U;
  }
  return chars;
}

Xml130Result<void> check_text(Element e, std::string_view text) {
  if (const std::size_t bad = hl7::find_invalid_utf8(text); bad != std::string_view::npos) {
    return fail(Xml130Error::invalid_record, std::string(name_of(e)) +
                                                 " is not well-formed UTF-8 (at byte " +
                                                 std::to_string(bad + 1) + ")");
  }
  if (auto ok = check_xml_chars(e, text); !ok) {
    return ok;
  }
  return spec(e).code ? check_code_shape(e, text) : Xml130Result<void>{};
}

Xml130Result<void> check_value(Element e, std::string_view text) {
  if (auto ok = check_text(e, text); !ok) {
    return ok;
  }
  const ElementSpec& s = spec(e);
  if (const std::size_t chars = count_chars(text); s.max_chars != 0 && chars > s.max_chars) {
    return fail(Xml130Error::too_long, std::string(s.name) + " has " + std::to_string(chars) +
                                           " characters, the limit is " +
                                           std::to_string(s.max_chars));
  }
  return {};
}

Xml130Result<void> check_row(const ClsRow& row) {
  for (std::size_t i = 0; i < kElementCount; ++i) {
    const auto e = static_cast<Element>(i);
    if (e == Element::stt) {
      continue;
    }
    if (auto ok = check_element(row, e); !ok) {
      return ok;
    }
  }
  return check_links(row);
}

}  // namespace hisbridge::xml130

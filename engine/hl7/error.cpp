#include "engine/hl7/error.hpp"

#include <stdexcept>

namespace hisbridge::hl7 {
namespace {

class Category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "hl7"; }

  std::string message(int ev) const override {
    switch (static_cast<Error>(ev)) {
      case Error::empty_input: return "empty message";
      case Error::too_large: return "message larger than the configured limit";
      case Error::too_many_segments: return "more segments than the configured limit";
      case Error::missing_msh: return "message does not start with an MSH segment";
      case Error::bad_delimiters: return "invalid delimiters in MSH-1/MSH-2";
      case Error::bad_segment_id: return "invalid segment id";
      case Error::unknown_charset: return "unknown character set";
      case Error::bad_encoding: return "bytes invalid in the declared character set";
      case Error::bad_path: return "invalid HL7 path";
      case Error::xml_malformed: return "malformed XML";
      case Error::xml_doctype_refused: return "XML document type declarations are refused";
      case Error::xml_not_v2xml: return "XML is not an HL7 v2.xml message";
      case Error::batch_malformed: return "malformed HL7 batch";
    }
    return "unknown hl7 error";
  }
};

}  // namespace

const boost::system::error_category& error_category() noexcept {
  static const Category category;
  return category;
}

boost::system::error_code make_error_code(Error e) noexcept {
  return {static_cast<int>(e), error_category()};
}

int hl7_error_code(Error e) noexcept {
  switch (e) {
    case Error::missing_msh:
    case Error::bad_segment_id:
    case Error::too_many_segments:
    case Error::batch_malformed:
      return 100;  // segment sequence error
    case Error::bad_delimiters:
    case Error::bad_encoding:
    case Error::unknown_charset:
    case Error::xml_malformed:
    case Error::xml_not_v2xml:
    case Error::xml_doctype_refused:
    case Error::empty_input:
      return 102;  // data type error
    case Error::too_large:
    case Error::bad_path:
      return 207;  // application internal error
  }
  return 207;
}

std::string_view hl7_error_text(int code) noexcept {
  switch (code) {
    case 0: return "Message accepted";
    case 100: return "Segment sequence error";
    case 101: return "Required field missing";
    case 102: return "Data type error";
    case 103: return "Table value not found";
    case 104: return "Value too long";
    case 200: return "Unsupported message type";
    case 201: return "Unsupported event code";
    case 202: return "Unsupported processing id";
    case 203: return "Unsupported version id";
    case 204: return "Unknown key identifier";
    case 205: return "Duplicate key identifier";
    case 206: return "Application record locked";
    case 207: return "Application internal error";
    default: return "Unknown error";
  }
}

std::string ParseError::message() const {
  std::string out;
  if (segment != 0) {
    out += "segment " + std::to_string(segment);
    if (field != 0) {
      out += ", field " + std::to_string(field);
    }
    out += " ";
  }
  out += "(byte " + std::to_string(offset) + "): ";
  out += error_category().message(static_cast<int>(code));
  if (!detail.empty()) {
    out += ": " + detail;
  }
  return out;
}

void throw_exception_from_error(const ParseError& e, const boost::source_location&) {
  throw std::runtime_error(e.message());
}

}  // namespace hisbridge::hl7

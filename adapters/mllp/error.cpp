#include "adapters/mllp/error.hpp"

#include <string>

namespace hisbridge::mllp {
namespace {

class Category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "mllp"; }

  std::string message(int ev) const override {
    switch (static_cast<Error>(ev)) {
      case Error::frame_too_large: return "MLLP frame larger than the configured limit";
      case Error::forbidden_byte: return "message contains an MLLP block byte (0x0B or 0x1C)";
      case Error::resolve_failed: return "host name does not resolve";
      case Error::connection_refused: return "connection refused";
      case Error::timeout: return "no ACK within the timeout";
      case Error::closed_before_ack: return "connection closed before a complete ACK";
      case Error::not_an_ack: return "the answer is not an HL7 ACK";
      case Error::tls_failed: return "TLS failed";
    }
    return "unknown mllp error";
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
    case Error::frame_too_large:
    case Error::forbidden_byte:
    case Error::resolve_failed:
    case Error::connection_refused:
    case Error::timeout:
    case Error::closed_before_ack:
    case Error::not_an_ack:
    case Error::tls_failed:
      return 207;  // application internal error: table 0357 has no code for size limits
  }
  return 207;
}

}  // namespace hisbridge::mllp

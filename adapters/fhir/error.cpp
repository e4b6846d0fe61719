#include "adapters/fhir/error.hpp"

#include <string>

namespace hisbridge::fhir {
namespace {

class Category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "fhir"; }

  std::string message(int ev) const override {
    switch (static_cast<Error>(ev)) {
      case Error::missing_key:
        return "a HIS record lacks a column of its key";
      case Error::invalid_time:
        return "a time is not ISO 8601 with an offset";
      case Error::invalid_name:
        return "not a plain file name";
      case Error::bad_url:
        return "FHIR base URL is not http(s)://host[:port][/path]";
      case Error::resolve_failed:
        return "host name does not resolve";
      case Error::connection_refused:
        return "connection refused";
      case Error::timeout:
        return "FHIR server did not answer in time";
      case Error::closed:
        return "connection closed before a complete answer";
      case Error::tls_failed:
        return "TLS handshake failed";
      case Error::bad_response:
        return "answer is not valid HTTP or is too large";
    }
    return "unknown fhir error";
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

}  // namespace hisbridge::fhir

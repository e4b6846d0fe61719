#include "adapters/xml130/error.hpp"

#include <boost/throw_exception.hpp>
#include <stdexcept>

namespace hisbridge::xml130 {
namespace {

class Category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "xml130"; }

  std::string message(int ev) const override {
    switch (static_cast<Xml130Error>(ev)) {
      case Xml130Error::invalid_record:
        return "record cannot be written to table 4";
      case Xml130Error::too_long:
        return "value longer than its table-4 element allows";
      case Xml130Error::missing_field:
        return "required table-4 element is empty";
      case Xml130Error::io:
        return "table-4 file could not be read or written";
      case Xml130Error::corrupt_file:
        return "existing table-4 file cannot be merged";
    }
    return "unknown xml130 error";
  }
};

}  // namespace

const boost::system::error_category& error_category() noexcept {
  static const Category category;
  return category;
}

boost::system::error_code make_error_code(Xml130Error e) noexcept {
  return {static_cast<int>(e), error_category()};
}

std::string Xml130Failure::message() const { return error_code().message() + ": " + detail; }

void throw_exception_from_error(const Xml130Failure& e, const boost::source_location& loc) {
  boost::throw_exception(std::runtime_error(e.message()), loc);
}

}  // namespace hisbridge::xml130

#include "adapters/hisdb/his_db_destination.hpp"

#include "adapters/hisdb/error.hpp"
#include "engine/router/destination_records.hpp"

namespace hisbridge::hisdb {

router::Delivery HisDbDestination::deliver(const router::DeliveryItem& item) {
  return router::deliver_output(item, mapping_, [this](const mapping::MappingOutput& output) {
    auto written = writer_->write(output.records);
    if (written) {
      return router::Delivery::delivered();
    }
    const std::string why = writer_->last_error().empty() ? written.error().message()
                                                          : writer_->last_error();
    return is_retryable(written.error()) ? router::Delivery::retry(why)
                                         : router::Delivery::failed(why);
  });
}

}  // namespace hisbridge::hisdb

#include "adapters/xml130/xml130_destination.hpp"

#include "engine/router/destination_records.hpp"

namespace hisbridge::xml130 {

router::Delivery Xml130Destination::deliver(const router::DeliveryItem& item) {
  return router::deliver_output(item, mapping_, [this](const mapping::MappingOutput& output) {
    auto written = writer_.write(output.records);
    if (written) {
      return router::Delivery::delivered();
    }
    // A failed file write (disk full, folder gone) passes; a refused row does not.
    return written.error().code == Xml130Error::io
               ? router::Delivery::retry(written.error().message())
               : router::Delivery::failed(written.error().message());
  });
}

}  // namespace hisbridge::xml130

#include "adapters/xml130/xml130_destination.hpp"

#include "engine/router/destination_records.hpp"

namespace hisbridge::xml130 {

router::Delivery Xml130Destination::deliver(const router::DeliveryItem& item) {
  std::string failure;
  const auto output = router::destination_output(item, mapping_, failure);
  if (!output) {
    return router::Delivery::failed(failure);
  }
  auto written = writer_.write(output->records);
  if (written) {
    return router::Delivery::delivered();
  }
  if (written.error().code == Xml130Error::io) {
    return router::Delivery::retry(written.error().message());
  }
  return router::Delivery::failed(written.error().message());
}

}  // namespace hisbridge::xml130

#include "engine/router/destination_records.hpp"

namespace hisbridge::router {

std::optional<mapping::MappingOutput> destination_output(const DeliveryItem& item,
                                                         const MappingSource& own,
                                                         std::string& failure) {
  if (!own) {
    return item.output;
  }
  const auto current = own();
  if (!current) {
    failure = "its mapping is not loaded";
    return std::nullopt;
  }
  auto mapped = item.message != nullptr &&
                        current->program().input == mapping::Program::Input::hl7
                    ? current->apply(*item.message)
                    : current->apply(item.stored.message.raw);
  if (!mapped) {
    failure = "mapping " + current->name() + ": " + mapped.error().reason;
    return std::nullopt;
  }
  return std::move(*mapped);
}

Delivery deliver_output(const DeliveryItem& item, const MappingSource& own,
                        const std::function<Delivery(const mapping::MappingOutput&)>& write) {
  if (!own) {  // the channel's output, as it is: no copy
    return item.output.records.empty() ? Delivery::delivered() : write(item.output);
  }
  std::string failure;
  const auto output = destination_output(item, own, failure);
  if (!output) {
    return Delivery::failed(failure);
  }
  if (output->records.empty()) {
    return Delivery::delivered();
  }
  return write(*output);
}

}  // namespace hisbridge::router

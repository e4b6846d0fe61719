#include "adapters/fhir/fhir_destination.hpp"

#include "adapters/fhir/bundle_builder.hpp"
#include "engine/router/destination_records.hpp"

namespace hisbridge::fhir {
namespace {

// Enough of a refusal to see why; an OperationOutcome puts its reason first.
constexpr std::size_t kAnswerShown = 300;

}  // namespace

router::Delivery FhirDestination::deliver(const router::DeliveryItem& item) {
  return router::deliver_output(item, mapping_, [&](const mapping::MappingOutput& output) {
    return send(item.stored.id, output);
  });
}

router::Delivery FhirDestination::send(std::int64_t id, const mapping::MappingOutput& output) {
  auto bundle = build_bundle(output.records, options_);
  if (!bundle) {
    return router::Delivery::failed("cannot build the FHIR bundle: " + bundle.error().message());
  }
  if (files_) {
    if (auto written = files_->write(*bundle, "msg-" + std::to_string(id)); !written) {
      return router::Delivery::retry("writing the bundle to " + files_->folder().string() +
                                     " failed: " + written.error().message());
    }
  }
  if (!client_) {
    return router::Delivery::delivered();
  }
  auto answer = client_->post_bundle(*bundle, "hisbridge-msg-" + std::to_string(id));
  switch (classify(answer)) {
    case Disposition::ok: return router::Delivery::delivered();
    case Disposition::retry:
      return router::Delivery::retry(answer ? "FHIR server answered " +
                                                  std::to_string(answer->status)
                                            : "FHIR server: " + answer.error().message());
    case Disposition::dead: break;
  }
  if (!answer) {
    return router::Delivery::failed("FHIR server: " + answer.error().message());
  }
  return router::Delivery::failed("FHIR server refused the bundle with " +
                                  std::to_string(answer->status) + ": " +
                                  answer->body.substr(0, kAnswerShown));
}

}  // namespace hisbridge::fhir

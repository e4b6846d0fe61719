#pragma once

#include <memory>
#include <optional>
#include <string>

#include "adapters/fhir/bundle_file_writer.hpp"
#include "adapters/fhir/bundle_options.hpp"
#include "adapters/fhir/fhir_client.hpp"
#include "engine/router/channel.hpp"
#include "engine/router/destination.hpp"

namespace hisbridge::fhir {

// The `fhir` destination: the HIS records of each message as one FHIR R4 transaction Bundle,
// written to a folder (`msg-<journal id>.json`) and/or POSTed to a FHIR server with the
// journal id as its Idempotency-Key, so a message sent again is the same request. A server
// that answers 5xx, 429 or not at all, or a failed file write, is retried; a 4xx answer fails
// the message with the status and the start of the server's answer.
class FhirDestination final : public router::Destination {
 public:
  FhirDestination(std::string name, BundleOptions options, std::optional<BundleFileWriter> files,
                  std::unique_ptr<FhirClient> client, router::MappingSource mapping)
      : name_(std::move(name)),
        options_(std::move(options)),
        files_(std::move(files)),
        client_(std::move(client)),
        mapping_(std::move(mapping)) {}

  const std::string& name() const override { return name_; }
  router::Delivery deliver(const router::DeliveryItem& item) override;

 private:
  // The bundle of one message (journal id `id`) to the folder and the server.
  router::Delivery send(std::int64_t id, const mapping::MappingOutput& output);

  std::string name_;
  BundleOptions options_;
  std::optional<BundleFileWriter> files_;
  std::unique_ptr<FhirClient> client_;
  router::MappingSource mapping_;
};

}  // namespace hisbridge::fhir

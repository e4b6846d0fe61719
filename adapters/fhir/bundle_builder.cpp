#include "adapters/fhir/bundle_builder.hpp"

#include <utility>

#include "adapters/fhir/bundle_context.hpp"
#include "adapters/fhir/record_set.hpp"
#include "adapters/fhir/resource_ids.hpp"
#include "adapters/fhir/resources.hpp"

namespace hisbridge::fhir {
namespace {

class EntryList {
 public:
  // Appends the entry of `resource`, named by `key`; keeps the first error.
  void add(const ResourceKey& key, Result<nlohmann::json> resource) {
    if (!resource) {
      if (!error_) {
        error_ = resource.error();
      }
      return;
    }
    entries_.push_back({{"fullUrl", full_url(key)},
                        {"resource", std::move(*resource)},
                        {"request", {{"method", "PUT"}, {"url", conditional_url(key)}}}});
  }

  const boost::system::error_code& error() const { return error_; }
  nlohmann::json take() { return std::move(entries_); }

 private:
  nlohmann::json entries_ = nlohmann::json::array();
  boost::system::error_code error_;
};

void add_people(EntryList& entries, const BundleContext& context) {
  for (const Row& patient : context.records().patients) {
    entries.add(context.patient_key(patient.get("patient_id")), patient_resource(patient, context));
  }
  for (const Row& visit : context.records().visits) {
    entries.add(context.encounter_key(visit.get("visit_id")), encounter_resource(visit, context));
  }
}

void add_orders(EntryList& entries, const BundleContext& context) {
  const RecordSet& records = context.records();
  for (const Row& order : records.orders) {
    entries.add(context.order_key(order.get("order_no")), service_request_resource(order, context));
  }
  for (const Row& order : records.orders) {
    if (context.has_specimen(order)) {
      entries.add(context.specimen_key(order.get("order_no")), specimen_resource(order, context));
    }
  }
  for (const Row& result : records.results) {
    entries.add(context.observation_key(result), observation_resource(result, context));
  }
  // A LAB order gets a report when the message carries results for it; a status update
  // (OML, ORM) gives the order and its specimen alone.
  for (const Row& order : records.orders) {
    const std::string_view order_no = order.get("order_no");
    if (order.get("discipline") == "LAB" && !context.results_of(order_no).empty() &&
        records.report(order_no) == nullptr) {
      entries.add(context.report_key(order_no), lab_report_resource(order, context));
    }
  }
}

void add_imaging(EntryList& entries, const BundleContext& context) {
  for (const Row& report : context.records().reports) {
    entries.add(context.imaging_study_key(report), imaging_study_resource(report, context));
  }
  for (const Row& report : context.records().reports) {
    entries.add(context.report_key(report.get("order_no")),
                imaging_report_resource(report, context));
  }
}

}  // namespace

Result<nlohmann::json> build_bundle(std::span<const mapping::Record> records,
                                    const BundleOptions& options) {
  auto collected = collect_records(records);
  if (!collected) {
    return collected.error();
  }
  const BundleContext context(options, *collected);
  EntryList entries;
  add_people(entries, context);
  add_orders(entries, context);
  add_imaging(entries, context);
  if (entries.error()) {
    return entries.error();
  }
  return nlohmann::json{
      {"resourceType", "Bundle"}, {"type", "transaction"}, {"entry", entries.take()}};
}

}  // namespace hisbridge::fhir

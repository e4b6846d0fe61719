#pragma once

#include <boost/system/error_code.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/fhir/bundle_options.hpp"
#include "adapters/fhir/record_set.hpp"
#include "adapters/fhir/resource_ids.hpp"

namespace hisbridge::fhir {

// What building any one resource needs: the options, the message's rows, and how each
// resource refers to the others. A reference points at the bundle's own entry (its urn:uuid
// fullUrl) when the bundle carries the target. Otherwise a patient is referred to by a
// conditional reference (the server resolves `Patient?identifier=...` to the patient an
// earlier message created), and an encounter, order or specimen is not referred to at all:
// a conditional reference that matches nothing fails the whole transaction, and a result must
// not be refused because its visit was never sent.
class BundleContext {
 public:
  BundleContext(const BundleOptions& options, const RecordSet& records)
      : options_(options), records_(records) {}

  const BundleOptions& options() const { return options_; }
  const RecordSet& records() const { return records_; }

  ResourceKey patient_key(std::string_view patient_id) const;
  ResourceKey encounter_key(std::string_view visit_id) const;
  ResourceKey order_key(std::string_view order_no) const;  // ServiceRequest
  ResourceKey specimen_key(std::string_view order_no) const;
  ResourceKey observation_key(const Row& result) const;
  ResourceKey report_key(std::string_view order_no) const;  // DiagnosticReport
  ResourceKey imaging_study_key(const Row& report) const;

  std::optional<nlohmann::json> patient_reference(std::string_view patient_id) const;
  std::optional<nlohmann::json> encounter_reference(std::string_view visit_id) const;
  std::optional<nlohmann::json> order_reference(std::string_view order_no) const;
  std::optional<nlohmann::json> specimen_reference(std::string_view order_no) const;

  // The patient an order is about: his_order.patient_id, else the message's only patient.
  std::string_view order_patient(std::string_view order_no) const;

  // Whether the bundle carries a Specimen for the order: a LAB order with a collection or
  // receipt time.
  bool has_specimen(const Row& order) const;

  // The message's results for one order, in message order.
  std::vector<const Row*> results_of(std::string_view order_no) const;

 private:
  const BundleOptions& options_;
  const RecordSet& records_;
};

// Writes FHIR times into resources and keeps the first error, so that a resource builder
// checks once at its end instead of after every time column.
class TimeWriter {
 public:
  // obj[name] = the FHIR dateTime of `his_time`; nothing when it is empty.
  void date_time(nlohmann::json& obj, const char* name, std::string_view his_time);
  void instant(nlohmann::json& obj, const char* name, std::string_view his_time);
  void date(nlohmann::json& obj, const char* name, std::string_view his_date);
  const boost::system::error_code& error() const { return error_; }

 private:
  boost::system::error_code error_;
};

}  // namespace hisbridge::fhir

#include "adapters/fhir/bundle_builder.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "adapters/fhir/error.hpp"
#include "adapters/fhir/fhir_codes.hpp"
#include "adapters/fhir/fhir_datatypes.hpp"
#include "adapters/fhir/resource_ids.hpp"
#include "tests/adapters/fhir/fhir_test_support.hpp"

namespace hisbridge::fhir {
namespace {

using testing::record;
using testing::resources;

// A LIS result message (corpus 06-oru-r01-sinh-hoa, two of its results) as the stock
// mapping writes it.
std::vector<mapping::Record> lab_message() {
  return {
      record("his_patient", {{"patient_id", "SL25003208"},
                             {"full_name", "Quàng Văn Thắng"},
                             {"birth_date", "1972-07-30"},
                             {"sex", "M"},
                             {"address", "Bản Co Mận, Xã Chiềng Mung, Huyện Mai Sơn, Sơn La"},
                             {"insurance_no", std::nullopt},
                             {"updated_at", "2025-03-14T09:20:04+07:00"}}),
      record("his_visit", {{"visit_id", "VP2503140033"},
                           {"patient_id", "SL25003208"},
                           {"department", "KKB"},
                           {"visit_class", "O"},
                           {"registered_at", std::nullopt}}),
      record("his_order", {{"order_no", "XN250314-0207-2"},
                           {"visit_id", "VP2503140033"},
                           {"patient_id", "SL25003208"},
                           {"discipline", "LAB"},
                           {"service_code", "24323-8"},
                           {"service_name", "Bảng sinh hóa máu"},
                           {"department", "KKB"},
                           {"priority", "S"},
                           {"status", "F"},
                           {"ordered_at", std::nullopt},
                           {"collected_at", "2025-03-14T08:02+07:00"},
                           {"received_at", "2025-03-14T08:17:44+07:00"},
                           {"reported_at", "2025-03-14T09:19+07:00"}}),
      record("his_result", {{"order_no", "XN250314-0207-2"},
                            {"test_code", "2345-7"},
                            {"seq", "1"},
                            {"test_name", "Glucose"},
                            {"value", "8.9"},
                            {"value_type", "NM"},
                            {"unit", "mmol/L"},
                            {"ref_range", "3.9-6.4"},
                            {"abnormal_flag", "H"},
                            {"status", "F"},
                            {"observed_at", "2025-03-14T09:15:22+07:00"}}),
      record("his_result", {{"order_no", "XN250314-0207-2"},
                            {"test_code", "14682-9"},
                            {"seq", "1"},
                            {"test_name", "Creatinine"},
                            {"value", "118"},
                            {"value_type", "NM"},
                            {"unit", "µmol/L"},
                            {"ref_range", "62-120"},
                            {"abnormal_flag", "N"},
                            {"status", "C"},
                            {"observed_at", "2025-03-14T09:15:22+07:00"}}),
  };
}

nlohmann::json build(const std::vector<mapping::Record>& records,
                     const BundleOptions& options = {}) {
  auto bundle = build_bundle(records, options);
  EXPECT_TRUE(bundle.has_value()) << bundle.error().message();
  if (!bundle) {
    return nullptr;
  }
  testing::expect_valid_bundle(*bundle);
  return *bundle;
}

// The resource an entry's reference points at.
nlohmann::json target(const nlohmann::json& bundle, const nlohmann::json& ref) {
  return testing::entry_at(bundle, ref["reference"].get<std::string>())["resource"];
}

TEST(BundleBuilderTest, LabMessageGivesLinkedResourcesInAFixedOrder) {
  const nlohmann::json bundle = build(lab_message());
  std::vector<std::string> types;
  for (const auto& entry : bundle["entry"]) {
    types.push_back(entry["resource"]["resourceType"]);
  }
  EXPECT_EQ(types, (std::vector<std::string>{"Patient", "Encounter", "ServiceRequest", "Specimen",
                                             "Observation", "Observation", "DiagnosticReport"}));
  const nlohmann::json report = resources(bundle, "DiagnosticReport")[0];
  EXPECT_EQ(report["status"], "final");
  EXPECT_EQ(report["effectiveDateTime"], "2025-03-14T08:02:00+07:00");
  EXPECT_EQ(report["issued"], "2025-03-14T09:19:00+07:00");
  ASSERT_EQ(report["result"].size(), 2U);
  EXPECT_EQ(target(bundle, report["result"][0])["code"]["coding"][0]["code"], "2345-7");
  EXPECT_EQ(target(bundle, report["subject"])["resourceType"], "Patient");
  EXPECT_EQ(target(bundle, report["encounter"])["resourceType"], "Encounter");
  EXPECT_EQ(target(bundle, report["basedOn"][0])["resourceType"], "ServiceRequest");
  EXPECT_EQ(target(bundle, report["specimen"][0])["resourceType"], "Specimen");

  const nlohmann::json request = resources(bundle, "ServiceRequest")[0];
  EXPECT_EQ(request["priority"], "stat");
  EXPECT_EQ(request["status"], "completed");
  EXPECT_EQ(request["category"][0]["coding"][0]["code"], "108252007");
  EXPECT_EQ(request["code"]["coding"][0]["display"], "Bảng sinh hóa máu");

  const nlohmann::json specimen = resources(bundle, "Specimen")[0];
  EXPECT_EQ(specimen["collection"]["collectedDateTime"], "2025-03-14T08:02:00+07:00");
  EXPECT_EQ(specimen["receivedTime"], "2025-03-14T08:17:44+07:00");
  EXPECT_EQ(target(bundle, specimen["request"][0])["resourceType"], "ServiceRequest");

  const auto observations = resources(bundle, "Observation");
  EXPECT_EQ(observations[0]["valueQuantity"]["value"], 8.9);
  EXPECT_EQ(observations[0]["referenceRange"][0]["low"]["value"], 3.9);
  EXPECT_EQ(observations[0]["interpretation"][0]["coding"][0]["code"], "H");
  EXPECT_EQ(observations[0]["interpretation"][0]["coding"][0]["system"], kV3Interpretation);
  EXPECT_EQ(observations[0]["identifier"][0]["value"], "XN250314-0207-2/2345-7/1");
  EXPECT_EQ(observations[1]["status"], "corrected");
  EXPECT_EQ(observations[1]["valueQuantity"]["code"], "umol/L");
  EXPECT_EQ(observations[1]["category"][0]["coding"][0]["code"], "laboratory");

  const nlohmann::json encounter = resources(bundle, "Encounter")[0];
  EXPECT_EQ(encounter["class"]["code"], "AMB");
  EXPECT_EQ(encounter["location"][0]["location"]["display"], "KKB");
  EXPECT_FALSE(encounter.contains("period"));
}

TEST(BundleBuilderTest, TheSameRecordsGiveTheSameBundleByteForByte) {
  const std::string first = build(lab_message()).dump();
  const std::string second = build(lab_message()).dump();
  EXPECT_EQ(first, second);
  // Entries are named by their business identifier only: a different patient, a different
  // Patient fullUrl and conditional URL.
  auto other = lab_message();
  other[0].values[0] = mapping::Value::of_text("SL25003209");
  const nlohmann::json changed = build(other);
  const nlohmann::json original = nlohmann::json::parse(first);
  EXPECT_NE(changed["entry"][0]["fullUrl"], original["entry"][0]["fullUrl"]);
  EXPECT_EQ(changed["entry"][0]["request"]["url"],
            "Patient?identifier=urn:hisbridge:patient-id|SL25003209");
  EXPECT_EQ(changed["entry"][1]["fullUrl"], original["entry"][1]["fullUrl"]);  // same visit
  EXPECT_EQ(original["entry"][0]["fullUrl"],
            full_url({"Patient", "urn:hisbridge:patient-id", "SL25003208"}));
}

TEST(BundleBuilderTest, VietnameseNameFamilyFirstGivenTheRest) {
  const nlohmann::json bundle = build(lab_message());
  const nlohmann::json patient = resources(bundle, "Patient")[0];
  EXPECT_EQ(patient["name"][0]["text"], "Quàng Văn Thắng");
  EXPECT_EQ(patient["name"][0]["family"], "Quàng");
  EXPECT_EQ(patient["name"][0]["given"], nlohmann::json::array({"Văn Thắng"}));
  EXPECT_EQ(patient["gender"], "male");
  EXPECT_EQ(patient["birthDate"], "1972-07-30");
  EXPECT_EQ(patient["address"][0]["text"], "Bản Co Mận, Xã Chiềng Mung, Huyện Mai Sơn, Sơn La");
  EXPECT_EQ(patient["identifier"].size(), 1U);  // no insurance number known

  const nlohmann::json one_word = build({record("his_patient", {{"patient_id", "P1"},
                                                                {"full_name", "Páo"},
                                                                {"insurance_no", "DN4011234567890"},
                                                                {"sex", "F"}})});
  const nlohmann::json p = resources(one_word, "Patient")[0];
  EXPECT_EQ(p["name"][0]["family"], "Páo");
  EXPECT_FALSE(p["name"][0].contains("given"));
  EXPECT_EQ(p["gender"], "female");
  EXPECT_EQ(p["identifier"][1]["value"], "DN4011234567890");
  EXPECT_EQ(p["identifier"][1]["type"]["coding"][0]["code"], "HC");
}

TEST(BundleBuilderTest, RowsWithTheSameKeyMergeLaterKnownValuesWinning) {
  const nlohmann::json bundle = build({
      record("his_order", {{"order_no", "O1"},
                           {"patient_id", "P1"},
                           {"discipline", "RAD"},
                           {"status", "SC"},
                           {"ordered_at", "2026-03-05T08:00+07:00"}}),
      record("his_order", {{"order_no", "O1"},
                           {"status", "IP"},
                           {"ordered_at", std::nullopt},
                           {"service_name", "  CT ngực  "}}),
  });
  const auto requests = resources(bundle, "ServiceRequest");
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0]["status"], "active");
  EXPECT_EQ(requests[0]["authoredOn"], "2026-03-05T08:00:00+07:00");
  EXPECT_EQ(requests[0]["code"], (nlohmann::json{{"text", "CT ngực"}}));  // blanks trimmed
  EXPECT_EQ(requests[0]["category"][0]["coding"][0]["code"], "363679005");
  EXPECT_TRUE(resources(bundle, "Specimen").empty());  // RAD: no specimen
}

TEST(BundleBuilderTest, APatientOutsideTheBundleIsFoundByIdentifier) {
  auto records = lab_message();
  records.erase(records.begin(), records.begin() + 2);  // no his_patient, no his_visit
  const nlohmann::json bundle = build(records);
  const nlohmann::json request = resources(bundle, "ServiceRequest")[0];
  EXPECT_EQ(request["subject"]["reference"],
            "Patient?identifier=urn:hisbridge:patient-id|SL25003208");
  EXPECT_FALSE(request.contains("encounter"));  // an unknown visit is not referred to
  EXPECT_EQ(resources(bundle, "Observation")[0]["subject"], request["subject"]);
}

TEST(BundleBuilderTest, ResultsWithoutTheirOrderStandAlone) {
  const auto records = lab_message();
  const nlohmann::json bundle = build({records[0], records[3]});
  const auto observations = resources(bundle, "Observation");
  ASSERT_EQ(observations.size(), 1U);
  EXPECT_FALSE(observations[0].contains("basedOn"));
  EXPECT_FALSE(observations[0].contains("category"));
  // The message's only patient is the subject.
  EXPECT_EQ(target(bundle, observations[0]["subject"])["resourceType"], "Patient");
  EXPECT_TRUE(resources(bundle, "DiagnosticReport").empty());
}

TEST(BundleBuilderTest, SiteSystemsNameEveryIdentifierAndCode) {
  BundleOptions options;
  options.patient_id_system = "urn:oid:1.2.704.1.1";
  options.order_no_system = "urn:oid:1.2.704.1.2";
  options.test_code_system = "http://loinc.org";
  options.units_are_ucum = true;
  const nlohmann::json bundle = build(lab_message(), options);
  EXPECT_EQ(bundle["entry"][0]["request"]["url"],
            "Patient?identifier=urn:oid:1.2.704.1.1|SL25003208");
  EXPECT_EQ(resources(bundle, "ServiceRequest")[0]["identifier"][0]["system"],
            "urn:oid:1.2.704.1.2");
  EXPECT_EQ(resources(bundle, "DiagnosticReport")[0]["identifier"][0]["system"],
            "urn:oid:1.2.704.1.2");
  EXPECT_EQ(resources(bundle, "Observation")[0]["code"]["coding"][0]["system"], "http://loinc.org");
}

TEST(BundleBuilderTest, VisitClassesAndSexes) {
  const auto visit = [](const char* visit_class) {
    return resources(
        build({record("his_visit", {{"visit_id", "V1"}, {"visit_class", visit_class}})}),
        "Encounter")[0]["class"];
  };
  EXPECT_EQ(visit("I")["code"], "IMP");
  EXPECT_EQ(visit("E")["code"], "EMER");
  EXPECT_EQ(visit("E")["system"], kV3ActCode);
  EXPECT_EQ(visit("P")["system"], "http://terminology.hl7.org/CodeSystem/v2-0004");
  EXPECT_EQ(visit("")["code"], "UNK");
  const auto sex = [](const char* code) {
    return resources(build({record("his_patient", {{"patient_id", "P1"}, {"sex", code}})}),
                     "Patient")[0];
  };
  EXPECT_EQ(sex("O")["gender"], "other");
  EXPECT_EQ(sex("U")["gender"], "unknown");
  EXPECT_FALSE(sex("X").contains("gender"));
}

TEST(BundleBuilderTest, MissingKeysAndBadTimesAreErrors) {
  const auto error_of = [](const std::vector<mapping::Record>& records) {
    auto bundle = build_bundle(records, BundleOptions{});
    return bundle ? boost::system::error_code() : bundle.error();
  };
  const auto missing_key = make_error_code(Error::missing_key);
  EXPECT_EQ(error_of({record("his_patient", {{"patient_id", std::nullopt}})}), missing_key);
  EXPECT_EQ(error_of({record("his_patient", {{"patient_id", "  "}})}), missing_key);
  EXPECT_EQ(error_of({record("his_patient", {{"full_name", "Lò Văn Páo"}})}), missing_key);
  EXPECT_EQ(error_of({record("his_result", {{"order_no", "O1"}, {"test_code", "GLU"}})}),
            missing_key);
  // A ServiceRequest must name its patient.
  EXPECT_EQ(error_of({record("his_order", {{"order_no", "O1"}})}), missing_key);
  const auto invalid_time = make_error_code(Error::invalid_time);
  EXPECT_EQ(
      error_of({record("his_visit", {{"visit_id", "V1"}, {"registered_at", "2026-03-05 08:15"}})}),
      invalid_time);
  EXPECT_EQ(error_of({record("his_patient", {{"patient_id", "P1"}, {"birth_date", "19750203"}})}),
            invalid_time);
}

TEST(BundleBuilderTest, OtherTablesAreIgnoredAndNoRecordGivesAnEmptyTransaction) {
  const nlohmann::json bundle = build({record("site_audit", {{"id", "1"}, {"what", "anything"}})});
  EXPECT_EQ(bundle, (nlohmann::json{{"resourceType", "Bundle"},
                                    {"type", "transaction"},
                                    {"entry", nlohmann::json::array()}}));
  EXPECT_EQ(build({}), bundle);
}

// A RIS report (corpus 07-oru-r01-ct-nguc) as the stock mapping writes it.
TEST(BundleBuilderTest, ImagingReportWithStudyConclusionAndFindings) {
  const std::string findings =
      "KỸ THUẬT: Chụp CLVT lồng ngực 64 dãy.\nMÔ TẢ:\n- Nhu mô phổi: Đông đặc nhu mô thùy dưới "
      "phổi phải.";
  const std::string conclusion = "KẾT LUẬN:\n1. Viêm phổi thùy dưới phổi phải.";
  const nlohmann::json bundle = build({
      record("his_patient", {{"patient_id", "SL25004107"},
                             {"full_name", "Giàng A Sùng"},
                             {"birth_date", "1975-02-03"},
                             {"sex", "M"}}),
      record("his_visit", {{"visit_id", "NT2503140009"},
                           {"patient_id", "SL25004107"},
                           {"department", "HSTC"},
                           {"visit_class", "I"}}),
      record("his_order", {{"order_no", "CDHA250314-0088"},
                           {"visit_id", "NT2503140009"},
                           {"patient_id", "SL25004107"},
                           {"discipline", "RAD"},
                           {"service_code", "CT-NGUC-CQ"},
                           {"service_name", "CT ngực có tiêm thuốc cản quang"},
                           {"status", "F"},
                           {"started_at", "2025-03-14T10:34:12+07:00"},
                           {"reported_at", "2025-03-14T11:27:40+07:00"}}),
      record("his_report", {{"order_no", "CDHA250314-0088"},
                            {"accession_no", "RIS250314-0045"},
                            {"modality", "CT"},
                            {"findings", findings},
                            {"conclusion", conclusion},
                            {"reported_by", "Nguyễn Tiến Dũng"},
                            {"status", "F"},
                            {"reported_at", "2025-03-14T11:27:40+07:00"}}),
  });
  const auto reports = resources(bundle, "DiagnosticReport");
  ASSERT_EQ(reports.size(), 1U);
  const nlohmann::json& report = reports[0];
  EXPECT_EQ(report["status"], "final");
  EXPECT_EQ(report["category"][0]["coding"][0]["code"], "RAD");
  EXPECT_EQ(report["conclusion"], conclusion);
  EXPECT_EQ(report["effectiveDateTime"], "2025-03-14T10:34:12+07:00");
  EXPECT_EQ(report["issued"], "2025-03-14T11:27:40+07:00");
  EXPECT_EQ(report["resultsInterpreter"][0]["display"], "Nguyễn Tiến Dũng");
  EXPECT_EQ(report["presentedForm"][0]["contentType"], "text/plain; charset=utf-8");
  EXPECT_EQ(report["presentedForm"][0]["data"], base64(findings));
  EXPECT_FALSE(report.contains("result"));

  const nlohmann::json study = target(bundle, report["imagingStudy"][0]);
  EXPECT_EQ(study["resourceType"], "ImagingStudy");
  EXPECT_EQ(study["identifier"][0]["value"], "RIS250314-0045");
  EXPECT_EQ(study["identifier"][0]["type"]["coding"][0]["code"], "ACSN");
  EXPECT_EQ(study["modality"][0], (nlohmann::json{{"system", kDicom}, {"code", "CT"}}));
  EXPECT_EQ(study["started"], "2025-03-14T10:34:12+07:00");
  EXPECT_EQ(target(bundle, study["subject"])["resourceType"], "Patient");
  EXPECT_EQ(target(bundle, study["basedOn"][0])["resourceType"], "ServiceRequest");
  EXPECT_EQ(bundle["entry"][3]["request"]["url"],  // Patient, Encounter, ServiceRequest first
            "ImagingStudy?identifier=urn:hisbridge:accession-no|RIS250314-0045");
}

TEST(BundleBuilderTest, ImagingReportWithoutItsOrder) {
  const nlohmann::json bundle = build({
      record("his_patient", {{"patient_id", "P1"}}),
      record("his_report", {{"order_no", "O9"},
                            {"modality", "RX"},
                            {"status", "P"},
                            {"conclusion", "Không thấy bất thường."}}),
  });
  const nlohmann::json report = resources(bundle, "DiagnosticReport")[0];
  EXPECT_EQ(report["code"]["coding"][0]["code"], "18748-4");
  EXPECT_EQ(report["status"], "preliminary");
  const nlohmann::json study = resources(bundle, "ImagingStudy")[0];
  EXPECT_EQ(study["identifier"][0]["value"], "O9");  // no accession number: the order's
  EXPECT_EQ(study["modality"][0]["system"], kV2DiagnosticSection);
}

}  // namespace
}  // namespace hisbridge::fhir

// The viewer's patient-data filter over the shapes the admin API answers with.
#include "adapters/admin/patient_filter.hpp"

#include <gtest/gtest.h>

namespace hisbridge::admin {
namespace {

using Json = nlohmann::ordered_json;

TEST(PatientFilterTest, IdsAndNamesAreMaskedAtAnyDepth) {
  Json j = Json::parse(R"({
    "messages": [{"id": 1, "patient_id": "BN-1", "control_id": "C1"}],
    "items": [{"order_no": "XN-1", "patient_id": "BN-2", "detail": {"patient_name": "LÒ VĂN C"}}],
    "count": 1
  })");
  mask_patient_data(j);
  EXPECT_EQ(j["messages"][0]["patient_id"], "***");
  EXPECT_EQ(j["messages"][0]["control_id"], "C1");
  EXPECT_EQ(j["items"][0]["patient_id"], "***");
  EXPECT_EQ(j["items"][0]["detail"]["patient_name"], "***");
  EXPECT_EQ(j["items"][0]["order_no"], "XN-1");
  EXPECT_EQ(j["count"], 1);
}

TEST(PatientFilterTest, RawTextAndMappedRecordsGoAndSaySo) {
  Json j = Json::parse(R"({"id": 7, "raw": "MSH|...", "raw_base64": "TVNI", "mapped": [{}],
                           "deliveries": []})");
  mask_patient_data(j);
  EXPECT_FALSE(j.contains("raw"));
  EXPECT_FALSE(j.contains("raw_base64"));
  EXPECT_FALSE(j.contains("mapped"));
  EXPECT_EQ(j["patient_data"], "masked");
  EXPECT_EQ(j["id"], 7);
  Json plain = Json::parse(R"({"id": 8})");
  mask_patient_data(plain);
  EXPECT_FALSE(plain.contains("patient_data")) << "nothing was removed, nothing to say";
}

TEST(PatientFilterTest, AnEmptyIdStaysEmpty) {
  Json j = Json::parse(R"({"patient_id": "", "other": {"patient_id": null}})");
  mask_patient_data(j);
  EXPECT_EQ(j["patient_id"], "");
  EXPECT_TRUE(j["other"]["patient_id"].is_null());
}

TEST(PatientFilterTest, OnlyJsonBodiesAreRewritten) {
  http::HttpResponse text;
  text.headers.push_back({"Content-Type", "text/plain; version=0.0.4"});
  text.body = "patient_id 1\n";
  EXPECT_EQ(for_viewer(text).body, "patient_id 1\n");
  http::HttpResponse json;
  json.headers.push_back({"Content-Type", "application/json"});
  json.body = R"({"patient_id":"BN-1"})";
  EXPECT_EQ(for_viewer(json).body, "{\"patient_id\":\"***\"}\n");
}

}  // namespace
}  // namespace hisbridge::admin

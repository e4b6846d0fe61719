// The FHIR primitive types the bundles write, and the identifiers and URLs that name entries.
#include "adapters/fhir/fhir_datatypes.hpp"

#include <gtest/gtest.h>

#include "adapters/fhir/error.hpp"
#include "adapters/fhir/resource_ids.hpp"

namespace hisbridge::fhir {
namespace {

TEST(FhirTimeTest, HisTimesPassWithSecondsAddedAtMinutePrecision) {
  EXPECT_EQ(*fhir_date_time("2026-03-05T08:15+07:00"), "2026-03-05T08:15:00+07:00");
  EXPECT_EQ(*fhir_date_time("2026-03-05T08:15:42+07:00"), "2026-03-05T08:15:42+07:00");
  EXPECT_EQ(*fhir_date_time("2026-03-05T08:15:42.125-05:00"), "2026-03-05T08:15:42.125-05:00");
  EXPECT_EQ(*fhir_date_time("2026-03-05T01:15:42Z"), "2026-03-05T01:15:42Z");
  EXPECT_EQ(*fhir_date_time("2026-03-05"), "2026-03-05");
  EXPECT_EQ(*fhir_instant("2026-03-05T08:15+07:00"), "2026-03-05T08:15:00+07:00");
}

TEST(FhirTimeTest, RefusesTimesWithoutOffsetOrInAnotherForm) {
  for (const char* text : {"2026-03-05T08:15", "2026-03-05 08:15+07:00", "20260305081500+0700",
                           "2026-03-05T08:15:4+07:00", "2026-03-05T08:15:42.+07:00",
                           "2026-03-05T08:15+0700", "2026-03-05T08+07:00", "yesterday", ""}) {
    auto t = fhir_date_time(text);
    ASSERT_FALSE(t.has_value()) << text;
    EXPECT_EQ(t.error(), make_error_code(Error::invalid_time)) << text;
  }
  EXPECT_FALSE(fhir_instant("2026-03-05").has_value());  // an instant needs a time
}

TEST(FhirTimeTest, BirthDates) {
  EXPECT_EQ(*fhir_date("1975-02-03"), "1975-02-03");
  EXPECT_EQ(*fhir_date("1975-02"), "1975-02");
  EXPECT_EQ(*fhir_date("1975"), "1975");
  EXPECT_FALSE(fhir_date("19750203").has_value());
  EXPECT_FALSE(fhir_date("1975-02-03T00:00+07:00").has_value());
}

TEST(Base64Test, Rfc4648Vectors) {
  EXPECT_EQ(base64(""), "");
  EXPECT_EQ(base64("f"), "Zg==");
  EXPECT_EQ(base64("fo"), "Zm8=");
  EXPECT_EQ(base64("foo"), "Zm9v");
  EXPECT_EQ(base64("foob"), "Zm9vYg==");
  EXPECT_EQ(base64("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64("\xff\xfe"), "//4=");
}

TEST(ResourceIdsTest, UuidsAreVersion5AndDependOnEveryPart) {
  const ResourceKey key{"Patient", "urn:hisbridge:patient-id", "SL25004107"};
  const std::string uuid = resource_uuid(key);
  ASSERT_EQ(uuid.size(), 36U);
  EXPECT_EQ(uuid[14], '5');                                          // version 5 (SHA-1)
  EXPECT_NE(std::string("89ab").find(uuid[19]), std::string::npos);  // RFC 4122 variant
  EXPECT_EQ(resource_uuid(key), uuid);
  EXPECT_EQ(full_url(key), "urn:uuid:" + uuid);
  EXPECT_NE(resource_uuid({"Encounter", key.system, key.value}), uuid);
  EXPECT_NE(resource_uuid({"Patient", "urn:other", key.value}), uuid);
  EXPECT_NE(resource_uuid({"Patient", key.system, "SL25004108"}), uuid);
  // No separator inside a part can make two keys one.
  EXPECT_NE(resource_uuid({"Patient", "a|b", "c"}), resource_uuid({"Patient", "a", "b|c"}));
  EXPECT_NE(resource_uuid({"Patient", "a:1", "2"}), resource_uuid({"Patient", "a", "1:2"}));
}

TEST(ResourceIdsTest, ConditionalUrlsEscapeWhatTheTokenSyntaxAndUrlsReserve) {
  EXPECT_EQ(conditional_url({"Patient", "urn:hisbridge:patient-id", "SL25004107"}),
            "Patient?identifier=urn:hisbridge:patient-id|SL25004107");
  EXPECT_EQ(conditional_url({"Patient", "http://his.example/sid/mrn", "A|B C,D"}),
            "Patient?identifier=http://his.example/sid/mrn|A%5C|B%20C%5C%2CD");
  EXPECT_EQ(conditional_url({"Observation", "urn:x", "X1/GLU/1&2=3"}),
            "Observation?identifier=urn:x|X1/GLU/1%262%3D3");
  EXPECT_EQ(conditional_url({"Patient", "urn:x", "Nguyễn"}),
            "Patient?identifier=urn:x|Nguy%E1%BB%85n");
}

}  // namespace
}  // namespace hisbridge::fhir

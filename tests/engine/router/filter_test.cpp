#include "engine/router/filter.hpp"

#include <gtest/gtest.h>

namespace hisbridge::router {
namespace {

const std::string kOru =
    "MSH|^~\\&|LIS_SL^1.2^ISO|BVDK_SONLA|HIS|BV|2026||ORU^R01^ORU_R01|C1|P|2.5\r"
    "PID|1||BN1^^^BVDK_SONLA^PI||Quàng^Thắng^Văn\r";

hl7::Message oru() { return *hl7::Message::parse(kOru); }

TEST(FilterTest, EmptyFilterTakesEverything) {
  EXPECT_TRUE(filter_matches({}, oru()));
}

TEST(FilterTest, MessageTypeMatchesFullOrCode) {
  config::FilterConfig f;
  f.message_types = {"ADT^A04", "ORU^R01"};
  EXPECT_TRUE(filter_matches(f, oru()));
  f.message_types = {"ORU"};
  EXPECT_TRUE(filter_matches(f, oru()));
  f.message_types = {"ORU^R30", "ADT"};
  EXPECT_FALSE(filter_matches(f, oru()));
}

TEST(FilterTest, SenderListsUseTheFirstComponent) {
  config::FilterConfig f;
  f.sending_applications = {"LIS_SL"};
  f.sending_facilities = {"BVDK_SONLA"};
  EXPECT_TRUE(filter_matches(f, oru()));
  f.sending_facilities = {"OTHER"};
  EXPECT_FALSE(filter_matches(f, oru()));
}

TEST(FilterTest, PathConditionsCompareDecodedValues) {
  config::FilterConfig f;
  f.conditions = {{"PID-3.4", "BVDK_SONLA"}, {"PID-5.1", "Quàng"}};
  EXPECT_TRUE(filter_matches(f, oru()));
  f.conditions.push_back({"PID-8", "F"});
  EXPECT_FALSE(filter_matches(f, oru()));
}

}  // namespace
}  // namespace hisbridge::router

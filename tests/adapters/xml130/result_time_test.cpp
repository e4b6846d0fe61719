#include "adapters/xml130/result_time.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace hisbridge::xml130 {
namespace {

constexpr int kVietnam = 7 * 60;

std::string ngay_kq(const std::string& iso, std::optional<int> offset = kVietnam) {
  auto converted = to_ngay_kq(iso, offset);
  EXPECT_TRUE(converted) << iso << ": " << converted.error().message();
  return converted ? *converted : std::string();
}

TEST(ResultTimeTest, LocalTimeKeepsItsWallClockDigits) {
  EXPECT_EQ(ngay_kq("2026-03-05T08:15+07:00"), "202603050815");
  EXPECT_EQ(ngay_kq("2026-03-05T08:15:00+07:00"), "202603050815");
  EXPECT_EQ(ngay_kq("2026-03-05T08:15:59.987+07:00"), "202603050815");  // dropped, not rounded
  EXPECT_EQ(ngay_kq("2026-03-05T08:15:00+0700"), "202603050815");
  EXPECT_EQ(ngay_kq("2026-03-05T08:15+07"), "202603050815");
  EXPECT_EQ(ngay_kq("2026-03-05 08:15:00+07:00"), "202603050815");
}

TEST(ResultTimeTest, OtherOffsetsAreMovedToTheConfiguredOne) {
  EXPECT_EQ(ngay_kq("2026-03-05T01:15Z"), "202603050815");
  EXPECT_EQ(ngay_kq("2026-03-04T23:50:30Z"), "202603050650");  // the next day in Vietnam
  EXPECT_EQ(ngay_kq("2026-03-01T02:00+09:00"), "202603010000");
  EXPECT_EQ(ngay_kq("2026-03-01T01:59+09:00"), "202602282359");  // back over a month end
  EXPECT_EQ(ngay_kq("2024-02-28T20:00-05:00"), "202402290800");  // leap day
  EXPECT_EQ(ngay_kq("2026-12-31T17:00Z"), "202701010000");       // into the next year
  EXPECT_EQ(ngay_kq("2026-03-05T08:15+05:30"), "202603050945");
}

TEST(ResultTimeTest, WithoutATargetOffsetTheWrittenDigitsAreKept) {
  EXPECT_EQ(ngay_kq("2026-03-04T23:50:30Z", std::nullopt), "202603042350");
  EXPECT_EQ(ngay_kq("2026-03-05T08:15-03:00", std::nullopt), "202603050815");
}

TEST(ResultTimeTest, TimeWithoutOffsetIsTakenAsLocal) {
  EXPECT_EQ(ngay_kq("2026-03-05T08:15"), "202603050815");
  EXPECT_EQ(ngay_kq("2026-03-05T08:15:42"), "202603050815");
}

TEST(ResultTimeTest, TwelveDigitsAreAlreadyTheTablesForm) {
  EXPECT_EQ(ngay_kq("202603050815"), "202603050815");
  EXPECT_FALSE(to_ngay_kq("202613050815", kVietnam));
  EXPECT_FALSE(to_ngay_kq("202603052415", kVietnam));
}

TEST(ResultTimeTest, ValuesThatAreNotATimeToTheMinuteAreRejected) {
  for (const char* bad :
       {"", "2026-03-05", "2026-03-05T08", "2026-03-05T0815", "2026-3-5T08:15",
        "2026-02-29T08:15+07:00", "2026-03-05T24:00+07:00", "2026-03-05T08:60+07:00",
        "2026-03-05T08:15+07:00 ", "2026-03-05T08:15+7", "2026-03-05T08:15+15:00",
        "2026-03-05T08:15:61+07:00", "2026-03-05T08:15:00.+07:00", "20260305081", "2026030508150",
        "05/03/2026 08:15", "x"}) {
    const auto converted = to_ngay_kq(bad, kVietnam);
    ASSERT_FALSE(converted) << '"' << bad << "\" gave " << *converted;
    EXPECT_EQ(converted.error().code, Xml130Error::invalid_record);
    EXPECT_NE(converted.error().detail.find(std::string("\"") + bad + "\""), std::string::npos)
        << converted.error().detail;
  }
}

TEST(ResultTimeTest, YearsOutsideFourDigitsAfterTheMoveAreRejected) {
  EXPECT_FALSE(to_ngay_kq("9999-12-31T20:00Z", kVietnam));
  EXPECT_EQ(ngay_kq("9999-12-31T16:59Z"), "999912312359");
}

}  // namespace
}  // namespace hisbridge::xml130

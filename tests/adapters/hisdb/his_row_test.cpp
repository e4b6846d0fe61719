#include "adapters/hisdb/his_row.hpp"

#include <gtest/gtest.h>

#include <string>

#include "adapters/hisdb/error.hpp"
#include "tests/adapters/hisdb/hisdb_test_env.hpp"

namespace hisbridge::hisdb {
namespace {

using testing::null;
using testing::record;
using testing::text;

// The reason a record is refused, or "" when it is accepted.
std::string refusal(const mapping::Record& r) {
  std::string why;
  const auto row = to_row(r, why);
  if (row) {
    return "";
  }
  EXPECT_EQ(row.error(), HisDbError::invalid_record);
  return why;
}

TEST(HisRowTest, PlacesValuesByTableColumn) {
  const auto r = record("his_result", {{"status", text("F")},
                                       {"seq", testing_support::kept_integer(12)},
                                       {"test_code", text("GLU")},
                                       {"order_no", text("O1")},
                                       {"unit", null()}});
  std::string why;
  const auto row = to_row(r, why);
  ASSERT_TRUE(row) << why;
  EXPECT_EQ(row->table->name, "his_result");
  const TableDef& t = *row->table;
  EXPECT_EQ(row->values[t.index_of("status")], &r.values[0]);
  EXPECT_EQ(row->integers[t.index_of("seq")], 12);
  EXPECT_TRUE(row->carries(t.index_of("unit")));
  EXPECT_FALSE(row->carries(t.index_of("value")));
  EXPECT_EQ(row->carried, (1U << 0) | (1U << 1) | (1U << 2) | (1U << 6) | (1U << 9));
}

TEST(HisRowTest, NamesTheUnknownTableAndColumn) {
  EXPECT_EQ(refusal(record("his_orders", {{"order_no", text("1")}})), "unknown table his_orders");
  EXPECT_EQ(refusal(record("his_order", {{"order_no", text("1")}, {"odered_at", null()}})),
            "unknown column his_order.odered_at");
}

TEST(HisRowTest, KeyColumnsMustHoldAValue) {
  EXPECT_EQ(refusal(record("his_visit", {{"patient_id", text("P1")}})),
            "missing key value his_visit.visit_id");
  EXPECT_EQ(refusal(record("his_visit", {{"visit_id", null()}})),
            "missing key value his_visit.visit_id");
  EXPECT_EQ(refusal(record("his_visit", {{"visit_id", text("")}})),
            "missing key value his_visit.visit_id");
  EXPECT_EQ(refusal(record("his_result", {{"order_no", text("O1")}, {"test_code", text("GLU")}})),
            "missing key value his_result.seq");
}

TEST(HisRowTest, SeqMustBeAnInteger) {
  const auto with_seq = [](mapping::Value seq) {
    return record("his_result",
                  {{"order_no", text("O1")}, {"test_code", text("GLU")}, {"seq", std::move(seq)}});
  };
  EXPECT_EQ(refusal(with_seq(text("2"))), "");
  EXPECT_EQ(refusal(with_seq(text("-3"))), "");
  EXPECT_EQ(refusal(with_seq(text("1a"))), "his_result.seq is not an integer");
  EXPECT_EQ(refusal(with_seq(text(" 1"))), "his_result.seq is not an integer");
  EXPECT_EQ(refusal(with_seq(text("99999999999999999999"))), "his_result.seq is not an integer");
  EXPECT_EQ(refusal(with_seq(null())), "missing key value his_result.seq");
}

TEST(HisRowTest, RefusesUpdatedAtTwiceAndMismatchedValues) {
  EXPECT_EQ(refusal(record("his_order", {{"order_no", text("1")}, {"updated_at", null()}})),
            "his_order.updated_at is set by the writer, not by a record");
  EXPECT_EQ(refusal(record("his_order", {{"order_no", text("1")}, {"order_no", text("2")}})),
            "column his_order.order_no appears twice in the record");
  auto short_record = record("his_order", {{"order_no", text("1")}});
  short_record.values.clear();
  EXPECT_EQ(refusal(short_record), "record for his_order has 0 values for 1 columns");
  EXPECT_EQ(refusal(mapping::Record{}), "record without a shape");
}

TEST(HisRowTest, ReportsNoValues) {
  // Values are patient data: a refusal names tables and columns only.
  const std::string why =
      refusal(record("his_patient", {{"patient_id", text("P1")}, {"name", text("Nguyễn")}}));
  EXPECT_EQ(why.find("Nguyễn"), std::string::npos);
  EXPECT_EQ(why.find("P1"), std::string::npos);
}

}  // namespace
}  // namespace hisbridge::hisdb

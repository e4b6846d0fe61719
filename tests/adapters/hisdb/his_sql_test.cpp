// The generated SQL's shape; what it does is the contract suite's business.
#include "adapters/hisdb/his_sql.hpp"

#include <gtest/gtest.h>

#include <string>

namespace hisbridge::hisdb {
namespace {

TEST(HisSqlTest, KeyOnlyRecordInsertsOrDoesNothing) {
  const TableDef& result = *find_table("his_result");
  EXPECT_EQ(upsert_sql(result, 0b111, Dialect::sqlite),
            "INSERT INTO his_result (order_no, test_code, seq)\nVALUES (?1, ?2, ?3)\n"
            "ON CONFLICT (order_no, test_code, seq) DO NOTHING");
}

TEST(HisSqlTest, PatientUpsertKeepsKnownValuesAndTouchesUpdatedAtOnlyOnChange) {
  const TableDef& patient = *find_table("his_patient");
  EXPECT_EQ(upsert_sql(patient, 0b11, Dialect::postgres),
            "INSERT INTO his_patient (patient_id, full_name, updated_at)\nVALUES ($1, $2, $3)\n"
            "ON CONFLICT (patient_id) DO UPDATE SET\n"
            "  full_name = COALESCE(excluded.full_name, his_patient.full_name),\n"
            "  updated_at = excluded.updated_at\n"
            "WHERE\n"
            "  (COALESCE(excluded.full_name, his_patient.full_name)) IS DISTINCT FROM "
            "his_patient.full_name");
}

TEST(HisSqlTest, RankedTablesGateEveryColumnOnTheStatusRank) {
  const TableDef& report = *find_table("his_report");
  const std::string sql = upsert_sql(report, 0b1000001, Dialect::sqlite);  // order_no, status
  EXPECT_NE(sql.find("status = CASE WHEN (CASE excluded.status WHEN 'C' THEN 3 WHEN 'F' THEN 2 "
                     "ELSE 1 END) < (CASE his_report.status WHEN 'C' THEN 3"),
            std::string::npos)
      << sql;
  EXPECT_NE(sql.find(" IS NOT his_report.status"), std::string::npos) << sql;
  EXPECT_EQ(sql.find("updated_at"), std::string::npos) << sql;
}

TEST(HisSqlTest, SchemaHasEveryTableAndTheVersion) {
  const std::string sql = create_schema_sql();
  for (const TableDef& t : his_tables()) {
    EXPECT_NE(sql.find("CREATE TABLE IF NOT EXISTS " + std::string(t.name) + " ("),
              std::string::npos);
  }
  EXPECT_NE(sql.find("seq INTEGER NOT NULL"), std::string::npos);
  EXPECT_NE(sql.find("PRIMARY KEY (order_no, test_code, seq)"), std::string::npos);
  EXPECT_NE(sql.find("SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM his_schema)"), std::string::npos);
}

}  // namespace
}  // namespace hisbridge::hisdb

// The HisWriter contract, run against every implementation: SqliteHisWriter on a temporary
// file always, PostgresHisWriter when HISBRIDGE_TEST_PG names a server (each test in a schema
// of its own).
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "adapters/hisdb/his_writer.hpp"
#include "tests/adapters/hisdb/hisdb_test_env.hpp"

namespace hisbridge::hisdb {
namespace {

using mapping::Record;
using testing::Backend;
using testing::Cell;
using testing::null;
using testing::record;
using testing::text;

const std::string kName = "Nguyễn Thị Hoa";
const std::string kAddress = "12 Lê Lợi, Phường Bến Nghé, Quận 1, Hồ Chí Minh";
const std::string kFindings =
    "Phổi hai bên sáng đều.\nBóng tim không to.\n\nGóc sườn hoành hai bên nhọn.";

Record patient() {
  return record("his_patient", {{"patient_id", text("P001")},
                                {"full_name", text(kName)},
                                {"birth_date", text("1985-04-12")},
                                {"sex", text("F")},
                                {"address", text(kAddress)},
                                {"insurance_no", text("DN4797912345678")}});
}

Record visit() {
  return record("his_visit", {{"visit_id", text("V001")},
                              {"patient_id", text("P001")},
                              {"department", text("KHOA NỘI")},
                              {"visit_class", text("O")},
                              {"registered_at", text("2026-03-05T08:15:00+07:00")}});
}

Record order(const std::string& order_no, const std::string& status) {
  return record("his_order", {{"order_no", text(order_no)},
                              {"visit_id", text("V001")},
                              {"patient_id", text("P001")},
                              {"discipline", text("LAB")},
                              {"service_code", text("GLU")},
                              {"service_name", text("Glucose máu")},
                              {"department", text("KHOA NỘI")},
                              {"priority", text("S")},
                              {"status", text(status)},
                              {"ordered_at", text("2026-03-05T08:20:00+07:00")},
                              {"collected_at", text("2026-03-05T08:31:00+07:00")},
                              {"received_at", text("2026-03-05T08:45:12.5+07:00")},
                              {"started_at", null()},
                              {"completed_at", null()},
                              {"reported_at", text("2026-03-05T09:30:00+07:00")}});
}

Record result(const std::string& test_code, std::int64_t seq, const std::string& value,
              const std::string& status, mapping::Value observed_at = null()) {
  return record("his_result", {{"order_no", text("ORD1")},
                               {"test_code", text(test_code)},
                               {"seq", testing_support::kept_integer(seq)},
                               {"test_name", text("Glucose")},
                               {"value", text(value)},
                               {"value_type", text("NM")},
                               {"unit", text("mmol/L")},
                               {"ref_range", text("3.9-6.4")},
                               {"abnormal_flag", text("N")},
                               {"status", text(status)},
                               {"observed_at", std::move(observed_at)}});
}

Record report(const std::string& status, const std::string& conclusion,
              mapping::Value reported_at = text("2026-03-05T10:00:00+07:00")) {
  return record("his_report", {{"order_no", text("RAD1")},
                               {"accession_no", text("ACC-77")},
                               {"modality", text("CR")},
                               {"findings", text(kFindings)},
                               {"conclusion", text(conclusion)},
                               {"reported_by", text("Trần Văn Bình")},
                               {"status", text(status)},
                               {"reported_at", std::move(reported_at)}});
}

class HisWriterContractTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::postgres) {
      const auto server = testing::pg_test_server();
      if (!server) {
        GTEST_SKIP() << testing::kNoPgServer;
      }
      db_ = testing::make_pg_database(*server);
      ASSERT_NE(db_, nullptr) << "cannot create a schema on HISBRIDGE_TEST_PG";
    } else {
      db_ = testing::make_sqlite_database();
    }
    writer_ = open();
    ASSERT_NE(writer_, nullptr);
  }

  std::unique_ptr<HisWriter> open() {
    HisWriterOptions options = db_->options();
    options.clock = clock_;
    auto opened = open_his_writer(db_->location(), options);
    EXPECT_TRUE(opened) << opened.error().message();
    return opened ? std::move(*opened) : nullptr;
  }

  Result<void> write(const std::vector<Record>& records) { return writer_->write(records); }

  std::map<std::string, Cell> row(const std::string& table, const std::string& where) {
    return db_->row(table, where);
  }

  testing::FakeClock clock_;
  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<HisWriter> writer_;
};

TEST_P(HisWriterContractTest, WritesEveryColumnExactly) {
  ASSERT_TRUE(write({patient(), visit(), order("ORD1", "F"), result("GLU", 1, "<0.5", "F"),
                     result("GLU", 2, "5.10", "F", text("2026-03-05T09:10:00+07:00")),
                     report("F", "Không thấy tổn thương.\nĐề nghị theo dõi.")}));
  const Cell now = clock_.last();

  using M = std::map<std::string, Cell>;
  EXPECT_EQ(row("his_patient", "patient_id = 'P001'"), (M{{"patient_id", "P001"},
                                                          {"full_name", kName},
                                                          {"birth_date", "1985-04-12"},
                                                          {"sex", "F"},
                                                          {"address", kAddress},
                                                          {"insurance_no", "DN4797912345678"},
                                                          {"updated_at", now}}));
  EXPECT_EQ(row("his_visit", "visit_id = 'V001'"),
            (M{{"visit_id", "V001"},
               {"patient_id", "P001"},
               {"department", "KHOA NỘI"},
               {"visit_class", "O"},
               {"registered_at", "2026-03-05T08:15:00+07:00"},
               {"updated_at", now}}));
  EXPECT_EQ(row("his_order", "order_no = 'ORD1'"),
            (M{{"order_no", "ORD1"},
               {"visit_id", "V001"},
               {"patient_id", "P001"},
               {"discipline", "LAB"},
               {"service_code", "GLU"},
               {"service_name", "Glucose máu"},
               {"department", "KHOA NỘI"},
               {"priority", "S"},
               {"status", "F"},
               {"ordered_at", "2026-03-05T08:20:00+07:00"},
               {"collected_at", "2026-03-05T08:31:00+07:00"},
               {"received_at", "2026-03-05T08:45:12.5+07:00"},
               {"started_at", std::nullopt},
               {"completed_at", std::nullopt},
               {"reported_at", "2026-03-05T09:30:00+07:00"},
               {"updated_at", now}}));
  const M first{{"order_no", "ORD1"},
                {"test_code", "GLU"},
                {"seq", "1"},
                {"test_name", "Glucose"},
                {"value", "<0.5"},
                {"value_type", "NM"},
                {"unit", "mmol/L"},
                {"ref_range", "3.9-6.4"},
                {"abnormal_flag", "N"},
                {"status", "F"},
                {"observed_at", std::nullopt}};
  EXPECT_EQ(row("his_result", "seq = 1"), first);
  M second = first;
  second["seq"] = "2";
  second["value"] = "5.10";
  second["observed_at"] = "2026-03-05T09:10:00+07:00";
  EXPECT_EQ(row("his_result", "seq = 2"), second);
  EXPECT_EQ(row("his_report", "order_no = 'RAD1'"),
            (M{{"order_no", "RAD1"},
               {"accession_no", "ACC-77"},
               {"modality", "CR"},
               {"findings", kFindings},
               {"conclusion", "Không thấy tổn thương.\nĐề nghị theo dõi."},
               {"reported_by", "Trần Văn Bình"},
               {"status", "F"},
               {"reported_at", "2026-03-05T10:00:00+07:00"}}));
}

TEST_P(HisWriterContractTest, ReplayChangesNothingNotEvenUpdatedAt) {
  const std::vector<Record> message = {patient(), visit(), order("ORD1", "F"),
                                       result("GLU", 1, "5.10", "F"), report("F", "Bình thường.")};
  ASSERT_TRUE(write(message));
  const auto before = db_->snapshot();
  ASSERT_EQ(before.size(), 5u);
  ASSERT_TRUE(write(message));  // an hour later by the fake clock
  EXPECT_EQ(db_->snapshot(), before);
}

TEST_P(HisWriterContractTest, UpdatedAtMovesOnlyForRowsThatChanged) {
  ASSERT_TRUE(write({patient(), visit()}));
  const Cell first = clock_.last();
  Record moved = patient();
  moved.values[4] = text("45 Trần Hưng Đạo, Quận 5");
  ASSERT_TRUE(write({moved, visit()}));
  EXPECT_EQ(row("his_patient", "")["address"], Cell("45 Trần Hưng Đạo, Quận 5"));
  EXPECT_EQ(row("his_patient", "")["updated_at"], Cell(clock_.last()));
  EXPECT_NE(clock_.last(), first);
  EXPECT_EQ(row("his_visit", "")["updated_at"], first);
}

TEST_P(HisWriterContractTest, NullKeepsTheKnownValue) {
  ASSERT_TRUE(write({order("ORD1", "P")}));
  Record later = order("ORD1", "F");
  later.values[10] = null();                             // collected_at: not in this message
  later.values[13] = text("2026-03-05T09:00:00+07:00");  // completed_at now known
  ASSERT_TRUE(write({later}));
  auto r = row("his_order", "");
  EXPECT_EQ(r["collected_at"], Cell("2026-03-05T08:31:00+07:00"));
  EXPECT_EQ(r["completed_at"], Cell("2026-03-05T09:00:00+07:00"));
  EXPECT_EQ(r["status"], Cell("F"));
}

TEST_P(HisWriterContractTest, ColumnsNotCarriedAreLeftAlone) {
  ASSERT_TRUE(write({order("ORD1", "IP")}));
  ASSERT_TRUE(write({record("his_order", {{"order_no", text("ORD1")},
                                          {"status", text("CM")},
                                          {"completed_at", text("2026-03-05T09:05:00+07:00")}})}));
  auto r = row("his_order", "");
  EXPECT_EQ(r["status"], Cell("CM"));
  EXPECT_EQ(r["completed_at"], Cell("2026-03-05T09:05:00+07:00"));
  EXPECT_EQ(r["service_name"], Cell("Glucose máu"));
  EXPECT_EQ(r["ordered_at"], Cell("2026-03-05T08:20:00+07:00"));
}

TEST_P(HisWriterContractTest, KeyOnlyRecordInsertsOnceAndChangesNothingAfter) {
  const Record bare = record("his_patient", {{"patient_id", text("P002")}});
  ASSERT_TRUE(write({bare}));
  EXPECT_EQ(row("his_patient", "")["full_name"], std::nullopt);
  ASSERT_TRUE(write({patient()}));
  const auto before = db_->snapshot();
  ASSERT_TRUE(write({record("his_patient", {{"patient_id", text("P001")}}), bare}));
  EXPECT_EQ(db_->snapshot(), before);
}

TEST_P(HisWriterContractTest, FinalReplacesPreliminary) {
  ASSERT_TRUE(write({order("ORD1", "P"), result("GLU", 1, "5.1", "P")}));
  ASSERT_TRUE(write({order("ORD1", "F"), result("GLU", 1, "5.3", "F")}));
  EXPECT_EQ(row("his_order", "")["status"], Cell("F"));
  auto r = row("his_result", "");
  EXPECT_EQ(r["status"], Cell("F"));
  EXPECT_EQ(r["value"], Cell("5.3"));
}

TEST_P(HisWriterContractTest, LatePreliminaryOnlyFillsWhatIsStillUnknown) {
  ASSERT_TRUE(write({result("GLU", 1, "5.3", "F"), report("F", "Bình thường.", null())}));
  ASSERT_TRUE(write({result("GLU", 1, "5.1", "P", text("2026-03-05T09:10:00+07:00")),
                     report("P", "Sơ bộ.", text("2026-03-05T09:55:00+07:00"))}));
  auto r = row("his_result", "");
  EXPECT_EQ(r["status"], Cell("F"));
  EXPECT_EQ(r["value"], Cell("5.3"));
  EXPECT_EQ(r["observed_at"], Cell("2026-03-05T09:10:00+07:00"));
  auto rep = row("his_report", "");
  EXPECT_EQ(rep["status"], Cell("F"));
  EXPECT_EQ(rep["conclusion"], Cell("Bình thường."));
  EXPECT_EQ(rep["reported_at"], Cell("2026-03-05T09:55:00+07:00"));

  // An order that is final already: a late exam-started update (ORC-5 IP) supplies the start
  // time it did not know, and nothing else; its updated_at moves because a column changed.
  Record final_order = order("ORD2", "F");
  final_order.values[5] = text("Glucose máu (final)");
  ASSERT_TRUE(write({final_order}));
  ASSERT_TRUE(write({record("his_order", {{"order_no", text("ORD2")},
                                          {"status", text("IP")},
                                          {"service_name", text("Glucose")},
                                          {"started_at", text("2026-03-05T08:40:00+07:00")}})}));
  auto o = row("his_order", "order_no = 'ORD2'");
  EXPECT_EQ(o["status"], Cell("F"));
  EXPECT_EQ(o["service_name"], Cell("Glucose máu (final)"));
  EXPECT_EQ(o["started_at"], Cell("2026-03-05T08:40:00+07:00"));
  EXPECT_EQ(o["updated_at"], Cell(clock_.last()));

  // Once nothing is left to fill, a late update changes nothing at all.
  const auto before = db_->snapshot();
  ASSERT_TRUE(write({order("ORD2", "IP")}));
  EXPECT_EQ(db_->snapshot(), before);
}

TEST_P(HisWriterContractTest, CorrectedReplacesFinal) {
  ASSERT_TRUE(write({order("ORD1", "F"), result("GLU", 1, "5.3", "F"), report("F", "A.")}));
  ASSERT_TRUE(write({order("ORD1", "C"), result("GLU", 1, "6.3", "C"), report("C", "B.")}));
  EXPECT_EQ(row("his_order", "")["status"], Cell("C"));
  EXPECT_EQ(row("his_result", "")["value"], Cell("6.3"));
  EXPECT_EQ(row("his_result", "")["status"], Cell("C"));
  EXPECT_EQ(row("his_report", "")["conclusion"], Cell("B."));
  EXPECT_EQ(row("his_report", "")["status"], Cell("C"));
  // A final result arriving after the correction does not undo it.
  ASSERT_TRUE(write({result("GLU", 1, "5.3", "F")}));
  EXPECT_EQ(row("his_result", "")["value"], Cell("6.3"));
}

// Every pair of (stored, incoming) order statuses: the incoming row wins when its rank is at
// least the stored one; otherwise the stored status and service_name stay and only the NULL
// started_at is filled.
TEST_P(HisWriterContractTest, OrderStatusRanking) {
  const std::vector<std::pair<std::string, int>> ranks = {
      {"", 0}, {"NW", 1}, {"SC", 1}, {"A", 1}, {"IP", 2}, {"CM", 3}, {"P", 4}, {"F", 5}, {"C", 6}};
  std::vector<Record> stored;
  std::vector<Record> incoming;
  auto make = [](const std::string& no, const std::string& status, const std::string& name,
                 mapping::Value started) {
    return record("his_order", {{"order_no", text(no)},
                                {"status", text(status)},
                                {"service_name", text(name)},
                                {"started_at", std::move(started)}});
  };
  for (std::size_t s = 0; s < ranks.size(); ++s) {
    for (std::size_t i = 0; i < ranks.size(); ++i) {
      const std::string no = "R" + std::to_string(s) + "_" + std::to_string(i);
      stored.push_back(make(no, ranks[s].first, "old", null()));
      incoming.push_back(make(no, ranks[i].first, "new", text("2026-03-05T08:40:00+07:00")));
    }
  }
  ASSERT_TRUE(write(stored));
  ASSERT_TRUE(write(incoming));
  for (std::size_t s = 0; s < ranks.size(); ++s) {
    for (std::size_t i = 0; i < ranks.size(); ++i) {
      const std::string no = "R" + std::to_string(s) + "_" + std::to_string(i);
      const bool wins = ranks[i].second >= ranks[s].second;
      auto r = row("his_order", "order_no = '" + no + "'");
      SCOPED_TRACE("stored '" + ranks[s].first + "', incoming '" + ranks[i].first + "'");
      EXPECT_EQ(r["status"], Cell(wins ? ranks[i].first : ranks[s].first));
      EXPECT_EQ(r["service_name"], Cell(wins ? "new" : "old"));
      EXPECT_EQ(r["started_at"], Cell("2026-03-05T08:40:00+07:00"));
    }
  }
}

TEST_P(HisWriterContractTest, ResultStatusRanking) {
  const std::vector<std::pair<std::string, int>> ranks = {{"", 1},  {"P", 1}, {"R", 1}, {"I", 1},
                                                          {"S", 1}, {"F", 2}, {"C", 3}};
  std::vector<Record> stored;
  std::vector<Record> incoming;
  for (std::size_t s = 0; s < ranks.size(); ++s) {
    for (std::size_t i = 0; i < ranks.size(); ++i) {
      const auto seq = static_cast<std::int64_t>(s * 100 + i);
      stored.push_back(result("T", seq, "old", ranks[s].first));
      incoming.push_back(result("T", seq, "new", ranks[i].first));
    }
  }
  ASSERT_TRUE(write(stored));
  ASSERT_TRUE(write(incoming));
  for (std::size_t s = 0; s < ranks.size(); ++s) {
    for (std::size_t i = 0; i < ranks.size(); ++i) {
      const bool wins = ranks[i].second >= ranks[s].second;
      auto r = row("his_result", "seq = " + std::to_string(s * 100 + i));
      SCOPED_TRACE("stored '" + ranks[s].first + "', incoming '" + ranks[i].first + "'");
      EXPECT_EQ(r["status"], Cell(wins ? ranks[i].first : ranks[s].first));
      EXPECT_EQ(r["value"], Cell(wins ? "new" : "old"));
    }
  }
}

TEST_P(HisWriterContractTest, InvalidSecondRecordWritesNothing) {
  Record bad = order("ORD1", "F");
  bad.values[0] = null();
  const auto written = write({patient(), bad});
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error(), HisDbError::invalid_record);
  EXPECT_FALSE(is_retryable(written.error()));
  EXPECT_TRUE(db_->snapshot().empty());
}

TEST_P(HisWriterContractTest, DatabaseFailureHalfwayWritesNothing) {
  ASSERT_TRUE(db_->fail_order_inserts("REFUSED"));
  const auto written = write({patient(), visit(), order("ORD1", "F"), order("REFUSED", "F")});
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error(), HisDbError::constraint);
  EXPECT_FALSE(writer_->last_error().empty());
  EXPECT_TRUE(db_->snapshot().empty());
  // The writer is still usable, and the failure is forgotten.
  ASSERT_TRUE(write({patient()}));
  EXPECT_TRUE(writer_->last_error().empty());
  EXPECT_EQ(db_->snapshot().size(), 1u);
}

TEST_P(HisWriterContractTest, UnknownTableOrColumnIsInvalid) {
  auto written = write({record("his_foo", {{"id", text("1")}})});
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error(), HisDbError::invalid_record);
  EXPECT_NE(writer_->last_error().find("his_foo"), std::string::npos) << writer_->last_error();

  written = write({record("his_order", {{"order_no", text("1")}, {"colour", text("red")}})});
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error(), HisDbError::invalid_record);
  EXPECT_NE(writer_->last_error().find("his_order.colour"), std::string::npos)
      << writer_->last_error();
  EXPECT_TRUE(db_->snapshot().empty());
}

TEST_P(HisWriterContractTest, UpdatedAtBelongsToTheWriter) {
  const auto written = write({record(
      "his_patient", {{"patient_id", text("P1")}, {"updated_at", text("2020-01-01T00:00:00Z")}})});
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error(), HisDbError::invalid_record);
  EXPECT_NE(writer_->last_error().find("his_patient.updated_at"), std::string::npos);
}

TEST_P(HisWriterContractTest, ColumnOrderAndColumnSetsMayDiffer) {
  ASSERT_TRUE(write({
      record("his_visit", {{"visit_id", text("V1")}, {"department", text("A")}}),
      record("his_visit", {{"department", text("B")}, {"visit_id", text("V2")}}),
      record("his_visit", {{"visit_class", text("I")}, {"visit_id", text("V1")}}),
      record("his_visit", {{"visit_id", text("V3")}, {"department", text("C")}}),
  }));
  EXPECT_EQ(row("his_visit", "visit_id = 'V1'")["department"], Cell("A"));
  EXPECT_EQ(row("his_visit", "visit_id = 'V1'")["visit_class"], Cell("I"));
  EXPECT_EQ(row("his_visit", "visit_id = 'V2'")["department"], Cell("B"));
  EXPECT_EQ(row("his_visit", "visit_id = 'V3'")["department"], Cell("C"));
}

TEST_P(HisWriterContractTest, EmptyMessageIsFine) {
  EXPECT_TRUE(write({}));
  EXPECT_TRUE(db_->snapshot().empty());
}

TEST_P(HisWriterContractTest, ReopenKeepsRowsAndSchemaVersion) {
  ASSERT_TRUE(write({patient()}));
  writer_.reset();
  writer_ = open();
  ASSERT_NE(writer_, nullptr);
  ASSERT_TRUE(write({visit()}));
  EXPECT_EQ(db_->snapshot().size(), 2u);
  const auto version = db_->query("SELECT version FROM his_schema");
  ASSERT_EQ(version.size(), 1u);
  EXPECT_EQ(version[0][0], Cell("1"));
}

INSTANTIATE_TEST_SUITE_P(Backends, HisWriterContractTest,
                         ::testing::Values(Backend::sqlite, Backend::postgres), [](const auto& p) {
                           return p.param == Backend::sqlite ? "sqlite" : "postgres";
                         });

}  // namespace
}  // namespace hisbridge::hisdb

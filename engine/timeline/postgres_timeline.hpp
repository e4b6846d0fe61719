#pragma once

#include <libpq-fe.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/store/pg_connection.hpp"
#include "engine/timeline/recorder.hpp"
#include "engine/timeline/pg_array.hpp"
#include "engine/timeline/timeline_sql.hpp"
#include "engine/timeline/timeline_store.hpp"

namespace hisbridge::timeline {

// The timeline in the journal's PostgreSQL database (postgres_timeline_schema.hpp), over one
// libpq connection of its own. record() runs one transaction of at most five statements, each
// carrying all of the call's rows as binary arrays; several engine nodes may record into the
// same tables (rows are written in key order, so they cannot deadlock on each other). A lost
// connection fails the call in hand (StoreError::unavailable) and is made again by the next.
class PostgresTimeline final : public TimelineStore, private RecordTables {
 public:
  // `conninfo`: a postgresql:// URI or libpq key=value string.
  static Result<std::unique_ptr<PostgresTimeline>> open(
      std::string_view conninfo, std::vector<IntervalDefinition> definitions);

  Result<std::vector<RecordedInterval>> record(std::span<const Mark> marks) override;
  Result<void> enqueue(std::span<const Mark> marks) override;
  Result<Drained> drain(std::size_t max_rows, std::size_t max_marks) override;
  Result<std::vector<IntervalRow>> intervals(const IntervalQuery& query) override;
  Result<std::vector<OverdueItem>> overdue(const OverdueQuery& query) override;
  const std::vector<IntervalDefinition>& definitions() const override { return definitions_; }

 private:
  PostgresTimeline(std::string conninfo, std::vector<IntervalDefinition> definitions);
  Result<void> connect();
  Result<void> prepare_statements();
  // The connection, made again when it was lost.
  Result<PGconn*> connection();
  // Logs, and forgets the connection when it is gone.
  boost::system::error_code failed(const PGresult* result, std::string_view what);
  // Runs a prepared statement over binary arrays; fails unless the result has `expected`.
  Result<store::pg::PgResult> run(const char* name, std::span<const PgArray> arrays,
                                  ExecStatusType expected);
  // The same over parameters already in their binary form.
  Result<store::pg::PgResult> run(const char* name, std::span<const std::string_view> binary,
                                  ExecStatusType expected);
  // Runs a built query (timeline_sql.hpp) with binary results.
  Result<store::pg::PgResult> query(const BuiltSql& built, std::string_view what);
  Result<void> overdue_of(const IntervalDefinition& d, const OverdueQuery& query,
                          std::vector<OverdueItem>& out);

  // RecordTables
  Result<void> begin() override;
  Result<void> commit() override;
  void rollback() override;
  Result<void> merge_subjects(std::vector<SubjectUpdate>& subjects) override;
  Result<void> merge_marks(std::span<const MarkUpdate> marks) override;
  Result<void> read_marks(std::span<const SubjectUpdate> subjects,
                          std::vector<std::vector<KindTime>>& out) override;
  Result<void> read_intervals(std::span<const IntervalKey> keys,
                              std::vector<std::optional<IntervalRecord>>& out) override;
  Result<void> write_intervals(std::span<const IntervalRecord> rows) override;
  Result<void> insert_inbox(std::string_view marks) override;
  Result<void> read_inbox(std::size_t limit, std::vector<InboxRow>& out) override;
  Result<void> delete_inbox(std::span<const std::int64_t> ids) override;

  std::string conninfo_;
  std::vector<IntervalDefinition> definitions_;
  store::pg::Connection conn_;
  std::string encoded_;  // enqueue()'s, reused
};

}  // namespace hisbridge::timeline

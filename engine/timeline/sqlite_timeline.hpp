#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/store/sqlite_db.hpp"
#include "engine/timeline/recorder.hpp"
#include "engine/timeline/timeline_store.hpp"

namespace hisbridge::timeline {

// The timeline in its SQLite file beside the journal's, its inbox in the journal's file
// (sqlite_timeline_schema.hpp, docs/adr/0003): recording never holds the journal's write lock
// for longer than an inbox row takes. One object is one connection to each file with its
// statements prepared once; record() and drain() hold the timeline file's write lock for one
// transaction (BEGIN IMMEDIATE) and wait for another connection's up to the busy timeout (then
// StoreError::busy). Readers on other connections see committed data only.
class SqliteTimeline final : public TimelineStore, private RecordTables {
 public:
  // Opens the timeline beside journal file `journal`, creating the files (and their folder)
  // when missing, with the journal's tables too.
  static Result<std::unique_ptr<SqliteTimeline>> open(const std::filesystem::path& journal,
                                                      std::vector<IntervalDefinition> definitions);

  Result<std::vector<RecordedInterval>> record(std::span<const Mark> marks) override;
  Result<void> enqueue(std::span<const Mark> marks) override;
  Result<Drained> drain(std::size_t max_rows, std::size_t max_marks) override;
  Result<std::vector<IntervalRow>> intervals(const IntervalQuery& query) override;
  Result<std::vector<OverdueItem>> overdue(const OverdueQuery& query) override;
  const std::vector<IntervalDefinition>& definitions() const override { return definitions_; }

 private:
  SqliteTimeline(store::sqlite::Db db, store::sqlite::Db journal,
                 std::vector<IntervalDefinition> definitions);
  Result<void> prepare_statements();
  // A statement built per query shape (timeline_sql.hpp), prepared at its first use.
  Result<sqlite3_stmt*> cached(const std::string& sql);
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
  Result<void> finish_drain() override;

  store::sqlite::Db db_;       // the timeline's file
  store::sqlite::Db journal_;  // the journal's file: the inbox
  std::vector<IntervalDefinition> definitions_;
  store::sqlite::Statement begin_, commit_, rollback_, merge_subject_, merge_mark_, read_marks_,
      read_interval_, write_interval_, insert_inbox_, read_inbox_, delete_inbox_;
  store::sqlite::Statement journal_begin_, journal_commit_;
  std::string encoded_;  // enqueue()'s, reused
  // The inbox rows the transaction in hand recorded: removed by finish_drain().
  std::vector<std::int64_t> drained_;
  std::unordered_map<std::string, store::sqlite::Statement> queries_;
};

}  // namespace hisbridge::timeline

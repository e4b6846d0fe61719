#pragma once

// The timeline's SQLite files: its tables in a file of their own beside the journal
// (timeline_file()), and its inbox in the journal's file (docs/adr/0003).
#include <sqlite3.h>

#include <filesystem>

#include "engine/core/result.hpp"

namespace hisbridge::timeline::sqlite_schema {

// timeline_schema holds one row with this number; newer files are refused.
inline constexpr int kVersion = 1;

// The timeline's file for journal file `journal`: `var/hisbridge.db` -> `var/hisbridge.timeline.db`.
std::filesystem::path timeline_file(const std::filesystem::path& journal);

// The journal's side: sets the connection up as the journal's are (extended codes, a busy
// timeout: the journal's writer works on the same file from its own connection; WAL), makes
// sure the journal's own tables are there (store::sqlite::ensure_schema: it refuses a file
// that holds other tables, and the journal, opened after us on a new file, would refuse
// ours), and creates the inbox when missing.
Result<void> prepare_journal(sqlite3* journal);

// The timeline's side: WAL with synchronous=FULL (a recorded drain must be durable before its
// inbox rows are removed from the journal), the tables created when missing. Tables an older
// release kept in the journal's file are moved over: copied here in the transaction that
// creates the tables, then dropped from the journal (again at the next start, should the
// engine stop in between).
Result<void> prepare_timeline(sqlite3* timeline, sqlite3* journal,
                              const std::filesystem::path& journal_file);

}  // namespace hisbridge::timeline::sqlite_schema

#include "engine/timeline/postgres_timeline_schema.hpp"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <string_view>

#include "engine/store/pg_connection.hpp"

namespace hisbridge::timeline::postgres_schema {
namespace {

namespace pg = store::pg;

// The window index holds the columns a statistics query reads (INCLUDE), so a window is an
// index-only range scan once autovacuum has marked the pages all-visible.
constexpr const char* kCreateV1 = R"sql(
CREATE TABLE timeline_schema(version integer NOT NULL);
CREATE TABLE timeline_subjects(
  scope text NOT NULL,
  subject text NOT NULL,
  discipline text NOT NULL,
  visit_id text NOT NULL,
  patient_id text NOT NULL,
  department text NOT NULL,
  priority text NOT NULL,
  service_code text NOT NULL,
  modality text NOT NULL,
  PRIMARY KEY(scope, subject)
);
CREATE TABLE timeline_marks(
  scope text NOT NULL,
  subject text NOT NULL,
  kind text NOT NULL,
  at_us bigint NOT NULL,
  PRIMARY KEY(scope, subject, kind)
);
CREATE INDEX timeline_marks_kind ON timeline_marks(scope, kind, at_us);
CREATE TABLE timeline_intervals(
  interval_name text NOT NULL,
  subject text NOT NULL,
  from_us bigint NOT NULL,
  to_us bigint NOT NULL,
  duration_us bigint NOT NULL,
  invalid boolean NOT NULL,
  discipline text NOT NULL,
  priority text NOT NULL,
  department text NOT NULL,
  service_code text NOT NULL,
  modality text NOT NULL,
  PRIMARY KEY(interval_name, subject)
);
CREATE INDEX timeline_intervals_window ON timeline_intervals(interval_name, to_us)
  INCLUDE (duration_us, invalid, priority, department, service_code, modality);
INSERT INTO timeline_schema(version) VALUES(1);
)sql";

// Version 2: the inbox, where the router hands over each batch's marks (mark_codec.hpp) for
// the timeline worker to record.
constexpr const char* kMigrateV1ToV2 = R"sql(
CREATE TABLE timeline_inbox(id bigserial PRIMARY KEY, marks bytea NOT NULL);
UPDATE timeline_schema SET version = 2;
)sql";

// Any constant other than the journal's: the key of the lock held while the schema is checked.
constexpr const char* kLock = "SELECT pg_advisory_xact_lock(7521907138476630018)";

Result<void> create(PGconn* conn) {
  if (auto locked = pg::exec(conn, kLock, PGRES_TUPLES_OK, "lock timeline schema"); !locked) {
    return locked.error();
  }
  auto found = pg::exec(conn, "SELECT to_regclass('timeline_schema') IS NOT NULL",
                        PGRES_TUPLES_OK, "read timeline schema");
  if (!found) {
    return found.error();
  }
  if (std::string_view(PQgetvalue(found->get(), 0, 0)) != "t") {
    auto created = pg::exec(conn, kCreateV1, PGRES_COMMAND_OK, "create timeline schema");
    if (!created) {
      return created.error();
    }
  }
  auto version = pg::exec(conn, "SELECT version FROM timeline_schema", PGRES_TUPLES_OK,
                          "read timeline schema version");
  if (!version) {
    return version.error();
  }
  const int v = PQntuples(version->get()) == 1 ? std::atoi(PQgetvalue(version->get(), 0, 0)) : 0;
  if (v == kVersion) {
    return {};
  }
  if (v == 1) {
    auto migrated = pg::exec(conn, kMigrateV1ToV2, PGRES_COMMAND_OK, "add the timeline inbox");
    return migrated ? Result<void>() : Result<void>(migrated.error());
  }
  spdlog::error("timeline: schema version {} is not one this build knows (it knows {})", v,
                kVersion);
  return store::StoreError::corrupt;
}

}  // namespace

Result<void> ensure(PGconn* conn) {
  if (auto begun = pg::exec(conn, "BEGIN", PGRES_COMMAND_OK, "begin"); !begun) {
    return begun.error();
  }
  if (auto done = create(conn); !done) {
    (void)pg::exec(conn, "ROLLBACK", PGRES_COMMAND_OK, "rollback");
    return done;
  }
  auto committed = pg::exec(conn, "COMMIT", PGRES_COMMAND_OK, "commit timeline schema");
  return committed ? Result<void>() : Result<void>(committed.error());
}

}  // namespace hisbridge::timeline::postgres_schema

#include "tests/adapters/hisdb/hisdb_test_env.hpp"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <ostream>
#include <random>

#include "adapters/hisdb/his_tables.hpp"
#include "adapters/hisdb/write_time.hpp"

namespace hisbridge::hisdb::testing {
namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kT0 = 1772673300LL * 1000 * 1000;  // 2026-03-05T01:15:00Z
constexpr std::int64_t kHour = 3600LL * 1000 * 1000;

std::string unique_suffix() {
  static std::atomic<int> counter{0};
  std::random_device random;
  return std::to_string(::getpid()) + "_" + std::to_string(counter.fetch_add(1)) + "_" +
         std::to_string(random() % 100000);
}

std::string select_all(const TableDef& t, const std::string& where) {
  std::string sql = "SELECT ";
  for (std::size_t i = 0; i < t.columns.size(); ++i) {
    sql += (i == 0 ? "" : ", ") + std::string(t.columns[i].name);
  }
  sql += " FROM " + std::string(t.name);
  if (!where.empty()) {
    sql += " WHERE " + where;
  }
  sql += " ORDER BY ";
  for (std::size_t k = 0; k < t.key.size(); ++k) {
    sql += (k == 0 ? "" : ", ") + std::string(t.columns[t.key[k]].name);
  }
  return sql;
}

class SqliteDatabase final : public TestDatabase {
 public:
  SqliteDatabase() : file_(dir_.path() / "var" / "his.db") {}
  ~SqliteDatabase() override { sqlite3_close_v2(db_); }

  std::string location() const override { return "sqlite:" + file_.string(); }
  HisWriterOptions options() const override { return {}; }

  std::vector<std::vector<Cell>> query(const std::string& sql) override {
    std::vector<std::vector<Cell>> rows;
    sqlite3_stmt* s = nullptr;
    if (!open() || sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db_);
      return rows;
    }
    while (sqlite3_step(s) == SQLITE_ROW) {
      auto& row = rows.emplace_back();
      for (int c = 0; c < sqlite3_column_count(s); ++c) {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, c));
        row.push_back(p == nullptr ? Cell{}
                                   : Cell{std::string(
                                         p, static_cast<std::size_t>(sqlite3_column_bytes(s, c)))});
      }
    }
    sqlite3_finalize(s);
    return rows;
  }

  bool execute(const std::string& sql) override {
    char* error = nullptr;
    const bool ok = open() && sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) == SQLITE_OK;
    if (!ok) {
      std::cerr << "test database: " << sql << ": " << (error ? error : "cannot open") << "\n";
    }
    sqlite3_free(error);
    return ok;
  }

  bool fail_order_inserts(const std::string& order_no) override {
    return execute(
        "CREATE TRIGGER hisdb_test_refuse BEFORE INSERT ON his_order WHEN "
        "NEW.order_no = '" +
        order_no + "' BEGIN SELECT RAISE(ABORT, 'refused'); END");
  }

 private:
  bool open() {
    if (db_ == nullptr) {
      if (sqlite3_open_v2(file_.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
        return false;
      }
      sqlite3_busy_timeout(db_, 5000);
    }
    return true;
  }

  TempDir dir_;
  fs::path file_;
  sqlite3* db_ = nullptr;
};

class PgDatabase final : public TestDatabase {
 public:
  PgDatabase(std::string server, PGconn* conn, std::string schema)
      : server_(std::move(server)), conn_(conn), schema_(std::move(schema)) {}
  ~PgDatabase() override {
    execute("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
    PQfinish(conn_);
  }

  std::string location() const override { return server_; }
  HisWriterOptions options() const override {
    HisWriterOptions o;
    o.schema = schema_;
    return o;
  }

  std::vector<std::vector<Cell>> query(const std::string& sql) override {
    std::vector<std::vector<Cell>> rows;
    PGresult* r = PQexec(conn_, sql.c_str());
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
      ADD_FAILURE() << sql << ": " << PQresultErrorMessage(r);
    } else {
      for (int i = 0; i < PQntuples(r); ++i) {
        auto& row = rows.emplace_back();
        for (int c = 0; c < PQnfields(r); ++c) {
          row.push_back(PQgetisnull(r, i, c) ? Cell{} : Cell{PQgetvalue(r, i, c)});
        }
      }
    }
    PQclear(r);
    return rows;
  }

  bool execute(const std::string& sql) override {
    PGresult* r = PQexec(conn_, sql.c_str());
    const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!ok) {
      std::cerr << "test database: " << sql << ": " << PQresultErrorMessage(r);
    }
    PQclear(r);
    return ok;
  }

  bool fail_order_inserts(const std::string& order_no) override {
    return execute(
               "CREATE FUNCTION hisdb_test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ "
               "BEGIN IF NEW.order_no = '" +
               order_no +
               "' THEN RAISE EXCEPTION 'refused' "
               "USING ERRCODE = 'check_violation'; END IF; RETURN NEW; END $$") &&
           execute(
               "CREATE TRIGGER hisdb_test_refuse BEFORE INSERT ON his_order FOR EACH ROW "
               "EXECUTE FUNCTION hisdb_test_refuse()");
  }

 private:
  std::string server_;
  PGconn* conn_;
  std::string schema_;
};

}  // namespace

mapping::Record record(const std::string& table, const Columns& columns) {
  auto shape = std::make_shared<mapping::RecordShape>();
  shape->table = table;
  mapping::Record r;
  for (const auto& [name, value] : columns) {
    shape->columns.push_back(name);
    r.values.push_back(value);
  }
  r.shape = std::move(shape);
  return r;
}

FakeClock::FakeClock() : now_us(std::make_shared<std::int64_t>(kT0)) {}

std::int64_t FakeClock::operator()() const { return *now_us += kHour; }

std::string FakeClock::last() const { return iso8601_utc(*now_us); }

void PrintTo(Backend b, std::ostream* os) { *os << (b == Backend::sqlite ? "sqlite" : "postgres"); }

std::optional<std::string> pg_test_server() {
  const char* value = std::getenv("HISBRIDGE_TEST_PG");
  if (value == nullptr || *value == '\0') {
    return std::nullopt;
  }
  return std::string(value);
}

std::map<std::string, Cell> TestDatabase::row(const std::string& table, const std::string& where) {
  std::map<std::string, Cell> out;
  const TableDef* t = find_table(table);
  if (t == nullptr) {
    ADD_FAILURE() << "no table " << table;
    return out;
  }
  const auto rows = query(select_all(*t, where));
  if (rows.size() == 1) {
    for (std::size_t i = 0; i < t->columns.size(); ++i) {
      out[std::string(t->columns[i].name)] = rows[0][i];
    }
  }
  return out;
}

std::vector<std::vector<Cell>> TestDatabase::snapshot() {
  std::vector<std::vector<Cell>> all;
  for (const TableDef& t : his_tables()) {
    for (auto& row : query(select_all(t, ""))) {
      row.insert(row.begin(), Cell{std::string(t.name)});
      all.push_back(std::move(row));
    }
  }
  return all;
}

std::unique_ptr<TestDatabase> make_sqlite_database() { return std::make_unique<SqliteDatabase>(); }

std::unique_ptr<TestDatabase> make_pg_database(const std::string& server) {
  PGconn* conn = PQconnectdb(server.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::cerr << "test database: " << PQerrorMessage(conn);
    PQfinish(conn);
    return nullptr;
  }
  const std::string schema = "hisdb_test_" + unique_suffix();
  auto db = std::make_unique<PgDatabase>(server, conn, schema);
  if (!db->execute("SET client_min_messages = warning") ||
      !db->execute("CREATE SCHEMA " + schema) || !db->execute("SET search_path TO " + schema)) {
    return nullptr;
  }
  return db;
}

}  // namespace hisbridge::hisdb::testing

#include "tests/engine/store/store_test_env.hpp"

#include <libpq-fe.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <random>

namespace hisbridge::store::testing {
namespace fs = std::filesystem;

namespace {

std::string unique_suffix() {
  static std::atomic<int> counter{0};
  std::random_device random;
  return std::to_string(::getpid()) + "_" + std::to_string(counter.fetch_add(1)) + "_" +
         std::to_string(random() % 100000);
}

bool run_sql(const std::string& conninfo, const std::string& sql) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  bool ok = PQstatus(conn) == CONNECTION_OK;
  if (ok) {
    PGresult* r = PQexec(conn, sql.c_str());
    ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!ok) {
      std::cerr << "test database: " << sql << ": " << PQresultErrorMessage(r);
    }
    PQclear(r);
  } else {
    std::cerr << "test database: " << PQerrorMessage(conn);
  }
  PQfinish(conn);
  return ok;
}

// The server's connection settings as key=value, with dbname replaced.
std::string with_database(const std::string& server, const std::string& dbname) {
  std::string out;
  PQconninfoOption* options = PQconninfoParse(server.c_str(), nullptr);
  for (PQconninfoOption* o = options; o != nullptr && o->keyword != nullptr; ++o) {
    const bool is_db = std::string_view(o->keyword) == "dbname";
    if (!is_db && o->val == nullptr) {
      continue;
    }
    std::string value = is_db ? dbname : o->val;
    out.append(o->keyword).append("='");
    for (const char c : value) {
      if (c == '\'' || c == '\\') {
        out.push_back('\\');
      }
      out.push_back(c);
    }
    out.append("' ");
  }
  PQconninfoFree(options);
  return out;
}

}  // namespace

std::optional<std::string> pg_test_server() {
  const char* value = std::getenv("HISBRIDGE_TEST_PG");
  if (value == nullptr || *value == '\0') {
    return std::nullopt;
  }
  return std::string(value);
}

std::unique_ptr<PgTestDatabase> PgTestDatabase::create(const std::string& server) {
  const std::string name = "hisbridge_test_" + unique_suffix();
  if (!run_sql(server, "CREATE DATABASE " + name)) {
    return nullptr;
  }
  return std::unique_ptr<PgTestDatabase>(
      new PgTestDatabase(server, name, with_database(server, name)));
}

PgTestDatabase::PgTestDatabase(std::string server, std::string name, std::string conninfo)
    : server_(std::move(server)), name_(std::move(name)), conninfo_(std::move(conninfo)) {}

PgTestDatabase::~PgTestDatabase() { admin("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)"); }

bool PgTestDatabase::admin(const std::string& sql) const { return run_sql(server_, sql); }

void PrintTo(Backend b, std::ostream* os) { *os << (b == Backend::sqlite ? "sqlite" : "postgres"); }

void open_test_location(Backend backend, TestLocation& out) {
  if (backend == Backend::sqlite) {
    out.dir.emplace();
    out.location = "sqlite:" + (out.dir->path() / "journal.db").string();
    return;
  }
  const auto server = pg_test_server();
  if (!server) {
    out.skipped = true;
    return;
  }
  out.database = PgTestDatabase::create(*server);
  if (out.database) {
    out.location = out.database->conninfo();
  }
}

std::string sqlite_value(const fs::path& file, const std::string& sql) {
  sqlite3* db = nullptr;
  sqlite3_open(file.c_str(), &db);
  std::string out;
  sqlite3_exec(
      db, sql.c_str(),
      [](void* p, int, char** values, char**) {
        auto* s = static_cast<std::string*>(p);
        if (s->empty() && values[0] != nullptr) {
          *s = values[0];
        }
        return 0;
      },
      &out, nullptr);
  sqlite3_close(db);
  return out;
}

NewMessage test_message(std::string control_id, std::int64_t received_at_us, std::string source) {
  NewMessage m;
  m.raw = "MSH|^~\\&|LIS|LAB|HIS|HOSP|20260305081500||ORU^R01|" + control_id + "|P|2.5.1\r";
  m.received_at_us = received_at_us;
  m.source = std::move(source);
  m.peer = "10.1.2.3:51234";
  m.control_id = std::move(control_id);
  m.sending_application = "LIS";
  m.sending_facility = "LAB";
  m.message_type = "ORU^R01";
  m.patient_id = "P1";
  return m;
}

}  // namespace hisbridge::store::testing

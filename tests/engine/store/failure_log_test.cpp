// log_store_failure: one line per database, operation and code within 10 s.
#include "engine/store/failure_log.hpp"

#include <gtest/gtest.h>

#include <string>

#include "tests/support/log_capture.hpp"

namespace hisbridge::store {
namespace {

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    ++n;
  }
  return n;
}

TEST(FailureLogTest, AFullDiskIsSaidOnceNotOncePerFailedWrite) {
  testing_support::LogCapture log;
  const std::string reason = R"(ERROR:  could not extend file "base/16384/16390": No space left on device)";
  for (int i = 0; i < 500; ++i) {
    log_store_failure("postgresql", "insert", "53100", reason);
  }
  EXPECT_EQ(count(log.text(), "[error] store: postgresql insert: " + reason + " (code 53100)\n"),
            1u)
      << log.text();
  EXPECT_EQ(count(log.text(), "\n"), 1u) << log.text();
}

TEST(FailureLogTest, AnotherOperationOrCodeOrDatabaseHasALineOfItsOwn) {
  testing_support::LogCapture log;
  log_store_failure("sqlite", "commit", "13", "database or disk is full");
  log_store_failure("sqlite", "commit", "13", "database or disk is full");
  log_store_failure("sqlite", "commit", "10", "disk I/O error");
  log_store_failure("sqlite", "begin", "13", "database or disk is full");
  log_store_failure("postgresql", "commit", "13", "not a real code, but another database");
  const std::string text = log.text();
  EXPECT_EQ(count(text, "store: sqlite commit: database or disk is full (code 13)"), 1u) << text;
  EXPECT_EQ(count(text, "store: sqlite commit: disk I/O error (code 10)"), 1u) << text;
  EXPECT_EQ(count(text, "store: sqlite begin: database or disk is full (code 13)"), 1u) << text;
  EXPECT_EQ(count(text, "store: postgresql commit:"), 1u) << text;
  EXPECT_EQ(count(text, "\n"), 4u) << text;
}

}  // namespace
}  // namespace hisbridge::store

// The pg_dump command `hisbridge backup --pg-dump` makes from a location, and how it is run:
// against a stand-in program (a shell script) that writes what it was given, so the password's
// way in, the file's name and the failures are checked without a PostgreSQL server
// (e2e_backup_pg runs the real pg_dump).
#include "engine/app/pg_dump_run.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/support/read_file.hpp"
#include "tests/support/temp_dir.hpp"

namespace hisbridge::app {
namespace {

namespace fs = std::filesystem;

bool has_argument(const PgDumpCommand& c, std::string_view text) {
  return std::any_of(c.arguments.begin(), c.arguments.end(),
                     [&](const std::string& a) { return a.find(text) != std::string::npos; });
}

TEST(PgDumpCommandTest, KeepsThePasswordOffTheCommandLine) {
  auto c = pg_dump_command("postgresql://hisbridge:s3cr%27et@db.hospital.local:5433/journal"
                           "?sslmode=require",
                           "/backup/tonight/journal.pgdump");
  ASSERT_TRUE(c) << c.error();
  ASSERT_EQ(c->arguments.size(), 4u);
  EXPECT_EQ(c->arguments[0], "pg_dump");
  EXPECT_EQ(c->arguments[1], "--format=custom");
  EXPECT_EQ(c->arguments[2], "--file=/backup/tonight/journal.pgdump.part");
  EXPECT_EQ(c->writes, "/backup/tonight/journal.pgdump.part");
  EXPECT_FALSE(c->sets_connect_timeout);
  EXPECT_FALSE(has_argument(*c, "s3cr"));
  ASSERT_TRUE(c->password.has_value());
  EXPECT_EQ(*c->password, "s3cr'et");  // decoded from the URI
  for (const char* part : {"host='db.hospital.local'", "port='5433'", "dbname='journal'",
                           "user='hisbridge'", "sslmode='require'"}) {
    EXPECT_TRUE(has_argument(*c, part)) << part << " in " << c->arguments[3];
  }
}

TEST(PgDumpCommandTest, QuotesValuesAndTakesKeyValueLocations) {
  auto c = pg_dump_command("host=/run/postgresql dbname='his o\\'brien' user=hb", "/b/his.pgdump",
                           "/usr/lib/postgresql/15/bin/pg_dump");
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->arguments[0], "/usr/lib/postgresql/15/bin/pg_dump");
  EXPECT_FALSE(c->password.has_value());
  EXPECT_TRUE(has_argument(*c, R"(dbname='his o\'brien')")) << c->arguments[3];
  EXPECT_TRUE(has_argument(*c, "host='/run/postgresql'"));
}

TEST(PgDumpCommandTest, ALocationLibpqCannotReadIsAnError) {
  auto c = pg_dump_command("host=db nonsense_option=1", "/b/x.pgdump");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().find("nonsense_option"), std::string::npos) << c.error();
}

class PgDumpRunTest : public ::testing::Test {
 protected:
  // A stand-in for pg_dump: writes its arguments and the environment it was given into the
  // file named by --file=, then exits with `status`.
  fs::path program(int status) {
    const fs::path p = folder_.path() / ("fake_pg_dump_" + std::to_string(status));
    std::ofstream(p) << "#!/bin/sh\n"
                        "for a in \"$@\"; do case \"$a\" in --file=*) f=\"${a#--file=}\";; esac; done\n"
                        "{ echo PGDMP; echo \"args=$*\"; echo \"password=$PGPASSWORD\";"
                        " echo \"timeout=$PGCONNECT_TIMEOUT\"; } > \"$f\"\n"
                        "echo 'fake pg_dump: done' >&2\n"
                     << "exit " << status << "\n";
    ::chmod(p.c_str(), 0755);
    return p;
  }

  hisbridge::testing_support::TempDir folder_{"hisbridge-pgdump"};
  fs::path dump_ = folder_.path() / "journal.pgdump";
};

TEST_F(PgDumpRunTest, HandsThePasswordInTheEnvironmentAndNamesTheFileWhenDone) {
  auto c = pg_dump_command("postgresql://hb:pa55@127.0.0.1/journal", dump_,
                           program(0).string());
  ASSERT_TRUE(c) << c.error();
  auto ran = run_pg_dump(*c, dump_);
  ASSERT_TRUE(ran) << ran.error();
  const std::string written = testing_support::read_file(dump_);
  EXPECT_EQ(written.rfind("PGDMP\n", 0), 0u) << written;
  EXPECT_NE(written.find("password=pa55\n"), std::string::npos) << written;
  EXPECT_NE(written.find("timeout=10\n"), std::string::npos) << written;
  const std::size_t at = written.find("args=");
  ASSERT_NE(at, std::string::npos) << written;
  const std::string args = written.substr(at, written.find('\n', at) - at);
  EXPECT_NE(args.find("--file=" + dump_.string() + ".part"), std::string::npos) << args;
  EXPECT_EQ(args.find("pa55"), std::string::npos) << args;
  EXPECT_FALSE(fs::exists(dump_.string() + ".part"));
}

TEST_F(PgDumpRunTest, ALocationsOwnConnectTimeoutIsLeftAlone) {
  ::unsetenv("PGCONNECT_TIMEOUT");
  ::unsetenv("PGPASSWORD");
  auto c = pg_dump_command("postgresql://hb@127.0.0.1/journal?connect_timeout=3", dump_,
                           program(0).string());
  ASSERT_TRUE(c) << c.error();
  EXPECT_TRUE(c->sets_connect_timeout);
  EXPECT_TRUE(has_argument(*c, "connect_timeout='3'"));
  auto ran = run_pg_dump(*c, dump_);
  ASSERT_TRUE(ran) << ran.error();
  const std::string written = testing_support::read_file(dump_);
  EXPECT_NE(written.find("timeout=\n"), std::string::npos) << written;
  EXPECT_NE(written.find("password=\n"), std::string::npos) << written;  // none given
}

TEST_F(PgDumpRunTest, AFailedDumpLeavesNoFile) {
  auto c = pg_dump_command("postgresql://hb:pa55@127.0.0.1/journal", dump_,
                           program(1).string());
  ASSERT_TRUE(c) << c.error();
  auto ran = run_pg_dump(*c, dump_);
  ASSERT_FALSE(ran);
  EXPECT_NE(ran.error().find("exited with status 1"), std::string::npos) << ran.error();
  EXPECT_FALSE(fs::exists(dump_));
  EXPECT_FALSE(fs::exists(dump_.string() + ".part"));
}

TEST_F(PgDumpRunTest, AMissingProgramSaysWhatToInstall) {
  auto c = pg_dump_command("postgresql://hb@127.0.0.1/journal", dump_,
                           "hisbridge-no-such-pg_dump");
  ASSERT_TRUE(c) << c.error();
  auto ran = run_pg_dump(*c, dump_);
  ASSERT_FALSE(ran);
  EXPECT_NE(ran.error().find("postgresql-client"), std::string::npos) << ran.error();
  EXPECT_FALSE(fs::exists(dump_));
}

}  // namespace
}  // namespace hisbridge::app

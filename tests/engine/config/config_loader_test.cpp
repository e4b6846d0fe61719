#include "engine/config/config_loader.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace hisbridge::config {
namespace {

std::vector<ConfigError> check(std::string_view text, Config* out = nullptr) {
  return check_config_text(text, "test.json", out);
}

std::string all(const std::vector<ConfigError>& errors) {
  std::string out;
  for (const auto& e : errors) {
    out += e.to_string() + "\n";
  }
  return out;
}

TEST(ConfigLoaderTest, TheShippedDefaultIsValid) {
  // The default names its mapping files relative to the repository root, where scripts/run
  // starts the engine.
  const std::filesystem::path root =
      std::filesystem::canonical(std::filesystem::path(HISBRIDGE_FIXTURES_DIR) / ".." / "..");
  const std::filesystem::path before = std::filesystem::current_path();
  std::filesystem::current_path(root);
  Config c;
  const auto errors = check_config("config/hisbridge.json", &c);
  std::filesystem::current_path(before);
  EXPECT_TRUE(errors.empty()) << all(errors);
  EXPECT_EQ(c.store.location, "var/hisbridge.db");
  EXPECT_EQ(c.his_location, "var/his.db");
  EXPECT_EQ(c.timezone, "Asia/Ho_Chi_Minh");
  EXPECT_EQ(c.admin.host, "127.0.0.1");
  EXPECT_EQ(c.admin.port, 8080);
  ASSERT_NE(c.listener("lis"), nullptr);
  EXPECT_EQ(c.listener("lis")->port, 2575);
  ASSERT_NE(c.listener("ris"), nullptr);
  EXPECT_EQ(c.listener("ris")->port, 2576);
}

TEST(ConfigLoaderTest, ReadsEverySetting) {
  Config c;
  const auto errors = check(R"({
    "store": {"location": "postgresql://h/db", "duplicate_window": "2h", "max_batch": 64},
    "log": {"level": "debug", "show_patient_data": true},
    "listeners": [
      {"name": "lis", "port": 3000, "idle_timeout": "90s", "charset": "CP1258", "max_frame_bytes": 2048},
      {"name": "drop", "type": "file", "folder": "var/inbox", "poll_interval": "250ms"},
      {"name": "web", "type": "http", "host": "127.0.0.1", "port": 3001}
    ],
    "channels": [{"name": "results", "source": "lis",
                  "filter": {"message_types": ["ORU^R01"], "conditions": [{"path": "MSH-4.1", "equals": "LAB"}]},
                  "destinations": [{"name": "his", "type": "his-db"}]}]
  })", &c);
  ASSERT_TRUE(errors.empty()) << all(errors);
  EXPECT_EQ(c.store.duplicate_window, std::chrono::hours(2));
  EXPECT_EQ(c.store.max_batch, 64u);
  EXPECT_TRUE(c.log.show_patient_data);
  EXPECT_EQ(c.listeners[0].idle_timeout, std::chrono::seconds(90));
  EXPECT_EQ(c.listeners[0].charset, "CP1258");
  EXPECT_EQ(c.listeners[1].type, ListenerType::file);
  EXPECT_EQ(c.listeners[1].poll_interval, std::chrono::milliseconds(250));
  EXPECT_EQ(c.listeners[2].type, ListenerType::http);
  ASSERT_EQ(c.channels.size(), 1u);
  EXPECT_EQ(c.channels[0].filter.conditions[0].path, "MSH-4.1");
  EXPECT_EQ(c.channels[0].destinations[0].type, "his-db");
}

TEST(ConfigLoaderTest, UnknownKeySuggestsTheNearestWithLineAndColumn) {
  const auto errors = check("{\n  \"listeners\": [\n    {\"name\": \"lis\", \"prot\": 2575}\n  ]\n}\n");
  ASSERT_FALSE(errors.empty());
  const std::string text = all(errors);
  EXPECT_NE(text.find("test.json:3:21: unknown key 'prot' (did you mean 'port'?)"), std::string::npos) << text;
  EXPECT_NE(text.find("missing 'port'"), std::string::npos) << text;
}

TEST(ConfigLoaderTest, ReportsEveryProblemAtItsPlace) {
  const auto errors = check(R"({
"listeners": [
  {"name": "lis", "port": 70000},
  {"name": "lis", "type": "mlp", "port": 2576},
  {"name": "Bad Name", "port": 2576},
  {"name": "x", "port": 2577, "charset": "NO-SUCH-CHARSET"}
],
"channels": [{"name": "c", "source": "lsi", "mapping": "no/such/file.json",
              "filter": {"conditions": [{"path": "PID-"}]},
              "destinations": [{"name": "d", "type": "hisdb"}]}],
"log": {"level": "verbose"},
"store": {"duplicate_window": "soon"}
})");
  const std::string text = all(errors);
  EXPECT_NE(text.find("test.json:3:27: 'port' must be a port number from 1 to 65535"), std::string::npos) << text;
  EXPECT_NE(text.find("'mlp' is not one of mllp, http, file (did you mean 'mllp'?)"), std::string::npos) << text;
  EXPECT_NE(text.find("listener name 'lis' is used twice"), std::string::npos) << text;
  EXPECT_NE(text.find("may hold only lower-case letters"), std::string::npos) << text;
  EXPECT_NE(text.find("port 2576 is already used"), std::string::npos) << text;
  EXPECT_NE(text.find("NO-SUCH-CHARSET"), std::string::npos) << text;
  EXPECT_NE(text.find("channel source 'lsi' is not a listener name"), std::string::npos) << text;
  EXPECT_NE(text.find("mapping file 'no/such/file.json' does not exist"), std::string::npos) << text;
  EXPECT_NE(text.find("PID-"), std::string::npos) << text;
  EXPECT_NE(text.find("(did you mean 'his-db'?)"), std::string::npos) << text;
  EXPECT_NE(text.find("log level 'verbose'"), std::string::npos) << text;
  EXPECT_NE(text.find("'duplicate_window' must be a duration"), std::string::npos) << text;
}

TEST(ConfigLoaderTest, MalformedJsonIsPlaced) {
  const auto errors = check("{\n  \"store\": {\n    \"location\": \"x\",\n  }\n}\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 4u) << errors[0].to_string();
  EXPECT_NE(errors[0].message.find("not valid JSON"), std::string::npos);
}

TEST(ConfigLoaderTest, LoadThrowsWithAllErrorsAndMissingFileIsAnError) {
  EXPECT_THROW(load_config("no/such/config.json"), ConfigErrors);
  try {
    load_config("no/such/config.json");
  } catch (const ConfigErrors& e) {
    ASSERT_EQ(e.errors().size(), 1u);
    EXPECT_NE(std::string(e.what()).find("cannot open"), std::string::npos);
  }
}

}  // namespace
}  // namespace hisbridge::config

namespace hisbridge::config {
namespace {

TEST(ConfigLoaderTest, NumbersBeyondAnyTypeAreAnErrorNotACrash) {
  const auto errors = check_config_text("{\"store\": {\"max_batch\": 1e999}}", "t.json");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].message.find("not valid JSON"), std::string::npos);
}

}  // namespace
}  // namespace hisbridge::config

namespace hisbridge::config {
namespace {

TEST(ConfigLoaderTest, RetentionDefaultsKeepEverything) {
  Config c;
  const auto errors = check(R"({"store": {"location": "var/hisbridge.db"}})", &c);
  ASSERT_TRUE(errors.empty()) << all(errors);
  EXPECT_EQ(c.store.retention.max_age, std::chrono::seconds(0));
  EXPECT_EQ(c.store.retention.max_size_bytes, 0);
  EXPECT_EQ(c.store.retention.batch, 500u);
  EXPECT_EQ(c.store.retention.interval, std::chrono::minutes(1));
}

TEST(ConfigLoaderTest, ReadsRetention) {
  Config c;
  const auto errors = check(R"({
    "store": {"location": "j.db", "duplicate_window": "1d",
              "retention": {"max_age": "90d", "batch": 200, "interval": "30s"}}
  })", &c);
  ASSERT_TRUE(errors.empty()) << all(errors);
  EXPECT_EQ(c.store.retention.max_age, std::chrono::hours(24 * 90));
  EXPECT_EQ(c.store.retention.batch, 200u);
  EXPECT_EQ(c.store.retention.interval, std::chrono::seconds(30));
}

TEST(ConfigLoaderTest, ReadsRetentionSizesInDecimalAndBinaryUnits) {
  const std::pair<const char*, std::int64_t> cases[] = {
      {R"("20GB")", 20'000'000'000},       {R"("500 MB")", 500'000'000},
      {R"("1.5GiB")", 1'610'612'736},      {R"("2 TB")", 2'000'000'000'000},
      {"50000000", 50'000'000},            {R"("64MiB")", 67'108'864},
  };
  for (const auto& [text, bytes] : cases) {
    Config c;
    const auto errors = check(std::string(R"({"store": {"location": "j.db", "retention": {"max_size": )") +
                                  text + "}}}",
                              &c);
    EXPECT_TRUE(errors.empty()) << text << ": " << all(errors);
    EXPECT_EQ(c.store.retention.max_size_bytes, bytes) << text;
  }
}

TEST(ConfigLoaderTest, RetentionSizeErrorsArePlaced) {
  for (const char* text : {R"("20 gigabytes")", R"("GB")", "-5", R"("5MB")", "true", R"("9e30 GB")"}) {
    const auto errors = check(std::string(R"({"store": {"location": "j.db", "retention": {"max_size": )") +
                              text + "}}}");
    ASSERT_EQ(errors.size(), 1u) << text << ": " << all(errors);
    EXPECT_NE(all(errors).find("test.json:1:58: 'max_size' must be a size such as \"500MB\""),
              std::string::npos)
        << all(errors);
    EXPECT_NE(all(errors).find("at least 10000000 bytes"), std::string::npos) << all(errors);
  }
}

TEST(ConfigLoaderTest, RetentionUnknownKeySuggestsTheNearest) {
  const auto errors = check("{\"store\": {\"location\": \"j.db\", \"retention\": {\"max_ag\": \"90d\"}}}");
  const std::string text = all(errors);
  EXPECT_NE(text.find("test.json:1:46: unknown key 'max_ag' (did you mean 'max_age'?)"),
            std::string::npos) << text;
}

TEST(ConfigLoaderTest, RetentionBadValuesArePlaced) {
  const auto errors = check(R"({
"store": {"location": "j.db", "retention": {
  "max_age": "ninety days",
  "batch": -5,
  "interval": "0s"}}
})");
  const std::string text = all(errors);
  EXPECT_NE(text.find("test.json:3:14: 'max_age' must be a duration"), std::string::npos) << text;
  EXPECT_NE(text.find("test.json:4:12: 'batch' must be a whole number from 1 to 100000, found -5"),
            std::string::npos) << text;
  EXPECT_NE(text.find("test.json:5:15: 'interval' must be at least 1s"), std::string::npos)
      << text;
  EXPECT_EQ(errors.size(), 3u) << text;
}

TEST(ConfigLoaderTest, RetentionShorterThanTheDuplicateWindowIsAnError) {
  const auto errors =
      check(R"({"store": {"location": "j.db", "duplicate_window": "2d", "retention": {"max_age": "1d"}}})");
  ASSERT_EQ(errors.size(), 1u) << all(errors);
  EXPECT_NE(errors[0].message.find("must not be shorter than store.duplicate_window"),
            std::string::npos) << all(errors);
  EXPECT_TRUE(check(R"({"store": {"location": "j.db", "duplicate_window": "1d", "retention": {"max_age": "1d"}}})")
                  .empty());
  EXPECT_TRUE(check(R"({"store": {"location": "j.db", "duplicate_window": "2d", "retention": {"max_age": 0}}})")
                  .empty());
}

}  // namespace
// A config with one listener and one channel whose single destination is `destination`.
std::string with_destination(std::string_view destination) {
  return R"({"listeners": [{"name": "lis", "port": 2575}],
"channels": [{"name": "c", "source": "lis", "destinations": [
)" + std::string(destination) + "]}]}";
}

TEST(ConfigLoaderTest, DestinationQueueDefaults) {
  Config c;
  const auto errors = check(with_destination(R"({"name": "his", "type": "his-db"})"), &c);
  ASSERT_TRUE(errors.empty()) << all(errors);
  const DestinationConfig& d = c.channels.at(0).destinations.at(0);
  EXPECT_EQ(d.retry.first_delay, std::chrono::seconds(1));
  EXPECT_EQ(d.retry.max_delay, std::chrono::minutes(1));
  EXPECT_EQ(d.retry.max_attempts, 1000u);
  EXPECT_EQ(d.max_queue_depth, 10'000u);
}

TEST(ConfigLoaderTest, ReadsRetryQueueDepthAndTheMllpAndFileDestinations) {
  Config c;
  const auto errors = check(with_destination(R"(
{"name": "fwd", "type": "mllp", "host": "10.1.2.3", "port": 6661, "timeout": "5s",
 "retry": {"first_delay": "500ms", "max_delay": "1m", "max_attempts": 12},
 "max_queue_depth": 500},
{"name": "copy", "type": "file", "folder": "out", "content": "records"})"), &c);
  ASSERT_TRUE(errors.empty()) << all(errors);
  const DestinationConfig& fwd = c.channels.at(0).destinations.at(0);
  EXPECT_EQ(fwd.host, "10.1.2.3");
  EXPECT_EQ(fwd.port, 6661);
  EXPECT_EQ(fwd.timeout, std::chrono::seconds(5));
  EXPECT_EQ(fwd.retry.first_delay, std::chrono::milliseconds(500));
  EXPECT_EQ(fwd.retry.max_delay, std::chrono::minutes(1));
  EXPECT_EQ(fwd.retry.max_attempts, 12u);
  EXPECT_EQ(fwd.max_queue_depth, 500u);
  const DestinationConfig& copy = c.channels.at(0).destinations.at(1);
  EXPECT_EQ(copy.folder, "out");
  EXPECT_EQ(copy.content, "records");
}

TEST(ConfigLoaderTest, DestinationQueueAndTypeErrorsArePlaced) {
  const auto errors = check(with_destination(R"(
{"name": "fwd", "type": "mllp", "retry": {"first_delay": "5s", "max_delay": "1s", "max_tries": 3}},
{"name": "fwd", "type": "file", "folder": "out", "content": "xml"})"));
  const std::string text = all(errors);
  EXPECT_NE(text.find("test.json:4:1: missing 'port'"), std::string::npos) << text;
  EXPECT_NE(text.find("a mllp destination needs 'host'"), std::string::npos) << text;
  EXPECT_NE(text.find("'max_delay' must not be shorter than 'first_delay'"), std::string::npos)
      << text;
  EXPECT_NE(text.find("unknown key 'max_tries'"), std::string::npos) << text;
  EXPECT_NE(text.find("'content' must be 'raw'"), std::string::npos) << text;
  EXPECT_NE(text.find("destination name 'fwd' is used twice in this channel"), std::string::npos)
      << text;
}

}  // namespace hisbridge::config

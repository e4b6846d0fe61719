#include "adapters/admin/channels_api.hpp"

#include <gtest/gtest.h>

#include <memory>

#include "engine/router/ingest.hpp"
#include "engine/store/open_store.hpp"
#include "tests/adapters/adapter_test_support.hpp"

namespace hisbridge::admin {
namespace {

TEST(ChannelsApiTest, FilterSummaryReadsAsOneLine) {
  config::FilterConfig f;
  EXPECT_EQ(filter_summary(f), "all messages");
  f.message_types = {"ORU^R01", "ADT"};
  f.sending_applications = {"LIS"};
  f.sending_facilities = {"LAB", "LAB2"};
  f.conditions = {{"PID-3.4", "BVDK"}};
  EXPECT_EQ(filter_summary(f),
            "types ORU^R01, ADT; sending applications LIS; sending facilities LAB, LAB2; "
            "PID-3.4 = BVDK");
}

// Without running parts only the configuration shows, and counters are null rather than 0.
TEST(ChannelsApiTest, ConfigurationAloneGivesChannelsWithoutCounters) {
  config::Config c;
  c.listeners.push_back({});
  c.listeners[0].name = "lis";
  config::ChannelConfig ch;
  ch.name = "lis-results";
  ch.source = "lis";
  ch.mapping = "mappings/lis.json";
  ch.destinations.push_back({});
  ch.destinations[0].name = "his";
  ch.destinations[0].type = "his-db";
  c.channels.push_back(ch);
  const auto j = channels_json({&c, nullptr, nullptr, nullptr}, mapping::TimeZone::utc());
  ASSERT_EQ(j["channels"].size(), 1u);
  const auto& channel = j["channels"][0];
  EXPECT_EQ(channel["name"], "lis-results");
  EXPECT_EQ(channel["source"], "lis");
  EXPECT_EQ(channel["filter"]["summary"], "all messages");
  EXPECT_EQ(channel["mapping"]["file"], "mappings/lis.json");
  EXPECT_EQ(channel["destinations"][0]["type"], "his-db");
  EXPECT_TRUE(channel["counters"].is_null());
  EXPECT_TRUE(channel["queue_depth"].is_null());
  EXPECT_EQ(j["sources"][0]["name"], "lis");
  EXPECT_EQ(j["sources"][0]["type"], "mllp");
  EXPECT_EQ(j["sources"][0]["paused"], false);
}

// Each TLS server's certificate with whole days left on the given clock, negative once past.
TEST(ChannelsApiTest, CertificatesGiveTheirExpiryAndDaysLeft) {
  using std::chrono::system_clock;
  const system_clock::time_point now = system_clock::from_time_t(1'780'000'000);  // 2026-05-28
  ChannelsSources s;
  EXPECT_EQ(channels_json(s, mapping::TimeZone::utc())["certificates"].dump(), "[]");
  s.certificates = [&] {
    return std::vector<ServerCertificate>{
        {"listener lis", now + std::chrono::hours(12 * 24 + 5)},
        {"admin", now - std::chrono::hours(30)},
        {"listener lab", now + std::chrono::hours(24 * 30)}};
  };
  s.now = [&] { return now; };
  const auto j = channels_json(s, mapping::TimeZone::utc());
  ASSERT_EQ(j["certificates"].size(), 3u);
  EXPECT_EQ(j["certificates"][0]["server"], "listener lis");
  EXPECT_EQ(j["certificates"][0]["days_left"], 12);
  EXPECT_EQ(j["certificates"][0]["expires_at"], "2026-06-10T01:26:40.000+00:00");
  EXPECT_EQ(j["certificates"][1]["server"], "admin");
  EXPECT_EQ(j["certificates"][0]["state"], "expiring");
  EXPECT_EQ(j["certificates"][1]["days_left"], -2);
  EXPECT_EQ(j["certificates"][1]["state"], "expired");
  EXPECT_EQ(j["certificates"][2]["days_left"], 30);
  EXPECT_EQ(j["certificates"][2]["state"], "ok");
}

// `paused` follows Ingest's back-pressure state for each source.
TEST(ChannelsApiTest, SourcesShowWhetherBackPressurePausesThem) {
  testing::TempDir dir;
  auto store = store::open_store((dir.path() / "store.db").string());
  ASSERT_TRUE(store) << store.error().message();
  store::GroupCommitter committer(std::move(*store));
  router::Ingest ingest(committer, {});
  config::Config c;
  for (const char* name : {"lis", "ris"}) {
    c.listeners.push_back({});
    c.listeners.back().name = name;
    ingest.add_source(name);
  }
  ingest.set_paused("ris", true, "queue imaging/his over its limit");
  auto j = channels_json({&c, nullptr, &ingest, nullptr}, mapping::TimeZone::utc());
  EXPECT_EQ(j["sources"][0]["paused"], false);
  EXPECT_EQ(j["sources"][1]["paused"], true);

  ingest.set_paused("ris", false);
  j = channels_json({&c, nullptr, &ingest, nullptr}, mapping::TimeZone::utc());
  EXPECT_EQ(j["sources"][1]["paused"], false);
}

}  // namespace
}  // namespace hisbridge::admin

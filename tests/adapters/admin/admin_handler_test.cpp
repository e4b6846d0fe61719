// The admin API over real loopback HTTP: an HttpServer with the AdminHandler, in front of a
// real journal (SqliteStore in a temp folder) filled through the real Ingest and processed by
// a real Router with a mapping file the MappingWatcher loads.
#include "adapters/admin/admin_handler.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/router/ingest.hpp"
#include "engine/router/router.hpp"
#include "engine/store/group_committer.hpp"
#include "engine/store/open_store.hpp"
#include "tests/adapters/adapter_test_support.hpp"
#include "tests/adapters/admin/admin_client.hpp"

namespace hisbridge::admin {
namespace {

namespace fs = std::filesystem;
namespace bhttp = boost::beast::http;
using Json = nlohmann::json;

struct Reply {
  unsigned status = 0;
  std::string content_type;
  std::string cache_control;
  std::string allow;
  std::string body;
  Json json() const { return Json::parse(body, nullptr, false); }
};

// One request on a new connection (admin_client.hpp).
Reply request(std::uint16_t port, const std::string& target,
              bhttp::verb method = bhttp::verb::get) {
  const testing::AdminReply r = testing::admin_request(port, method, target);
  return {r.status, r.header("Content-Type"), r.header("Cache-Control"), r.header("Allow"),
          r.body};
}

// One his_order row per ORU^R01.
const char* const kMapping = R"({
  "mapping": "orders",
  "messages": ["ORU^R01"],
  "records": [{"table": "his_order", "key": ["order_no"],
               "columns": {"order_no": "OBR-2.1", "status": "OBR-25"}}]
})";

std::string oru(const std::string& control_id, const std::string& order) {
  return "MSH|^~\\&|LIS|LAB|HIS|H|20260305081500||ORU^R01|" + control_id + "|P|2.5\rPID|1||P-" +
         control_id + "^^^H^MR\rOBR|1|" + order + "||GLU||||||||||||||||||||F\r";
}

class AdminHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mapping_file_ = (dir_.path() / "orders.json").string();
    write(mapping_file_, kMapping);
    config_.timezone = "+07:00";
    config_.listeners.push_back({});
    config_.listeners[0].name = "lis";
    config::ChannelConfig results;
    results.name = "lis-results";
    results.source = "lis";
    results.filter.message_types = {"ORU"};
    results.mapping = mapping_file_;
    config_.channels.push_back(results);
    const std::string db = (dir_.path() / "store.db").string();

    mappings_ = std::make_unique<mapping::MappingWatcher>(mapping::MappingLoadOptions{},
                                                          std::chrono::milliseconds(0));
    ASSERT_TRUE(mappings_->add(mapping_file_));
    committer_ = std::make_unique<store::GroupCommitter>(open(db));
    std::vector<router::Channel> channels;
    channels.push_back({results, [this] { return mappings_->current(mapping_file_); }, {}});
    router_ = std::make_unique<router::Router>(
        open(db), config_,
        [this](std::span<const store::StatusUpdate> u) { return committer_->set_statuses(u); },
        std::move(channels));
    ingest_ = std::make_unique<router::Ingest>(
        *committer_, router::Ingest::CharsetOverrides{},
        [this](const std::string& source, std::int64_t id) { router_->notify(source, id); });
    ingest_->add_source("lis");
    router_->start();
    registry_.counter("hisbridge_test_total", "A test counter.").inc(3);

    AdminSources sources{&config_,      &registry_,      router_.get(),
                         ingest_.get(), mappings_.get(), [this] { return not_ready_; }};
    handler_ =
        std::make_unique<AdminHandler>(std::move(sources), std::make_shared<SharedStore>(open(db)));
    server_ = std::make_unique<http::HttpServer>(io_.ioc(), "127.0.0.1", 0, *handler_);
    ASSERT_TRUE(server_->start());
  }

  void TearDown() override {
    server_->stop();
    handler_->stop();
    router_->stop();
    committer_->stop();
  }

  static std::unique_ptr<store::Store> open(const std::string& db) {
    auto s = store::open_store(db);
    EXPECT_TRUE(s) << (s ? "" : s.error().message());
    return s ? std::move(*s) : nullptr;
  }

  static void write(const std::string& file, const std::string& text) {
    std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
  }

  // Hands a message to ingest as an adapter does and waits for its reply.
  router::Reply send(std::string raw) {
    std::promise<router::Reply> answered;
    auto reply = answered.get_future();
    const auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    ingest_->on_message({std::move(raw), "lis", "127.0.0.1:5000", now},
                        [&answered](router::Reply r) { answered.set_value(std::move(r)); });
    return reply.get();
  }

  bool processed() {
    return testing::wait_until([this] {
      const auto r = router_->source_counters("lis");
      return r != nullptr && r->waiting() == 0;
    });
  }

  Reply get(const std::string& target) { return request(server_->port(), target); }

  testing::TempDir dir_;
  std::string mapping_file_;
  config::Config config_;
  metrics::Registry registry_;
  std::unique_ptr<mapping::MappingWatcher> mappings_;
  std::unique_ptr<store::GroupCommitter> committer_;
  std::unique_ptr<router::Router> router_;
  std::unique_ptr<router::Ingest> ingest_;
  std::vector<std::string> not_ready_;
  testing::IoThread io_;
  std::unique_ptr<AdminHandler> handler_;
  std::unique_ptr<http::HttpServer> server_;
};

TEST_F(AdminHandlerTest, HealthzAnswersOkAndNothingIsCached) {
  const Reply r = get("/healthz");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.cache_control, "no-store");
  EXPECT_EQ(r.json(), Json({{"status", "ok"}}));
}

TEST_F(AdminHandlerTest, MetricsIsTheRegistryAsPrometheusText) {
  const Reply r = get("/metrics");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(r.cache_control, "no-store");
  EXPECT_NE(r.body.find("# TYPE hisbridge_test_total counter\nhisbridge_test_total 3\n"),
            std::string::npos)
      << r.body;
}

TEST_F(AdminHandlerTest, ReadyWhenTheJournalAnswersAndListenersAreUp) {
  Reply r = get("/readyz");
  EXPECT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.json()["status"], "ready");
  EXPECT_EQ(r.json()["checks"]["store"], "ok");
  not_ready_ = {"listener lis is not bound"};
  r = get("/readyz");
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(r.json()["status"], "not ready");
  EXPECT_EQ(r.json()["error"], "listener lis is not bound");
  EXPECT_EQ(r.json()["checks"]["listeners"], "listener lis is not bound");
}

TEST_F(AdminHandlerTest, ChannelsShowCountersAndTheMappingsReloadState) {
  EXPECT_TRUE(send(oru("C1", "XN-1")).accepted);
  EXPECT_TRUE(send(oru("C1", "XN-1")).accepted);  // duplicate
  EXPECT_FALSE(send("not HL7").accepted);
  ASSERT_TRUE(processed());
  write(mapping_file_, "{ this is not a mapping");
  mappings_->check_now();

  const Reply r = get("/api/v1/channels");
  ASSERT_EQ(r.status, 200u) << r.body;
  const Json j = r.json();
  ASSERT_EQ(j["channels"].size(), 1u);
  const Json& channel = j["channels"][0];
  EXPECT_EQ(channel["name"], "lis-results");
  EXPECT_EQ(channel["source"], "lis");
  EXPECT_EQ(channel["filter"]["summary"], "types ORU");
  EXPECT_EQ(channel["mapping"]["file"], mapping_file_);
  EXPECT_EQ(channel["mapping"]["name"], "orders");
  EXPECT_TRUE(channel["mapping"]["loaded_at"].get<std::string>().ends_with("+07:00"));
  EXPECT_EQ(channel["mapping"]["reloads"], 0);
  EXPECT_EQ(channel["mapping"]["reload_failures"], 1);
  EXPECT_FALSE(channel["mapping"]["last_error"].get<std::string>().empty());
  EXPECT_EQ(channel["counters"]["processed"], 1);
  EXPECT_EQ(channel["counters"]["failed"], 0);
  EXPECT_EQ(channel["counters"]["by_type"][0]["type"], "ORU^R01");
  EXPECT_EQ(channel["queue_depth"], 0);
  const Json& source = j["sources"][0];
  EXPECT_EQ(source["name"], "lis");
  EXPECT_EQ(source["received"], 3);
  EXPECT_EQ(source["accepted"], 2);
  EXPECT_EQ(source["duplicates"], 1);
  EXPECT_EQ(source["rejected"], 1);
}

TEST_F(AdminHandlerTest, MessagesAreSearchedWithoutTheirRawText) {
  send(oru("C1", "XN-1"));
  send("garbage");
  send(oru("C2", "XN-2"));
  ASSERT_TRUE(processed());

  Reply r = get("/api/v1/messages?status=rejected");
  ASSERT_EQ(r.status, 200u) << r.body;
  Json j = r.json();
  ASSERT_EQ(j["count"], 1);
  EXPECT_EQ(j["messages"][0]["status"], "rejected");
  EXPECT_FALSE(j["messages"][0]["error"].get<std::string>().empty());
  EXPECT_FALSE(j["messages"][0].contains("raw"));

  r = get("/api/v1/messages?type=ORU&limit=1");
  j = r.json();
  ASSERT_EQ(j["count"], 1);
  EXPECT_EQ(j["messages"][0]["control_id"], "C2");  // newest first
  EXPECT_EQ(j["messages"][0]["patient_id"], "P-C2");
  const auto next = j["next_before_id"].get<std::int64_t>();
  j = get("/api/v1/messages?type=ORU%5ER01&limit=1&before_id=" + std::to_string(next)).json();
  ASSERT_EQ(j["count"], 1);
  EXPECT_EQ(j["messages"][0]["control_id"], "C1");
  EXPECT_EQ(get("/api/v1/messages?control_id=C2").json()["count"], 1);
  EXPECT_EQ(get("/api/v1/messages?from=2000-01-01&to=2000-01-02").json()["count"], 0);
  EXPECT_EQ(get("/api/v1/messages").json()["count"], 3);
}

TEST_F(AdminHandlerTest, OneMessageWithItsRawTextAndWhatItsMappingMakesOfIt) {
  const std::string raw = oru("C1", "XN-77");
  const router::Reply stored = send(raw);
  ASSERT_TRUE(processed());
  const Reply r = get("/api/v1/messages/" + std::to_string(stored.message_id));
  ASSERT_EQ(r.status, 200u) << r.body;
  const Json j = r.json();
  EXPECT_EQ(j["id"], stored.message_id);
  EXPECT_EQ(j["raw"], raw);
  EXPECT_EQ(j["status"], "processed");
  ASSERT_EQ(j["mapped"].size(), 1u);
  EXPECT_EQ(j["mapped"][0]["channel"], "lis-results");
  EXPECT_EQ(j["mapped"][0]["mapping"], "orders");
  EXPECT_EQ(j["mapped"][0]["records"][0]["table"], "his_order");
  EXPECT_NE(j["mapped"][0]["records"].dump().find("XN-77"), std::string::npos)
      << j["mapped"].dump();
}

TEST_F(AdminHandlerTest, ErrorsAreJsonWithTheRightStatus) {
  Reply r = get("/nope");
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(r.json()["error"], "no such path: /nope");
  EXPECT_EQ(r.cache_control, "no-store");
  EXPECT_EQ(get("/api/v1/messages/999").status, 404u);
  EXPECT_EQ(get("/api/v1/messages/abc").status, 404u);
  EXPECT_EQ(get("/api/v1/messages/").status, 404u);
  r = get("/api/v1/messages?limit=9999");
  EXPECT_EQ(r.status, 400u);
  EXPECT_NE(r.json()["error"].get<std::string>().find("'limit'"), std::string::npos);
  r = get("/api/v1/messages?statu=error");
  EXPECT_EQ(r.status, 400u);
  EXPECT_NE(r.json()["error"].get<std::string>().find("'statu'"), std::string::npos);
  EXPECT_EQ(get("/api/v1/messages?status=%zz").status, 400u);
  r = request(server_->port(), "/metrics", bhttp::verb::post);
  EXPECT_EQ(r.status, 405u);
  EXPECT_EQ(r.allow, "GET");
  EXPECT_EQ(r.content_type, "application/json");
}

// A journal that fails every call, for the 500 and not-ready answers.
class BrokenStore final : public store::Store {
 public:
  Result<std::vector<store::Appended>> append(std::span<const store::NewMessage>,
                                              std::int64_t) override {
    return store::StoreError::io;
  }
  Result<std::vector<store::StoredMessage>> pending(std::string_view, std::int64_t,
                                                    std::size_t) override {
    return store::StoreError::io;
  }
  Result<void> set_status(std::int64_t, store::MessageStatus, std::string_view) override {
    return store::StoreError::io;
  }
  Result<void> set_statuses(std::span<const store::StatusUpdate>) override {
    return store::StoreError::io;
  }
  Result<store::StoredMessage> get(std::int64_t) override { return store::StoreError::io; }
  Result<std::vector<store::StoredMessage>> find(const store::MessageQuery&) override {
    return store::StoreError::io;
  }
  Result<store::StoreStats> stats() override { return store::StoreError::io; }
};

TEST(AdminHandlerBrokenStoreTest, AFailingJournalIsA500AndNotReady) {
  config::Config config;
  testing::IoThread io;
  AdminHandler handler({&config, nullptr, nullptr, nullptr, nullptr, {}},
                       std::make_shared<SharedStore>(std::make_unique<BrokenStore>()));
  http::HttpServer server(io.ioc(), "127.0.0.1", 0, handler);
  ASSERT_TRUE(server.start());
  Reply r = request(server.port(), "/readyz");
  EXPECT_EQ(r.status, 503u);
  EXPECT_NE(r.json()["error"].get<std::string>().find("journal does not answer"), std::string::npos)
      << r.body;
  r = request(server.port(), "/api/v1/messages");
  EXPECT_EQ(r.status, 500u);
  EXPECT_NE(r.json()["error"].get<std::string>().find("journal search failed"), std::string::npos);
  EXPECT_EQ(request(server.port(), "/api/v1/messages/1").status, 500u);
  EXPECT_EQ(request(server.port(), "/healthz").status, 200u);  // alive all the same
  server.stop();
  handler.stop();
}

}  // namespace
}  // namespace hisbridge::admin

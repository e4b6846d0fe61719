// The replay paths of the admin API over real loopback HTTP: an HttpServer with the
// AdminHandler in front of a real journal (SqliteStore in a temp folder) filled through the
// real Ingest and processed by a real Router, whose rewind() the handler calls.
#include "adapters/admin/replay_api.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "adapters/admin/admin_handler.hpp"
#include "engine/router/ingest.hpp"
#include "engine/router/router.hpp"
#include "engine/store/group_committer.hpp"
#include "engine/store/open_store.hpp"
#include "tests/adapters/adapter_test_support.hpp"
#include "tests/adapters/admin/admin_client.hpp"

namespace hisbridge::admin {
namespace {

namespace bhttp = boost::beast::http;
using Json = nlohmann::json;

struct Reply {
  unsigned status = 0;
  std::string allow;
  std::string body;
  Json json() const { return Json::parse(body, nullptr, false); }
};

// One request on a new connection (admin_client.hpp), naming `actor` when given.
Reply request(std::uint16_t port, bhttp::verb method, const std::string& target,
              const std::string& body = {}, const std::string& actor = {}) {
  std::vector<std::pair<std::string, std::string>> headers;
  if (!actor.empty()) {
    headers.emplace_back("X-Hisbridge-Actor", actor);
  }
  const testing::AdminReply r = testing::admin_request(port, method, target, headers, body);
  return {r.status, r.header("Allow"), r.body};
}

// Never called: no delivery worker runs here; the router only queues entries for it.
class Unused final : public router::Destination {
 public:
  const std::string& name() const override { return name_; }
  router::Delivery deliver(const router::DeliveryItem&) override {
    return router::Delivery::delivered();
  }

 private:
  std::string name_ = "his";
};

std::string oru(const std::string& control_id) {
  return "MSH|^~\\&|LIS|LAB|HIS|H|20260305081500||ORU^R01|" + control_id + "|P|2.5\rPID|1||P-" +
         control_id + "^^^H^MR\rOBR|1|XN-" + control_id + "||GLU||||||||||||||||||||F\r";
}

class ReplayApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.timezone = "+07:00";
    config_.listeners.push_back({});
    config_.listeners[0].name = "lis";
    config::ChannelConfig results;
    results.name = "lab";
    results.source = "lis";
    results.filter.message_types = {"ORU"};
    results.destinations.push_back({});
    results.destinations.back().name = "his";
    config_.channels.push_back(results);
    db_ = (dir_.path() / "store.db").string();
    committer_ = std::make_unique<store::GroupCommitter>(open());
    std::vector<router::Channel> channels;
    channels.push_back({results, {}, {std::make_shared<Unused>()}});
    router_ = std::make_unique<router::Router>(
        open(), config_,
        [this](std::span<const store::StatusUpdate> u) { return committer_->set_statuses(u); },
        std::move(channels));
    ingest_ = std::make_unique<router::Ingest>(
        *committer_, router::Ingest::CharsetOverrides{},
        [this](const std::string& source, std::int64_t id) { router_->notify(source, id); });
    ingest_->add_source("lis");
    router_->start();
    journal_ = open();

    admin_store_ = std::make_shared<SharedStore>(open());
    auto file = audit::AuditFile::open({audit_log(), 1'000'000, 3});
    ASSERT_TRUE(file) << file.error();
    start_handler(std::move(*file));
  }

  // The admin API as the engine builds it: audit entries to the admin side's journal and to
  // `file`.
  void start_handler(std::shared_ptr<audit::AuditFile> file) {
    if (server_) {
      server_->stop();
      handler_->stop();
    }
    AdminSources sources{&config_, nullptr, router_.get(), ingest_.get(), nullptr, {}};
    sources.rewind = [this](const std::string& source) {
      rewound_.push_back(source);
      router_->rewind(source);
    };
    sources.audit = std::make_shared<audit::AuditTrail>(
        [store = admin_store_](const store::NewAuditEntry& row) {
          return store->with([&](store::Store& s) { return s.append_audit(row); });
        },
        std::move(file));
    handler_ = std::make_unique<AdminHandler>(std::move(sources), admin_store_);
    server_ = std::make_unique<http::HttpServer>(io_.ioc(), "127.0.0.1", 0, *handler_);
    ASSERT_TRUE(server_->start());
  }

  std::filesystem::path audit_log() const { return dir_.path() / "audit.log"; }

  // The audit file's lines, oldest first.
  std::vector<Json> audit_lines() const {
    std::ifstream in(audit_log());
    std::vector<Json> out;
    for (std::string line; std::getline(in, line);) {
      out.push_back(Json::parse(line));
    }
    return out;
  }

  void TearDown() override {
    server_->stop();
    handler_->stop();
    router_->stop();
    committer_->stop();
  }

  std::unique_ptr<store::Store> open() const {
    auto s = store::open_store(db_);
    EXPECT_TRUE(s) << (s ? "" : s.error().message());
    return s ? std::move(*s) : nullptr;
  }

  // Hands a message to ingest as an adapter does; its reply.
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
      auto stats = journal_->stats();
      return stats && stats->received == 0;
    });
  }

  store::MessageStatus status_of(std::int64_t id) { return journal_->get(id)->message.status; }

  Reply post(const std::string& target, const std::string& body = {},
             const std::string& actor = {}) {
    return request(server_->port(), bhttp::verb::post, target, body, actor);
  }
  Reply get(const std::string& target) {
    return request(server_->port(), bhttp::verb::get, target);
  }

  testing::TempDir dir_;
  std::string db_;
  config::Config config_;
  std::unique_ptr<store::GroupCommitter> committer_;
  std::unique_ptr<router::Router> router_;
  std::unique_ptr<router::Ingest> ingest_;
  std::unique_ptr<store::Store> journal_;  // the test's own reads and writes
  std::shared_ptr<SharedStore> admin_store_;
  std::vector<std::string> rewound_;
  testing::IoThread io_;
  std::unique_ptr<AdminHandler> handler_;
  std::unique_ptr<http::HttpServer> server_;
};

TEST_F(ReplayApiTest, AMessageIsReprocessedWithNewQueueEntriesAndAnAuditRow) {
  const router::Reply stored = send(oru("C1"));
  ASSERT_TRUE(processed());
  const std::string path = "/api/v1/messages/" + std::to_string(stored.message_id);
  Json j = get(path).json();
  ASSERT_EQ(j["deliveries"].size(), 1u) << j.dump();
  EXPECT_EQ(j["deliveries"][0]["queue"], "lab/his");
  EXPECT_EQ(j["deliveries"][0]["state"], "pending");
  EXPECT_TRUE(j["deliveries"][0]["next_attempt_at"].is_null());
  // Delivered meanwhile, so processing it again queues a second entry.
  const auto entry = journal_->deliveries_of(stored.message_id)->front();
  ASSERT_TRUE(journal_->update_deliveries(
      std::vector<store::DeliveryUpdate>{{entry.id, store::DeliveryState::delivered, 0, 0, ""}}));

  const Reply r = post(path + "/reprocess", {}, "alice");
  ASSERT_EQ(r.status, 202u) << r.body;
  EXPECT_EQ(r.json(), Json({{"message_id", stored.message_id},
                            {"status", "received"},
                            {"previous_status", "processed"}}));
  EXPECT_EQ(rewound_, std::vector<std::string>{"lis"});
  ASSERT_TRUE(processed());
  EXPECT_EQ(status_of(stored.message_id), store::MessageStatus::processed);
  j = get(path).json();
  ASSERT_EQ(j["deliveries"].size(), 2u) << j.dump();
  EXPECT_EQ(j["deliveries"][0]["state"], "delivered");
  EXPECT_EQ(j["deliveries"][1]["state"], "pending");

  // Newest first: the two looks at the message (with its patient data) around the replay.
  const Json audit = get("/api/v1/audit").json();
  ASSERT_EQ(audit["count"], 3) << audit.dump();
  EXPECT_EQ(audit["entries"][0]["action"], "view-message");
  EXPECT_EQ(audit["entries"][2]["action"], "view-message");
  const Json& row = audit["entries"][1];
  EXPECT_EQ(row["action"], "reprocess-messages");
  EXPECT_TRUE(row["actor"].get<std::string>().starts_with("alice (127.0.0.1:")) << row.dump();
  EXPECT_TRUE(row["at"].get<std::string>().ends_with("+07:00"));
  EXPECT_EQ(row["detail"]["via"], "api");
  EXPECT_EQ(row["detail"]["messages"], Json::array({stored.message_id}));
  EXPECT_EQ(row["detail"]["sent_back"], 1);
  EXPECT_EQ(row["detail"]["changed"], 1);

  // The audit file holds the same three, oldest first, with the peer they came from.
  const auto lines = audit_lines();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["action"], "view-message");
  EXPECT_EQ(lines[1]["action"], "reprocess-messages");
  EXPECT_EQ(lines[2]["action"], "view-message");
  EXPECT_EQ(lines[1]["actor"], row["actor"]);
  EXPECT_TRUE(lines[1]["from"].get<std::string>().starts_with("127.0.0.1:")) << lines[1].dump();
  EXPECT_TRUE(row["actor"].get<std::string>().ends_with("(" + lines[1]["from"].get<std::string>() +
                                                        ")"));
  EXPECT_EQ(lines[1]["detail"], row["detail"]);
  EXPECT_EQ(lines[0]["detail"]["message"], stored.message_id);
}

// The replay is done before its entry is written: when the audit file fails, the work stays
// done, the journal still has the row, and the answer is a 500 that names the file.
TEST_F(ReplayApiTest, AReplayWhoseAuditFileCannotBeWrittenIsAnswered500) {
  if (!std::filesystem::exists("/dev/full")) {
    GTEST_SKIP() << "no /dev/full";
  }
  const router::Reply stored = send(oru("F1"));
  ASSERT_TRUE(processed());
  const auto full_log = dir_.path() / "full.log";
  std::filesystem::create_symlink("/dev/full", full_log);
  auto full = audit::AuditFile::open({full_log, 1'000'000, 3});
  ASSERT_TRUE(full);
  start_handler(std::move(*full));
  const Reply r =
      post("/api/v1/messages/" + std::to_string(stored.message_id) + "/reprocess", {}, "alice");
  EXPECT_EQ(r.status, 500u) << r.body;
  const std::string error = r.json()["error"];
  EXPECT_NE(error.find("the replay is done, but its audit entry could not be written"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("audit file " + full_log.string()), std::string::npos) << error;
  EXPECT_EQ(r.json()["previous_status"], "processed") << "the answer says what was done";
  const auto rows = journal_->audit(10);
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].action, "reprocess-messages");
}

TEST_F(ReplayApiTest, RejectedAndDuplicateMessagesAreRefusedAndUnknownOnesAreNotFound) {
  const router::Reply rejected = send("not HL7 at all");
  const router::Reply first = send(oru("D1"));
  const router::Reply duplicate = send(oru("D1"));
  ASSERT_TRUE(processed());
  ASSERT_EQ(status_of(duplicate.message_id), store::MessageStatus::duplicate);
  Reply r = post("/api/v1/messages/" + std::to_string(rejected.message_id) + "/reprocess");
  EXPECT_EQ(r.status, 409u);
  EXPECT_EQ(r.json()["status"], "rejected");
  EXPECT_NE(r.json()["error"].get<std::string>().find("rejected when it arrived"),
            std::string::npos);
  r = post("/api/v1/messages/" + std::to_string(duplicate.message_id) + "/reprocess");
  EXPECT_EQ(r.status, 409u);
  EXPECT_NE(r.json()["error"].get<std::string>().find("duplicate of message " +
                                                      std::to_string(first.message_id)),
            std::string::npos);
  EXPECT_EQ(post("/api/v1/messages/99999/reprocess").status, 404u);
  EXPECT_EQ(post("/api/v1/messages/x/reprocess").status, 404u);
  r = get("/api/v1/messages/1/reprocess");
  EXPECT_EQ(r.status, 405u);
  EXPECT_EQ(r.allow, "POST");
  EXPECT_TRUE(rewound_.empty());
  EXPECT_EQ(status_of(rejected.message_id), store::MessageStatus::rejected);
  EXPECT_EQ(get("/api/v1/audit?limit=2").json()["count"], 2);
}

TEST_F(ReplayApiTest, AChannelsRangeGoesBackThroughProcessing) {
  std::vector<std::int64_t> ids;
  for (const char* c : {"R1", "R2", "R3"}) {
    ids.push_back(send(oru(c)).message_id);
  }
  ASSERT_TRUE(processed());
  const Reply r = post("/api/v1/replay",
                       R"({"channel": "lab", "from": "2000-01-01", "to": "2100-01-01T00:00Z"})");
  ASSERT_EQ(r.status, 202u) << r.body;
  const Json j = r.json();
  EXPECT_EQ(j["action"], "reprocess-range");
  EXPECT_EQ(j["channel"], "lab");
  EXPECT_EQ(j["source"], "lis");
  EXPECT_EQ(j["from"], "2000-01-01T00:00:00.000+07:00");
  EXPECT_EQ(j["messages"], 3);
  EXPECT_EQ(rewound_, std::vector<std::string>{"lis"});
  ASSERT_TRUE(processed());
  for (const std::int64_t id : ids) {
    EXPECT_EQ(journal_->deliveries_of(id)->size(), 1u)
        << "the pending entry of the first pass is not queued twice";
  }
  const Json row = get("/api/v1/audit?limit=1").json()["entries"][0];
  EXPECT_EQ(row["action"], "reprocess-range");
  EXPECT_EQ(row["detail"]["channel"], "lab");
  EXPECT_EQ(row["detail"]["changed"], 3);
  EXPECT_TRUE(row["actor"].get<std::string>().starts_with("127.0.0.1:")) << row.dump();
  const Json line = audit_lines().back();
  EXPECT_EQ(line["action"], "reprocess-range");
  EXPECT_EQ(line["actor"], row["actor"]) << "no name: the peer alone";
  EXPECT_EQ(line["from"], row["actor"]);
  EXPECT_EQ(line["detail"]["channel"], "lab");
  EXPECT_EQ(line["detail"]["changed"], 3);
}

TEST_F(ReplayApiTest, ADestinationsDeadLettersArePendingAgain) {
  const router::Reply stored = send(oru("X1"));
  ASSERT_TRUE(processed());
  const auto entry = journal_->deliveries_of(stored.message_id)->front();
  ASSERT_TRUE(journal_->update_deliveries(std::vector<store::DeliveryUpdate>{
      {entry.id, store::DeliveryState::dead, 5, 0, "HIS refused: unit"}}));
  const Reply r = post("/api/v1/replay", R"({"dead_letters": "lab/his"})", "bob");
  ASSERT_EQ(r.status, 202u) << r.body;
  EXPECT_EQ(r.json(),
            Json({{"action", "requeue-dead-letters"}, {"queue", "lab/his"}, {"entries", 1}}));
  const Json d = get("/api/v1/messages/" + std::to_string(stored.message_id)).json()["deliveries"];
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0]["state"], "pending");
  EXPECT_EQ(d[0]["attempts"], 0);
  EXPECT_EQ(d[0]["last_error"], "HIS refused: unit");
  const Json entries = get("/api/v1/audit").json()["entries"];
  EXPECT_EQ(entries[0]["action"], "view-message");
  const Json row = entries[1];
  EXPECT_EQ(row["action"], "requeue-dead-letters");
  EXPECT_EQ(row["detail"]["queue"], "lab/his");
  EXPECT_EQ(row["detail"]["changed"], 1);
  EXPECT_TRUE(rewound_.empty());
}

TEST_F(ReplayApiTest, ABadReplayBodyIsA400ThatSaysWhatIsWrong) {
  const auto error_of = [this](const std::string& body) {
    const Reply r = post("/api/v1/replay", body);
    EXPECT_EQ(r.status, 400u) << body << ": " << r.body;
    return r.json()["error"].get<std::string>();
  };
  EXPECT_NE(error_of("not json").find("JSON object"), std::string::npos);
  EXPECT_NE(error_of("[1]").find("JSON object"), std::string::npos);
  EXPECT_NE(error_of(R"({"chanel": "lab"})").find("unknown key 'chanel'"), std::string::npos);
  EXPECT_NE(error_of(R"({"channel": "lab", "from": "2026-01-01"})").find("'to' is missing"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"channel": "rad", "from": "2026-01-01", "to": "2026-01-02"})")
                .find("no channel 'rad' in the config (channels: lab)"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"channel": "lab", "from": "yesterday", "to": "2026-01-02"})")
                .find("'from': 'yesterday' is not an ISO 8601"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"channel": "lab", "from": "2026-01-02", "to": "2026-01-01"})")
                .find("later than 'from'"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"dead_letters": "lab/fhir"})").find("queues: lab/his"), std::string::npos);
  EXPECT_NE(error_of(R"({"dead_letters": "lab/his", "channel": "lab"})").find("goes alone"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"dead_letters": 3})").find("must be a string"), std::string::npos);
  EXPECT_EQ(get("/api/v1/audit").json()["count"], 0) << "nothing was done, nothing audited";
  EXPECT_TRUE(audit_lines().empty());
  EXPECT_EQ(get("/api/v1/audit?limit=0").status, 400u);
  EXPECT_EQ(get("/api/v1/audit?limt=5").status, 400u);
  EXPECT_EQ(get("/api/v1/replay").status, 405u);
  EXPECT_EQ(post("/api/v1/audit").status, 405u);
}

}  // namespace
}  // namespace hisbridge::admin

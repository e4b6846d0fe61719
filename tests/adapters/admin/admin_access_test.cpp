// Access control of the admin API over real loopback HTTP, in front of a real journal
// (SqliteStore in a temp folder): tokens, roles, the patient-data filter, and the audit rows
// of what an operator looked at.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "adapters/admin/admin_handler.hpp"
#include "engine/auth/token.hpp"
#include "engine/store/open_store.hpp"
#include "tests/adapters/adapter_test_support.hpp"
#include "tests/adapters/admin/admin_client.hpp"

namespace hisbridge::admin {
namespace {

namespace bhttp = boost::beast::http;
using testing::AdminReply;

constexpr const char* kViewerToken = "hbt_viewer-token-for-the-wallboard";
constexpr const char* kOperatorToken = "hbt_operator-token-for-the-it-team";
constexpr const char* kPatientId = "BN-4711";
constexpr const char* kPatientName = "NGUYỄN VĂN AN";

config::AdminToken token(const std::string& name, auth::Role role, const std::string& secret) {
  return {name, role, auth::digest(secret)};
}

class AdminAccessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.timezone = "+07:00";
    config_.admin.tokens = {token("wallboard", auth::Role::viewer, kViewerToken),
                            token("it-team", auth::Role::operator_, kOperatorToken)};
    const std::string db = (dir_.path() / "store.db").string();
    auto opened = store::open_store(db);
    ASSERT_TRUE(opened);
    store_ = std::make_shared<SharedStore>(std::move(*opened));
    store::NewMessage m;
    m.raw = std::string("MSH|^~\\&|LIS|LAB|HIS|H|20260305081500||ORU^R01|C1|P|2.5\rPID|1||") +
            kPatientId + "^^^H^MR||" + kPatientName + "\r";
    m.received_at_us = 1772673300LL * 1000 * 1000;
    m.source = "lis";
    m.control_id = "C1";
    m.message_type = "ORU^R01";
    m.patient_id = kPatientId;
    auto appended = store_->with([&](store::Store& s) {
      return s.append(std::vector<store::NewMessage>{m}, 0);
    });
    ASSERT_TRUE(appended);
    id_ = appended->front().id;
    auto file = audit::AuditFile::open({audit_log(), 1'000'000, 3});
    ASSERT_TRUE(file) << file.error();
    audit_file_ = std::move(*file);
    start(config_);
  }

  std::filesystem::path audit_log() const { return dir_.path() / "audit.log"; }

  // The audit file's lines, oldest first, and its whole text.
  std::vector<nlohmann::json> audit_lines() const {
    std::ifstream in(audit_log());
    std::vector<nlohmann::json> out;
    for (std::string line; std::getline(in, line);) {
      out.push_back(nlohmann::json::parse(line));
    }
    return out;
  }
  std::string audit_text() const {
    std::ifstream in(audit_log(), std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

  void start(const config::Config& config) {
    if (server_) {
      server_->stop();
      handler_->stop();
    }
    AdminSources sources;
    sources.config = &config;
    sources.metrics = &registry_;
    sources.audit = std::make_shared<audit::AuditTrail>(
        [store = store_](const store::NewAuditEntry& row) {
          return store->with([&](store::Store& s) { return s.append_audit(row); });
        },
        audit_file_);
    handler_ = std::make_unique<AdminHandler>(std::move(sources), store_);
    server_ = std::make_unique<http::HttpServer>(io_.ioc(), "127.0.0.1", 0, *handler_);
    ASSERT_TRUE(server_->start());
  }

  void TearDown() override {
    server_->stop();
    handler_->stop();
  }

  AdminReply get(const std::string& target, const std::string& bearer = {}) {
    std::vector<std::pair<std::string, std::string>> headers;
    if (!bearer.empty()) {
      headers.emplace_back("Authorization", "Bearer " + bearer);
    }
    return testing::admin_request(server_->port(), bhttp::verb::get, target, headers);
  }

  AdminReply post(const std::string& target, const std::string& bearer) {
    return testing::admin_request(server_->port(), bhttp::verb::post, target,
                                  {{"Authorization", "Bearer " + bearer}}, "{}");
  }

  std::vector<store::AuditEntry> audit() {
    auto rows = store_->with([](store::Store& s) { return s.audit(100); });
    EXPECT_TRUE(rows);
    return rows ? *rows : std::vector<store::AuditEntry>{};
  }

  hisbridge::testing::TempDir dir_;
  config::Config config_;
  metrics::Registry registry_;
  std::shared_ptr<SharedStore> store_;
  std::shared_ptr<audit::AuditFile> audit_file_;
  std::int64_t id_ = 0;
  hisbridge::testing::IoThread io_;
  std::unique_ptr<AdminHandler> handler_;
  std::unique_ptr<http::HttpServer> server_;
};

TEST_F(AdminAccessTest, WithoutAKnownTokenTheApiAnswers401WithAChallenge) {
  for (const std::string target : {"/api/v1/channels", "/api/v1/messages", "/api/v1/audit",
                                   "/api/v1/messages/1", "/api/v1/turnaround/intervals"}) {
    const AdminReply none = get(target);
    EXPECT_EQ(none.status, 401u) << target;
    EXPECT_EQ(none.header("WWW-Authenticate"), "Bearer realm=\"hisbridge\"") << target;
    EXPECT_NE(none.json()["error"].get<std::string>().find("hisbridge token"), std::string::npos);
    const AdminReply wrong = get(target, "hbt_not-a-token-of-this-engine");
    EXPECT_EQ(wrong.status, 401u) << target;
    EXPECT_EQ(wrong.json()["error"], "the token is not one of this engine's admin tokens");
  }
  // Another scheme, or a bare token, is not a bearer token.
  EXPECT_EQ(testing::admin_request(server_->port(), bhttp::verb::get, "/api/v1/channels",
                                   {{"Authorization", std::string("Basic ") + kOperatorToken}})
                .status,
            401u);
  EXPECT_EQ(testing::admin_request(server_->port(), bhttp::verb::get, "/api/v1/channels",
                                   {{"Authorization", kOperatorToken}})
                .status,
            401u);
  // The scheme is case-insensitive.
  EXPECT_EQ(testing::admin_request(server_->port(), bhttp::verb::get, "/api/v1/channels",
                                   {{"Authorization", std::string("bearer ") + kViewerToken}})
                .status,
            200u);
}

TEST_F(AdminAccessTest, MetricsAndHealthStayOpenUnlessConfiguredOtherwise) {
  EXPECT_EQ(get("/metrics").status, 200u);
  EXPECT_EQ(get("/healthz").status, 200u);
  EXPECT_EQ(get("/readyz").status, 200u);
  EXPECT_EQ(get("/dashboard/").status, 200u) << "the dashboard's files hold no data";
  config::Config closed = config_;
  closed.admin.open_metrics = false;
  start(closed);
  EXPECT_EQ(get("/metrics").status, 401u);
  EXPECT_EQ(get("/healthz").status, 401u);
  EXPECT_EQ(get("/metrics", kViewerToken).status, 200u);
}

TEST_F(AdminAccessTest, AViewerSeesMessagesWithoutPatientDataAndMayNotReplay) {
  const AdminReply list = get("/api/v1/messages", kViewerToken);
  ASSERT_EQ(list.status, 200u) << list.body;
  EXPECT_EQ(list.json()["messages"][0]["patient_id"], "***");
  EXPECT_EQ(list.json()["messages"][0]["control_id"], "C1");
  const AdminReply one = get("/api/v1/messages/" + std::to_string(id_), kViewerToken);
  ASSERT_EQ(one.status, 200u) << one.body;
  EXPECT_FALSE(one.json().contains("raw"));
  EXPECT_EQ(one.json()["patient_data"], "masked");
  EXPECT_EQ(one.body.find(kPatientId), std::string::npos) << one.body;
  EXPECT_EQ(one.body.find("NGUY"), std::string::npos) << one.body;
  EXPECT_EQ(get(std::string("/api/v1/messages?patient_id=") + kPatientId, kViewerToken).status,
            403u);

  const AdminReply replay = post("/api/v1/messages/" + std::to_string(id_) + "/reprocess",
                                 kViewerToken);
  EXPECT_EQ(replay.status, 403u);
  EXPECT_EQ(replay.json()["error"],
            "token 'wallboard' has the viewer role; this needs the operator role");
  EXPECT_EQ(post("/api/v1/replay", kViewerToken).status, 403u);
  EXPECT_EQ(get("/api/v1/audit", kViewerToken).status, 403u);
  EXPECT_TRUE(audit().empty()) << "a viewer's looks and refusals are not operator actions";
  EXPECT_TRUE(audit_lines().empty());
}

TEST_F(AdminAccessTest, AnOperatorSeesPatientDataAndEachLookIsAudited) {
  const AdminReply one = get("/api/v1/messages/" + std::to_string(id_), kOperatorToken);
  ASSERT_EQ(one.status, 200u) << one.body;
  EXPECT_NE(one.json()["raw"].get<std::string>().find(kPatientName), std::string::npos);
  EXPECT_EQ(one.json()["patient_id"], kPatientId);
  EXPECT_EQ(get(std::string("/api/v1/messages?patient_id=") + kPatientId, kOperatorToken).status,
            200u);

  const auto rows = audit();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].action, "view-message");
  EXPECT_EQ(rows[0].actor.rfind("it-team (127.0.0.1:", 0), 0u) << rows[0].actor;
  EXPECT_EQ(nlohmann::json::parse(rows[0].detail)["message"], id_);

  const AdminReply replay = post("/api/v1/messages/" + std::to_string(id_) + "/reprocess",
                                 kOperatorToken);
  EXPECT_NE(replay.status, 401u);
  EXPECT_NE(replay.status, 403u);
  const auto after = audit();
  ASSERT_EQ(after.size(), 2u);
  EXPECT_EQ(after[0].action, "reprocess-messages");  // newest first
  EXPECT_EQ(after[0].actor.rfind("it-team (", 0), 0u) << after[0].actor;

  // The audit file: the same two actions, who, from where, which message, and nothing of
  // the message itself.
  const auto lines = audit_lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["action"], "view-message");
  EXPECT_EQ(lines[0]["actor"], rows[0].actor);
  EXPECT_TRUE(lines[0]["from"].get<std::string>().starts_with("127.0.0.1:")) << lines[0].dump();
  EXPECT_EQ(lines[0]["detail"], nlohmann::json({{"via", "api"}, {"message", id_}}));
  EXPECT_EQ(lines[1]["action"], "reprocess-messages");
  EXPECT_EQ(lines[1]["actor"], after[0].actor);
  const std::string text = audit_text();
  for (const char* patient_data : {kPatientId, kPatientName, "NGUY", "MSH|", "PID|"}) {
    EXPECT_EQ(text.find(patient_data), std::string::npos) << patient_data << " in " << text;
  }
}

// Fail closed: an operator is not shown a message whose look could not be written to the
// audit file (a full disk: the file is a link to /dev/full).
TEST_F(AdminAccessTest, AnAuditFileThatCannotBeWrittenKeepsTheMessageHidden) {
  if (!std::filesystem::exists("/dev/full")) {
    GTEST_SKIP() << "no /dev/full";
  }
  const auto full_log = dir_.path() / "full.log";
  std::filesystem::create_symlink("/dev/full", full_log);
  auto full = audit::AuditFile::open({full_log, 1'000'000, 3});
  ASSERT_TRUE(full);
  audit_file_ = std::move(*full);
  start(config_);
  const AdminReply one = get("/api/v1/messages/" + std::to_string(id_), kOperatorToken);
  EXPECT_EQ(one.status, 500u);
  const std::string error = one.json()["error"];
  EXPECT_EQ(error.rfind("the message is not shown: its audit entry could not be written: ", 0),
            0u)
      << error;
  EXPECT_NE(error.find("audit file " + full_log.string()), std::string::npos) << error;
  EXPECT_EQ(one.body.find(kPatientId), std::string::npos) << one.body;
  EXPECT_EQ(one.body.find("NGUY"), std::string::npos) << one.body;
  // A viewer's look is not audited, so it does not depend on the file.
  EXPECT_EQ(get("/api/v1/messages/" + std::to_string(id_), kViewerToken).status, 200u);
}

TEST_F(AdminAccessTest, WithoutTokensTheApiIsOpenAndTheHeaderNamesTheActor) {
  config::Config open = config_;
  open.admin.tokens.clear();
  start(open);
  const AdminReply one = testing::admin_request(
      server_->port(), bhttp::verb::get, "/api/v1/messages/" + std::to_string(id_),
      {{"X-Hisbridge-Actor", "lan tech"}});
  ASSERT_EQ(one.status, 200u);
  EXPECT_TRUE(one.json().contains("raw"));
  const auto rows = audit();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].actor.rfind("lan tech (127.0.0.1:", 0), 0u) << rows[0].actor;
  const auto lines = audit_lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["actor"], rows[0].actor);
  EXPECT_EQ(rows[0].actor, "lan tech (" + lines[0]["from"].get<std::string>() + ")");
}

TEST(OpenApiActorTest, TheNamedActorGoesBeforeThePeerWithoutControlCharacters) {
  http::HttpRequest r;
  r.peer = "10.1.2.3:5123";
  EXPECT_EQ(open_api_actor(r), "10.1.2.3:5123");
  r.headers.push_back({"X-Hisbridge-Actor", "alice\x01\x7f smith"});
  EXPECT_EQ(open_api_actor(r), "alice smith (10.1.2.3:5123)");
  r.headers.back().value = std::string(300, 'a');
  EXPECT_EQ(open_api_actor(r), std::string(100, 'a') + " (10.1.2.3:5123)");
}

TEST(NeededRoleTest, OperatorsForTheAuditLogAndReplaysViewersForTheRest) {
  EXPECT_EQ(needed_role("/metrics", true), std::nullopt);
  EXPECT_EQ(needed_role("/metrics", false), auth::Role::viewer);
  EXPECT_EQ(needed_role("/api/v1/audit", true), auth::Role::operator_);
  EXPECT_EQ(needed_role("/api/v1/replay", true), auth::Role::operator_);
  EXPECT_EQ(needed_role("/api/v1/messages/12/reprocess", true), auth::Role::operator_);
  EXPECT_EQ(needed_role("/api/v1/messages/12", true), auth::Role::viewer);
  EXPECT_EQ(needed_role("/api/v1/overdue", true), auth::Role::viewer);
}

}  // namespace
}  // namespace hisbridge::admin

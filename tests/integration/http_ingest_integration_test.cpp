// The inbound HTTP chain as the engine wires it: HttpIngestListener → Ingest → GroupCommitter →
// SqliteStore, over loopback. Every answer must come back for a message that is already in the
// journal, byte for byte as it was posted.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <pugixml.hpp>
#include <string>

#include "adapters/http/http_ingest_listener.hpp"
#include "engine/hl7/message.hpp"
#include "engine/router/ingest.hpp"
#include "engine/store/group_committer.hpp"
#include "engine/store/sqlite_store.hpp"
#include "tests/adapters/adapter_test_support.hpp"
#include "tests/adapters/http/http_test_client.hpp"

namespace hisbridge {
namespace {

using hisbridge::testing::TestHttpClient;

constexpr const char* kEr7 = "x-application/hl7-v2+er7";

std::string oru(const std::string& control_id) {
  return "MSH|^~\\&|LIS|LAB|HIS|HOSP|20260305081500||ORU^R01^ORU_R01|" + control_id +
         "|P|2.5\r\nPID|1||12345^^^HOSP^MR||NGUY\xE1\xBB\x84N^V\xC4\x82N A\r\n"
         "OBX|1|NM|GLU^Glucose||5.4|mmol/L|3.9-6.1|N|||F\r\n";
}

// The stored id Ingest writes into the ACK's own MSH-10 ("HB<id>").
std::int64_t stored_id(const std::string& ack) {
  auto message = hl7::Message::parse(ack);
  const std::string own = message ? message->get("MSH-10").value() : "";
  return own.starts_with("HB") ? std::stoll(own.substr(2)) : 0;
}

std::string msa1(const std::string& ack) {
  auto message = hl7::Message::parse(ack);
  return message ? message->get("MSA-1").value() : "";
}

// Torn down in the order the engine uses: stop listening, drain the committer (every owed
// reply runs and posts to a live io_context), then stop the io_context.
class HttpIngestIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = store::SqliteStore::open(dir_.path() / "journal.db");
    ASSERT_TRUE(store) << store.error().message();
    committer_ = std::make_unique<store::GroupCommitter>(std::move(*store));
    ingest_ = std::make_unique<router::Ingest>(*committer_, router::Ingest::CharsetOverrides{});
    http::HttpIngestOptions options;
    options.sources = {"lis"};
    options.host = "127.0.0.1";
    listener_ = std::make_unique<http::HttpIngestListener>(io_.ioc(), options, *ingest_);
    auto started = listener_->start();
    ASSERT_TRUE(started) << started.error().message();
  }
  void TearDown() override {
    listener_.reset();
    committer_->stop();
  }

  // What the journal holds under `id`, read through a second connection.
  std::optional<store::StoredMessage> stored(std::int64_t id) {
    auto reader = store::SqliteStore::open(dir_.path() / "journal.db");
    if (!reader) {
      return std::nullopt;
    }
    auto message = (*reader)->get(id);
    return message ? std::optional<store::StoredMessage>(*message) : std::nullopt;
  }

  testing::TempDir dir_;
  testing::IoThread io_;
  std::unique_ptr<store::GroupCommitter> committer_;
  std::unique_ptr<router::Ingest> ingest_;
  std::unique_ptr<http::HttpIngestListener> listener_;
};

TEST_F(HttpIngestIntegrationTest, AcceptedMessageIsStoredByteForByte) {
  TestHttpClient client(listener_->port());
  const std::string body = oru("HTTP0001");
  auto response = client.post_to("/ingest/lis", kEr7, body);
  ASSERT_TRUE(response) << client.error().message();
  EXPECT_EQ(response->status, 200u) << response->body;
  EXPECT_EQ(msa1(response->body), "AA");

  const std::int64_t id = stored_id(response->body);
  ASSERT_GT(id, 0);
  auto message = stored(id);
  ASSERT_TRUE(message);
  EXPECT_EQ(message->message.raw, body);
  EXPECT_EQ(message->message.source, "lis");
  EXPECT_EQ(message->message.control_id, "HTTP0001");
  EXPECT_EQ(message->message.status, store::MessageStatus::received);
  EXPECT_TRUE(message->message.peer.starts_with("127.0.0.1:")) << message->message.peer;
}

TEST_F(HttpIngestIntegrationTest, RejectedMessageIsStoredAndAnswered400) {
  TestHttpClient client(listener_->port());
  const std::string body = "this is not HL7 \x01\xFF";
  auto response = client.post_to("/ingest/lis", "text/plain", body);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400u);
  EXPECT_EQ(msa1(response->body), "AR");
  auto message = stored(stored_id(response->body));
  ASSERT_TRUE(message);
  EXPECT_EQ(message->message.raw, body);
  EXPECT_EQ(message->message.status, store::MessageStatus::rejected);
}

TEST_F(HttpIngestIntegrationTest, SecondPostOfTheSameMessageIsADuplicate) {
  TestHttpClient client(listener_->port());
  const std::string body = oru("HTTP0002");
  auto first = client.post_to("/ingest/lis", kEr7, body);
  auto again = client.post_to("/ingest/lis", kEr7, body);
  ASSERT_TRUE(first && again);
  EXPECT_EQ(first->status, 200u);
  EXPECT_EQ(again->status, 200u);  // the sender retried: accepted, not processed twice
  auto message = stored(stored_id(again->body));
  ASSERT_TRUE(message);
  EXPECT_EQ(message->message.status, store::MessageStatus::duplicate);
  EXPECT_EQ(message->duplicate_of, stored_id(first->body));
}

TEST_F(HttpIngestIntegrationTest, XmlIsStoredAndAnsweredInXml) {
  TestHttpClient client(listener_->port());
  const std::string body =
      "<?xml version=\"1.0\"?>\n<ORU_R01 xmlns=\"urn:hl7-org:v2xml\"><MSH><MSH.1>|</MSH.1>"
      "<MSH.2>^~\\&amp;</MSH.2><MSH.3><HD.1>LIS</HD.1></MSH.3><MSH.9><MSG.1>ORU</MSG.1>"
      "<MSG.2>R01</MSG.2></MSH.9><MSH.10>XML0001</MSH.10><MSH.11><PT.1>P</PT.1></MSH.11>"
      "<MSH.12><VID.1>2.5</VID.1></MSH.12></MSH></ORU_R01>\n";
  auto response = client.post_to("/ingest/lis", "application/xml", body);
  ASSERT_TRUE(response);
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(response->body.c_str())) << response->body;
  const std::string code = doc.document_element().child("MSA").child("MSA.1").text().get();
  // Whether Ingest reads v2.xml yet or not, the status and the ACK must agree.
  EXPECT_EQ(response->status, code == "AA" ? 200u : 400u) << code;
  auto journal = store::SqliteStore::open(dir_.path() / "journal.db");
  ASSERT_TRUE(journal);
  auto all = (*journal)->find(store::MessageQuery{});
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(all->front().message.raw, body);
}

}  // namespace
}  // namespace hisbridge

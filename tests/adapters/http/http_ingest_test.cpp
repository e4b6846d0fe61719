#include "adapters/http/http_ingest_listener.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <pugixml.hpp>
#include <string>

#include "engine/hl7/ack.hpp"
#include "engine/hl7/message.hpp"
#include "tests/adapters/adapter_test_support.hpp"
#include "tests/adapters/http/http_test_client.hpp"

namespace hisbridge::http {
namespace {

using hisbridge::testing::ClientResponse;
using hisbridge::testing::FakeSourceCallbacks;
using hisbridge::testing::TestHttpClient;

constexpr const char* kEr7 = "x-application/hl7-v2+er7";

const std::string kOru =
    "MSH|^~\\&|LIS|LAB|HIS|HOSP|20260305081500||ORU^R01^ORU_R01|MSG0001|P|2.5\r"
    "PID|1||12345^^^HOSP^MR||NGUYEN^VAN A\r"
    "OBR|1|ORD1|ACC1|CBC\r"
    "OBX|1|NM|HGB||13.5|g/dL\r";

const std::string kV2xml =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<ORU_R01 xmlns=\"urn:hl7-org:v2xml\">\n"
    "  <MSH><MSH.1>|</MSH.1><MSH.2>^~\\&amp;</MSH.2><MSH.3><HD.1>LIS</HD.1></MSH.3>"
    "<MSH.4><HD.1>LAB</HD.1></MSH.4><MSH.9><MSG.1>ORU</MSG.1><MSG.2>R01</MSG.2></MSH.9>"
    "<MSH.10>XML0001</MSH.10><MSH.11><PT.1>P</PT.1></MSH.11>"
    "<MSH.12><VID.1>2.5</VID.1></MSH.12></MSH>\n"
    "</ORU_R01>\n";

// The fake's stand-in for reading v2.xml: accepts kV2xml with the ACK its MSH would get.
router::Reply accept_v2xml_too(const router::Envelope& e, std::int64_t id) {
  if (e.raw == kV2xml) {
    auto msh = hl7::Message::parse("MSH|^~\\&|LIS|LAB|||||ORU^R01|XML0001|P|2.5\r");
    return {hl7::build_ack(*msh, hl7::AckCode::accept, {}, {"HB" + std::to_string(id), "1"}), true,
            id};
  }
  return testing::ingest_like(e, id);
}

std::string msa1(const std::string& ack) {
  auto parsed = hl7::Message::parse(ack);
  return parsed ? parsed->get("MSA-1").value() : "";
}

class HttpIngestTest : public ::testing::Test {
 protected:
  void start(HttpIngestOptions options = {}) {
    options.sources = {"lis", "ris"};
    options.host = "127.0.0.1";
    options.port = 0;
    options.retry_after = std::chrono::seconds(7);
    options.paused_retry_after = std::chrono::seconds(3);
    listener_ = std::make_unique<HttpIngestListener>(io_.ioc(), std::move(options), fake_);
    auto started = listener_->start();
    ASSERT_TRUE(started) << started.error().message();
    ASSERT_NE(listener_->port(), 0);
  }

  // Declared in this order so that the fake (and the replies it still holds) goes before the
  // io_context the connections run on.
  testing::IoThread io_;
  FakeSourceCallbacks fake_{accept_v2xml_too};
  std::unique_ptr<HttpIngestListener> listener_;
};

TEST_F(HttpIngestTest, PostEr7AnswersTheAckWith200) {
  start();
  TestHttpClient client(listener_->port());
  auto response = client.post_to("/ingest/lis", kEr7, kOru);
  ASSERT_TRUE(response) << client.error().message();
  EXPECT_EQ(response->status, 200u);
  EXPECT_EQ(response->content_type, kEr7);
  EXPECT_TRUE(response->body.starts_with("MSH|^~\\&|HIS|HOSP|LIS|LAB|")) << response->body;
  EXPECT_NE(response->body.find("\rMSA|AA|MSG0001"), std::string::npos) << response->body;

  const auto received = fake_.received();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].raw, kOru);
  EXPECT_EQ(received[0].source, "lis");
  EXPECT_TRUE(received[0].peer.starts_with("127.0.0.1:")) << received[0].peer;
  EXPECT_GT(received[0].received_at_us, 0);
}

TEST_F(HttpIngestTest, AcceptsEveryEr7MediaTypeAndAnswersInKind) {
  start();
  TestHttpClient client(listener_->port());
  for (const std::string type : {"application/hl7-v2", "text/plain; charset=utf-8",
                                 "X-Application/HL7-V2+ER7", "application/hl7-v2+er7"}) {
    auto response = client.post_to("/ingest/ris", type, kOru);
    ASSERT_TRUE(response) << type;
    EXPECT_EQ(response->status, 200u) << type;
    EXPECT_EQ(msa1(response->body), "AA") << type;
  }
  EXPECT_EQ(client.post_to("/ingest/lis", "text/plain", kOru)->content_type, "text/plain");
  EXPECT_EQ(fake_.received_count(), 5u);
}

TEST_F(HttpIngestTest, PostV2XmlAnswersTheAckAsV2Xml) {
  start();
  TestHttpClient client(listener_->port());
  auto response = client.post_to("/ingest/lis", "application/xml", kV2xml);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200u);
  EXPECT_EQ(response->content_type, "application/xml; charset=utf-8");
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(response->body.c_str())) << response->body;
  const pugi::xml_node ack = doc.document_element();
  EXPECT_STREQ(ack.name(), "ACK");
  EXPECT_STREQ(ack.attribute("xmlns").value(), "urn:hl7-org:v2xml");
  EXPECT_STREQ(ack.child("MSA").child("MSA.1").text().get(), "AA");
  EXPECT_STREQ(ack.child("MSA").child("MSA.2").text().get(), "XML0001");
  EXPECT_STREQ(ack.child("MSH").child("MSH.5").child("HD.1").text().get(), "LIS");
  ASSERT_EQ(fake_.received_count(), 1u);
  EXPECT_EQ(fake_.received()[0].raw, kV2xml);
}

TEST_F(HttpIngestTest, VendorXmlIsRejectedWithAnXmlAnswer) {
  start();
  TestHttpClient client(listener_->port());
  auto response = client.post_to("/ingest/lis", "text/xml", "<labOrder><id>7</id></labOrder>");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400u);
  EXPECT_EQ(response->content_type, "text/xml; charset=utf-8");
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(response->body.c_str())) << response->body;
  EXPECT_STREQ(doc.document_element().child("MSA").child("MSA.1").text().get(), "AR");
  EXPECT_TRUE(doc.document_element().child("ERR"));
}

TEST_F(HttpIngestTest, GarbageIsRejectedWith400AndTheAckAsBody) {
  start();
  TestHttpClient client(listener_->port());
  auto response = client.post_to("/ingest/lis", kEr7, "this is not HL7");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400u);
  EXPECT_EQ(msa1(response->body), "AR");
  EXPECT_NE(response->body.find("\rERR|"), std::string::npos) << response->body;
  EXPECT_EQ(fake_.received_count(), 1u);  // handed to Ingest all the same: it is stored
}

TEST_F(HttpIngestTest, ApplicationErrorAnswers422) {
  fake_.set_policy([](const router::Envelope& e, std::int64_t id) {
    auto parsed = hl7::Message::parse(e.raw);
    hl7::AckIssue issue;
    issue.diagnostic = "unknown test code";
    return router::Reply{hl7::build_ack(*parsed, hl7::AckCode::error, {&issue, 1}, {"HB", "1"}),
                         false, id};
  });
  start();
  TestHttpClient client(listener_->port());
  auto response = client.post_to("/ingest/lis", kEr7, kOru);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 422u);
  EXPECT_EQ(msa1(response->body), "AE");
}

TEST_F(HttpIngestTest, UnknownChannelOrPathAnswers404) {
  start();
  TestHttpClient client(listener_->port());
  for (const std::string target :
       {"/ingest/pharmacy", "/ingest/", "/ingest/lis/x", "/metrics", "/"}) {
    auto response = client.post_to(target, kEr7, kOru);
    ASSERT_TRUE(response) << target;
    EXPECT_EQ(response->status, 404u) << target;
    EXPECT_TRUE(response->keep_alive) << target;
  }
  EXPECT_EQ(fake_.received_count(), 0u);
}

TEST_F(HttpIngestTest, WrongMethodAnswers405) {
  start();
  TestHttpClient client(listener_->port());
  TestHttpClient::Request get(boost::beast::http::verb::get, "/ingest/lis", 11);
  get.set(boost::beast::http::field::host, "127.0.0.1");
  auto response = client.send(get);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 405u);
  EXPECT_EQ(response->allow, "POST");
  EXPECT_EQ(fake_.received_count(), 0u);
}

TEST_F(HttpIngestTest, UnsupportedContentTypeAnswers415) {
  start();
  TestHttpClient client(listener_->port());
  for (const std::string type : {"application/json", "", "application/octet-stream"}) {
    auto response = client.post_to("/ingest/lis", type, kOru);
    ASSERT_TRUE(response) << type;
    EXPECT_EQ(response->status, 415u) << type;
  }
  EXPECT_EQ(fake_.received_count(), 0u);
}

TEST_F(HttpIngestTest, OversizedBodyAnswers413AndCloses) {
  HttpIngestOptions options;
  options.server.max_body_bytes = 1024;
  start(options);
  TestHttpClient client(listener_->port());
  const std::string big = kOru + "NTE|1||" + std::string(64 * 1024, 'x') + "\r";
  auto response = client.post_to("/ingest/lis", kEr7, big);
  ASSERT_TRUE(response) << client.error().message();
  EXPECT_EQ(response->status, 413u);
  EXPECT_FALSE(response->keep_alive);
  EXPECT_TRUE(client.closed_by_server());
  EXPECT_EQ(fake_.received_count(), 0u);

  // A body at the cap is taken.
  TestHttpClient second(listener_->port());
  const std::string fits = kOru + std::string(1024 - kOru.size(), '\r');
  EXPECT_EQ(second.post_to("/ingest/lis", kEr7, fits)->status, 200u);
}

TEST_F(HttpIngestTest, StoreFailureAnswers503WithRetryAfterAndTheAck) {
  fake_.set_policy(testing::store_failure);
  start();
  TestHttpClient client(listener_->port());
  auto response = client.post_to("/ingest/lis", kEr7, kOru);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 503u);
  EXPECT_EQ(response->retry_after, "7");
  EXPECT_EQ(msa1(response->body), "AR");
  EXPECT_NE(response->body.find("not stored"), std::string::npos) << response->body;
}

TEST_F(HttpIngestTest, PausedAnswers503WithoutHandingTheMessageOver) {
  start();
  listener_->set_paused(true);
  TestHttpClient client(listener_->port());
  auto paused = client.post_to("/ingest/lis", kEr7, kOru);
  ASSERT_TRUE(paused);
  EXPECT_EQ(paused->status, 503u);
  EXPECT_EQ(paused->retry_after, "3");
  EXPECT_EQ(fake_.received_count(), 0u);

  listener_->set_paused(false);
  auto resumed = client.post_to("/ingest/lis", kEr7, kOru);
  ASSERT_TRUE(resumed);
  EXPECT_EQ(resumed->status, 200u);
  EXPECT_EQ(fake_.received_count(), 1u);
}

TEST_F(HttpIngestTest, PausedSourceAnswers503WithoutStoringUntilResumed) {
  start();
  fake_.set_paused(true);  // back-pressure: Ingest says the source is paused
  TestHttpClient client(listener_->port());
  auto paused = client.post_to("/ingest/lis", kEr7, kOru);
  ASSERT_TRUE(paused) << client.error().message();
  EXPECT_EQ(paused->status, 503u);
  EXPECT_EQ(paused->retry_after, "3");
  EXPECT_NE(paused->body.find("paused"), std::string::npos) << paused->body;
  EXPECT_EQ(fake_.received_count(), 0u);

  fake_.set_paused(false);
  auto resumed = client.post_to("/ingest/lis", kEr7, kOru);
  ASSERT_TRUE(resumed);
  EXPECT_EQ(resumed->status, 200u);
  EXPECT_EQ(msa1(resumed->body), "AA");
  EXPECT_EQ(fake_.received_count(), 1u);
}

TEST(HttpIngestOptionsTest, PausedRetryAfterDefaultsToFiveSeconds) {
  EXPECT_EQ(HttpIngestOptions{}.paused_retry_after, std::chrono::seconds(5));
}

TEST_F(HttpIngestTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  start();
  TestHttpClient client(listener_->port());
  for (int i = 0; i < 5; ++i) {
    const std::string message = "MSH|^~\\&|LIS|LAB|HIS|HOSP|20260305||ADT^A01|K" +
                                std::to_string(i) + "|P|2.5\rPID|1||" + std::to_string(i) + "\r";
    auto response = client.post_to("/ingest/lis", kEr7, message);
    ASSERT_TRUE(response) << i << ": " << client.error().message();
    EXPECT_EQ(response->status, 200u);
    EXPECT_TRUE(response->keep_alive);
    EXPECT_NE(response->body.find("MSA|AA|K" + std::to_string(i)), std::string::npos);
    EXPECT_EQ(listener_->connections(), 1u);
  }
  EXPECT_EQ(fake_.received_count(), 5u);
}

TEST_F(HttpIngestTest, ConnectionCloseIsHonoured) {
  start();
  TestHttpClient client(listener_->port());
  auto request = TestHttpClient::post("/ingest/lis", kEr7, kOru);
  request.keep_alive(false);
  auto response = client.send(request);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200u);
  EXPECT_FALSE(response->keep_alive);
  EXPECT_TRUE(client.closed_by_server());
}

TEST_F(HttpIngestTest, AnswersExpect100ContinueBeforeReadingTheBody) {
  start();
  TestHttpClient client(listener_->port());
  const std::string header =
      "POST /ingest/lis HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " + std::string(kEr7) +
      "\r\nContent-Length: " + std::to_string(kOru.size()) + "\r\nExpect: 100-continue\r\n\r\n";
  auto interim = client.exchange_raw(header, "\r\n\r\n");
  ASSERT_TRUE(interim) << client.error().message();
  EXPECT_TRUE(interim->starts_with("HTTP/1.1 100 Continue\r\n")) << *interim;
  auto response = client.send_raw(kOru);
  ASSERT_TRUE(response) << client.error().message();
  EXPECT_EQ(response->status, 200u);
  EXPECT_EQ(msa1(response->body), "AA");
}

TEST_F(HttpIngestTest, MalformedRequestAnswers400AndCloses) {
  start();
  TestHttpClient client(listener_->port());
  auto response = client.send_raw("NOT HTTP AT ALL\r\n\r\n");
  ASSERT_TRUE(response) << client.error().message();
  EXPECT_EQ(response->status, 400u);
  EXPECT_TRUE(client.closed_by_server());
}

TEST_F(HttpIngestTest, ConnectionsBeyondTheLimitAnswer503) {
  HttpIngestOptions options;
  options.server.max_connections = 1;
  start(options);
  TestHttpClient first(listener_->port());
  ASSERT_EQ(first.post_to("/ingest/lis", kEr7, kOru)->status, 200u);  // stays open

  TestHttpClient second(listener_->port());
  auto refused = second.post_to("/ingest/lis", kEr7, kOru);
  ASSERT_TRUE(refused) << second.error().message();
  EXPECT_EQ(refused->status, 503u);
  EXPECT_FALSE(refused->retry_after.empty());
  EXPECT_EQ(fake_.received_count(), 1u);

  EXPECT_EQ(first.post_to("/ingest/lis", kEr7, kOru)->status, 200u);
}

TEST_F(HttpIngestTest, IdleConnectionIsClosedAfterTheHeaderTimeout) {
  HttpIngestOptions options;
  options.server.header_timeout = std::chrono::milliseconds(100);
  start(options);
  TestHttpClient client(listener_->port());
  EXPECT_TRUE(client.closed_by_server());
  EXPECT_TRUE(testing::wait_until([&] { return listener_->connections() == 0; }));
}

TEST_F(HttpIngestTest, StopClosesOpenConnections) {
  start();
  TestHttpClient client(listener_->port());
  ASSERT_EQ(client.post_to("/ingest/lis", kEr7, kOru)->status, 200u);
  listener_->stop();
  EXPECT_TRUE(client.closed_by_server());
  EXPECT_TRUE(testing::wait_until([&] { return listener_->connections() == 0; }));
}

TEST_F(HttpIngestTest, StartFailsWhenThePortIsTaken) {
  start();
  HttpIngestOptions options;
  options.sources = {"lis"};
  options.host = "127.0.0.1";
  options.port = listener_->port();
  HttpIngestListener second(io_.ioc(), options, fake_);
  EXPECT_FALSE(second.start());
}

}  // namespace
}  // namespace hisbridge::http

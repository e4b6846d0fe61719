#include "adapters/mllp/mllp_destination.hpp"

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <gtest/gtest.h>

#include "adapters/mllp/framer.hpp"
#include "engine/hl7/ack.hpp"
#include "engine/hl7/message.hpp"
#include "tests/adapters/mllp/test_mllp_server.hpp"

namespace hisbridge::mllp {
namespace {

using hisbridge::testing::make_ack;
using hisbridge::testing::TestMllpServer;
using router::Delivery;
using namespace std::chrono_literals;

// A result from a Vietnamese laboratory, in UTF-8 as received.
std::string message(const std::string& control_id) {
  return "MSH|^~\\&|LIS|BV_CHO_RAY|HIS|HOSP|20260305081500+0700||ORU^R01^ORU_R01|" + control_id +
         "|P|2.5|||||VNM|UNICODE UTF-8\r"
         "PID|1||BN0001^^^HOSP^MR||Nguyễn^Thị Hoa||19800101|F|||12 Lê Lợi^^Hồ Chí Minh\r"
         "OBR|1|O1||GLU^Định lượng Glucose [Máu]\r"
         "OBX|1|NM|GLU^Glucose||5.0|mmol/L|3.9-6.4|N|||F\r";
}

// The ACK a conforming peer builds for `received`, framed.
std::string framed_ack(const std::string& received, hl7::AckCode code,
                       const std::string& diagnostic = {}) {
  const auto parsed = hl7::Message::parse(received);
  std::vector<hl7::AckIssue> issues;
  if (!diagnostic.empty()) {
    issues.push_back(hl7::AckIssue{207, 'E', {}, 0, 0, diagnostic});
  }
  return encode_frame(
      hl7::build_ack(*parsed, code, issues, {"PEERACK1", "20260305081501+0700"}));
}

// An MLLP peer on a loopback port that answers each message as the test currently says.
class Peer {
 public:
  using Answer = TestMllpServer::Answer;
  using Policy = std::function<Answer(const std::string& received)>;

  explicit Peer(Policy policy) : policy_(std::move(policy)) {}

  void answer_with(Policy policy) {
    const std::lock_guard lock(mutex_);
    policy_ = std::move(policy);
  }
  std::uint16_t port() const { return server_.port(); }
  TestMllpServer& server() { return server_; }

 private:
  Answer answer(const std::string& received) {
    const std::lock_guard lock(mutex_);
    return policy_(received);
  }

  std::mutex mutex_;
  Policy policy_;
  TestMllpServer server_{[this](const std::string& received) { return answer(received); }};
};

Peer::Policy acks(hl7::AckCode code, std::string diagnostic = {}) {
  return [code, diagnostic](const std::string& received) {
    return Peer::Answer{framed_ack(received, code, diagnostic)};
  };
}

class MllpDestinationTest : public ::testing::Test {
 protected:
  MllpDestination destination_for(std::uint16_t port,
                                  std::chrono::milliseconds timeout = 10s) const {
    MllpDestinationOptions options;
    options.host = "127.0.0.1";
    options.port = port;
    options.timeout = timeout;
    return {"his-forward", options};
  }

  Delivery deliver(MllpDestination& destination, std::int64_t id, const std::string& raw,
                   const std::string& control_id) {
    store::StoredMessage stored;
    stored.id = id;
    stored.message.raw = raw;
    stored.message.control_id = control_id;
    return destination.deliver({stored, nullptr, output_});
  }
  Delivery deliver(MllpDestination& destination, std::int64_t id) {
    const std::string control_id = "LIS" + std::to_string(id);
    return deliver(destination, id, message(control_id), control_id);
  }

  mapping::MappingOutput output_;
};

TEST_F(MllpDestinationTest, AnAcceptIsDeliveredAndThePeerGotTheBytesExactly) {
  Peer peer(acks(hl7::AckCode::accept));
  auto destination = destination_for(peer.port());
  const Delivery d = deliver(destination, 1);
  EXPECT_EQ(d.outcome, Delivery::Outcome::delivered) << d.reason;
  // Vietnamese UTF-8, CR segment ends: byte for byte as received.
  EXPECT_EQ(peer.server().received(), std::vector<std::string>{message("LIS1")});
}

TEST_F(MllpDestinationTest, OneConnectionIsKeptForTheNextMessages) {
  Peer peer(acks(hl7::AckCode::accept));
  auto destination = destination_for(peer.port());
  for (std::int64_t id = 1; id <= 3; ++id) {
    const Delivery d = deliver(destination, id);
    ASSERT_EQ(d.outcome, Delivery::Outcome::delivered) << d.reason;
  }
  EXPECT_EQ(peer.server().connections(), 1u);
  EXPECT_EQ(peer.server().received().size(), 3u);
}

TEST_F(MllpDestinationTest, AnApplicationErrorIsRetriedWithTheAckText) {
  Peer peer(acks(hl7::AckCode::error, "HIS database busy"));
  auto destination = destination_for(peer.port());
  const Delivery d = deliver(destination, 1);
  EXPECT_EQ(d.outcome, Delivery::Outcome::retry);
  EXPECT_NE(d.reason.find("AE"), std::string::npos) << d.reason;
  EXPECT_NE(d.reason.find("HIS database busy"), std::string::npos) << d.reason;
}

TEST_F(MllpDestinationTest, ARejectIsADeadLetterWithTheAckText) {
  Peer peer(acks(hl7::AckCode::reject, "unknown patient BN0001"));
  auto destination = destination_for(peer.port());
  const Delivery d = deliver(destination, 1);
  EXPECT_EQ(d.outcome, Delivery::Outcome::failed);
  EXPECT_NE(d.reason.find("AR"), std::string::npos) << d.reason;
  EXPECT_NE(d.reason.find("unknown patient BN0001"), std::string::npos) << d.reason;
  // A rejecting peer still speaks HL7: the connection stays for the next message.
  peer.answer_with(acks(hl7::AckCode::accept));
  EXPECT_EQ(deliver(destination, 2).outcome, Delivery::Outcome::delivered);
  EXPECT_EQ(peer.server().connections(), 1u);
}

TEST_F(MllpDestinationTest, EnhancedModeCodesAreJudgedAsTheOriginalOnes) {
  const std::vector<std::pair<std::string, Delivery::Outcome>> cases = {
      {"CA", Delivery::Outcome::delivered},
      {"CE", Delivery::Outcome::retry},
      {"CR", Delivery::Outcome::failed}};
  for (const auto& [code, outcome] : cases) {
    Peer peer([code = code](const std::string&) {
      return Peer::Answer{encode_frame(make_ack(code, "LIS1"))};
    });
    auto destination = destination_for(peer.port());
    EXPECT_EQ(deliver(destination, 1).outcome, outcome) << code;
  }
}

TEST_F(MllpDestinationTest, ALateAckForAnotherMessageIsDroppedAndTheRightOneCounts) {
  // The reject of an earlier send first: were it taken as the answer, this would be a dead
  // letter.
  Peer peer([](const std::string& received) {
    return Peer::Answer{encode_frame(make_ack("AR", "LIS0")) +
                        framed_ack(received, hl7::AckCode::accept)};
  });
  auto destination = destination_for(peer.port());
  const Delivery d = deliver(destination, 1);
  EXPECT_EQ(d.outcome, Delivery::Outcome::delivered) << d.reason;
}

TEST_F(MllpDestinationTest, OnlyLateAcksAreRetriedAfterTheTimeout) {
  Peer peer([](const std::string&) {
    return Peer::Answer{encode_frame(make_ack("AA", "LIS0"))};
  });
  auto destination = destination_for(peer.port(), 200ms);
  const Delivery d = deliver(destination, 1);
  EXPECT_EQ(d.outcome, Delivery::Outcome::retry);
  EXPECT_NE(d.reason.find("no ACK within the timeout"), std::string::npos) << d.reason;
}

TEST_F(MllpDestinationTest, SilenceIsRetriedAfterTheTimeoutAndTheNextAttemptReconnects) {
  Peer peer([](const std::string&) { return Peer::Answer{}; });
  auto destination = destination_for(peer.port(), 200ms);
  const Delivery d = deliver(destination, 1);
  EXPECT_EQ(d.outcome, Delivery::Outcome::retry);
  EXPECT_NE(d.reason.find("no ACK within the timeout (200 ms)"), std::string::npos) << d.reason;
  EXPECT_NE(d.reason.find("127.0.0.1:" + std::to_string(peer.port())), std::string::npos)
      << d.reason;

  // The same message again, now answered, on a new connection: an ACK still owed on the old
  // one can never be taken for this one.
  peer.answer_with(acks(hl7::AckCode::accept));
  const Delivery again = deliver(destination, 1);
  EXPECT_EQ(again.outcome, Delivery::Outcome::delivered) << again.reason;
  EXPECT_EQ(peer.server().connections(), 2u);
  EXPECT_EQ(peer.server().received(), (std::vector<std::string>{message("LIS1"), message("LIS1")}));
}

TEST_F(MllpDestinationTest, ARefusedConnectionIsRetried) {
  // A bound socket that does not listen: connecting is refused, and no other test can take
  // the port meanwhile.
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor bound(ioc);
  bound.open(boost::asio::ip::tcp::v4());
  bound.bind({boost::asio::ip::address_v4::loopback(), 0});
  auto destination = destination_for(bound.local_endpoint().port());
  const Delivery d = deliver(destination, 1);
  EXPECT_EQ(d.outcome, Delivery::Outcome::retry);
  EXPECT_NE(d.reason.find("connection refused"), std::string::npos) << d.reason;
}

TEST_F(MllpDestinationTest, APeerThatClosesBeforeTheAckIsRetried) {
  Peer peer([](const std::string&) { return Peer::Answer{"", true}; });
  auto destination = destination_for(peer.port());
  const Delivery d = deliver(destination, 1);
  EXPECT_EQ(d.outcome, Delivery::Outcome::retry);
  EXPECT_NE(d.reason.find("closed before"), std::string::npos) << d.reason;
}

TEST_F(MllpDestinationTest, APeerThatClosesAfterEachAckIsReconnected) {
  Peer peer([](const std::string& received) {
    return Peer::Answer{framed_ack(received, hl7::AckCode::accept), true};
  });
  auto destination = destination_for(peer.port());
  for (std::int64_t id = 1; id <= 3; ++id) {
    const Delivery d = deliver(destination, id);
    ASSERT_EQ(d.outcome, Delivery::Outcome::delivered) << d.reason;
    // The peer's close reaches this side before the next message is sent.
    ASSERT_TRUE(peer.server().wait_for_closes(static_cast<std::size_t>(id)));
  }
  EXPECT_EQ(peer.server().connections(), 3u);
  EXPECT_EQ(peer.server().received().size(), 3u);
}

TEST_F(MllpDestinationTest, AnAnswerThatIsNotAnAckIsRetriedOnANewConnection) {
  Peer peer([](const std::string&) { return Peer::Answer{encode_frame("HTTP/1.1 400 Bad")}; });
  auto destination = destination_for(peer.port());
  const Delivery d = deliver(destination, 1);
  EXPECT_EQ(d.outcome, Delivery::Outcome::retry);
  EXPECT_NE(d.reason.find("not an HL7 ACK"), std::string::npos) << d.reason;

  peer.answer_with(acks(hl7::AckCode::accept));
  EXPECT_EQ(deliver(destination, 2).outcome, Delivery::Outcome::delivered);
  EXPECT_EQ(peer.server().connections(), 2u);
}

TEST_F(MllpDestinationTest, AMessageHoldingABlockByteIsADeadLetterAndNothingIsSent) {
  Peer peer(acks(hl7::AckCode::accept));
  auto destination = destination_for(peer.port());
  const Delivery d = deliver(destination, 1, message("LIS1") + "NTE|1||a\x1c" "b\r", "LIS1");
  EXPECT_EQ(d.outcome, Delivery::Outcome::failed);
  EXPECT_NE(d.reason.find("block byte"), std::string::npos) << d.reason;
  EXPECT_EQ(peer.server().connections(), 0u);
}

}  // namespace
}  // namespace hisbridge::mllp

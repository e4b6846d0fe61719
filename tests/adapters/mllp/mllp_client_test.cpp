#include "adapters/mllp/mllp_client.hpp"

#include <atomic>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <gtest/gtest.h>

#include "tests/adapters/mllp/test_mllp_server.hpp"

namespace hisbridge::mllp {
namespace {

using hisbridge::testing::make_ack;
using hisbridge::testing::TestMllpServer;
using namespace std::chrono_literals;

std::string message(std::string_view control_id) {
  std::string m = "MSH|^~\\&|LIS|LAB|HIS|HOSP|20260305081500||ORU^R01^ORU_R01|";
  m += control_id;
  m += "|P|2.5\rPID|1||12345^^^HOSP^MR||NGUYEN^VAN A\r";
  return m;
}

TEST(MllpClientTest, SendsFramedMessagesAndReturnsEachAck) {
  std::atomic<int> count = 0;
  TestMllpServer server([&](const std::string&) {
    return TestMllpServer::Answer{encode_frame(make_ack(++count == 1 ? "AA" : "AR", "X"))};
  });
  MllpClient client("127.0.0.1", server.port());

  auto first = client.send(message("1"));
  ASSERT_TRUE(first.has_value()) << first.error().message();
  EXPECT_EQ(*first, make_ack("AA", "X"));
  auto second = client.send(message("2"));
  ASSERT_TRUE(second.has_value()) << second.error().message();
  EXPECT_EQ(*second, make_ack("AR", "X"));

  EXPECT_EQ(server.received(), (std::vector<std::string>{message("1"), message("2")}));
  EXPECT_EQ(server.connections(), 1u);  // one connection for both
  EXPECT_TRUE(client.connected());
}

TEST(MllpClientTest, ResolvesHostNames) {
  TestMllpServer server(
      [](const std::string&) { return TestMllpServer::Answer{encode_frame("ACK")}; });
  auto ack = send_message("localhost", server.port(), message("1"));
  // "localhost" may resolve to ::1 first; the client falls back to 127.0.0.1.
  ASSERT_TRUE(ack.has_value()) << ack.error().message();
  EXPECT_EQ(*ack, "ACK");
}

TEST(MllpClientTest, ReconnectsWhenTheServerClosesAfterEachAck) {
  TestMllpServer server([](const std::string&) {
    return TestMllpServer::Answer{encode_frame(make_ack("AA", "1")), true};
  });
  MllpClient client("127.0.0.1", server.port());
  ASSERT_TRUE(client.send(message("1")).has_value());
  ASSERT_TRUE(server.wait_for_closes(1));
  auto second = client.send(message("2"));
  ASSERT_TRUE(second.has_value()) << second.error().message();
  EXPECT_EQ(server.connections(), 2u);
}

TEST(MllpClientTest, IgnoresBytesAroundTheAckFrame) {
  TestMllpServer server([](const std::string&) {
    return TestMllpServer::Answer{"\r\n" + encode_frame("ACK") + "\n"};
  });
  auto ack = send_message("127.0.0.1", server.port(), message("1"));
  ASSERT_TRUE(ack.has_value()) << ack.error().message();
  EXPECT_EQ(*ack, "ACK");
}

TEST(MllpClientTest, SkipsFramesTheAnswerFilterRefuses) {
  TestMllpServer server([](const std::string&) {
    return TestMllpServer::Answer{encode_frame(make_ack("AR", "OLD")) +
                                  encode_frame(make_ack("AA", "1"))};
  });
  MllpClient client("127.0.0.1", server.port());
  std::vector<std::string> seen;
  auto ack = client.send(message("1"), [&](std::string_view frame) {
    seen.emplace_back(frame);
    return frame == make_ack("AA", "1");
  });
  ASSERT_TRUE(ack.has_value()) << ack.error().message();
  EXPECT_EQ(*ack, make_ack("AA", "1"));
  EXPECT_EQ(seen, (std::vector<std::string>{make_ack("AR", "OLD"), make_ack("AA", "1")}));
  EXPECT_TRUE(client.connected());
  // The filter is for one send only: the next plain send takes the first frame again.
  auto next = client.send(message("2"));
  ASSERT_TRUE(next.has_value()) << next.error().message();
  EXPECT_EQ(*next, make_ack("AR", "OLD"));
}

TEST(MllpClientTest, OnlyRefusedFramesEndInATimeout) {
  TestMllpServer server([](const std::string&) {
    return TestMllpServer::Answer{encode_frame(make_ack("AA", "OLD"))};
  });
  MllpClient client("127.0.0.1", server.port(), ClientOptions{200ms});
  auto ack = client.send(message("1"), [](std::string_view) { return false; });
  ASSERT_TRUE(ack.has_error());
  EXPECT_EQ(ack.error(), make_error_code(Error::timeout));
  EXPECT_FALSE(client.connected());
}

TEST(MllpClientTest, TimesOutWhenTheServerNeverAnswers) {
  TestMllpServer server([](const std::string&) { return TestMllpServer::Answer{}; });
  MllpClient client("127.0.0.1", server.port(), ClientOptions{200ms});
  const auto started = std::chrono::steady_clock::now();
  auto ack = client.send(message("1"));
  ASSERT_TRUE(ack.has_error());
  EXPECT_EQ(ack.error(), make_error_code(Error::timeout));
  EXPECT_GE(std::chrono::steady_clock::now() - started, 200ms);
  EXPECT_FALSE(client.connected());  // a late ACK must not answer the next message
}

TEST(MllpClientTest, ReportsARefusedConnection) {
  // A bound socket that does not listen: connecting to its port is refused, and no other
  // test can take the port meanwhile.
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor bound(ioc);
  bound.open(boost::asio::ip::tcp::v4());
  bound.bind({boost::asio::ip::address_v4::loopback(), 0});
  auto ack = send_message("127.0.0.1", bound.local_endpoint().port(), message("1"));
  ASSERT_TRUE(ack.has_error());
  EXPECT_EQ(ack.error(), make_error_code(Error::connection_refused));
}

TEST(MllpClientTest, ReportsAConnectionClosedBeforeTheAck) {
  TestMllpServer server([](const std::string&) {
    return TestMllpServer::Answer{"\x0bMSH|^~\\&|half an ACK", true};
  });
  auto ack = send_message("127.0.0.1", server.port(), message("1"));
  ASSERT_TRUE(ack.has_error());
  EXPECT_EQ(ack.error(), make_error_code(Error::closed_before_ack));
}

TEST(MllpClientTest, ReportsAnAckLargerThanTheLimit) {
  TestMllpServer server([](const std::string&) {
    return TestMllpServer::Answer{encode_frame(std::string(100, 'A'))};
  });
  ClientOptions options;
  options.max_frame_bytes = 64;
  MllpClient client("127.0.0.1", server.port(), options);
  auto ack = client.send(message("1"));
  ASSERT_TRUE(ack.has_error());
  EXPECT_EQ(ack.error(), make_error_code(Error::frame_too_large));
  EXPECT_FALSE(client.connected());
}

TEST(MllpClientTest, RefusesToSendBlockBytes) {
  auto ack = send_message("127.0.0.1", 9, "MSH|^~\\&|\x1c\r");
  ASSERT_TRUE(ack.has_error());
  EXPECT_EQ(ack.error(), make_error_code(Error::forbidden_byte));
}

}  // namespace
}  // namespace hisbridge::mllp

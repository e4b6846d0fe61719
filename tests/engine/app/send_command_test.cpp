#include "engine/app/send_command.hpp"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>


#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "adapters/mllp/framer.hpp"
#include "tests/adapters/mllp/test_mllp_server.hpp"
#include "tests/support/temp_dir.hpp"

namespace hisbridge::app {
namespace {

using hisbridge::testing::make_ack;
using hisbridge::testing::TestMllpServer;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

std::string message(std::string_view control_id, std::string_view line_end = "\r") {
  std::string m = "MSH|^~\\&|LIS|LAB|HIS|HOSP|20260305081500||ORU^R01^ORU_R01|";
  m += control_id;
  m += "|P|2.5";
  m += line_end;
  m += "PID|1||12345^^^HOSP^MR||NGUYEN^VAN A";
  m += line_end;
  m += "OBX|1|NM|718-7^Hemoglobin^LN||13.5|g/dL";
  m += line_end;
  return m;
}

// Answers every message with `code` for its MSH-10.
TestMllpServer::Handler answer_with(const std::string& code) {
  return [code](const std::string& received) {
    const std::string control_id = received.substr(received.find("R01|") + 4, 1);
    return TestMllpServer::Answer{mllp::encode_frame(make_ack(code, control_id))};
  };
}

class SendCommandTest : public ::testing::Test {
 protected:
  std::string write(const std::string& name, const std::string& bytes) {
    const auto path = dir_ / name;
    std::ofstream(path, std::ios::binary) << bytes;
    return path.string();
  }

  int run(const SendOptions& options) {
    out_.str("");
    err_.str("");
    return run_send(options, out_, err_);
  }

  SendOptions options_for(std::uint16_t port, std::vector<std::string> files) {
    SendOptions options;
    options.port = port;
    options.files = std::move(files);
    options.timeout = 5s;
    return options;
  }

  testing_support::TempDir temp_{"hisbridge-send-test"};
  const std::filesystem::path& dir_ = temp_.path();
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(SendCommandTest, SendsEveryMessageAndPrintsEachAck) {
  TestMllpServer server(answer_with("AA"));
  // Two messages with LF line ends in one file, a third in another.
  const std::string first = write("two.hl7", message("1", "\n") + "\n" + message("2", "\n"));
  const std::string second = write("one.hl7", message("3", "\r\n"));

  EXPECT_EQ(run(options_for(server.port(), {first, second})), 0) << err_.str();

  // Segments go out CR-terminated, whatever the file used.
  EXPECT_EQ(server.received(),
            (std::vector<std::string>{message("1"), message("2"), message("3")}));
  const std::string out = out_.str();
  EXPECT_THAT(out, HasSubstr("|ACK^R01^ACK|A1|P|2.5\nMSA|AA|1\n"));  // one segment per line
  EXPECT_THAT(out, HasSubstr(first + " message 1 (control id 1): AA in "));
  EXPECT_THAT(out, HasSubstr(first + " message 2 (control id 2): AA in "));
  EXPECT_THAT(out, HasSubstr(second + " (control id 3): AA in "));
  EXPECT_THAT(out, HasSubstr(":" + std::to_string(server.port()) + ": 3 message(s): 3 accepted, " +
                             "0 negative ACK(s), 0 failed, 0 not sent"));
  EXPECT_EQ(err_.str(), "");
}

TEST_F(SendCommandTest, ExitsOneOnANegativeAckAndGoesOn) {
  std::atomic<int> count = 0;
  TestMllpServer server([&](const std::string&) {
    const int number = ++count;
    return TestMllpServer::Answer{mllp::encode_frame(
        make_ack(number == 1 ? "AA" : "AR", std::to_string(number)) + "ERR|||207\r")};
  });
  const std::string file = write("msgs.hl7", message("1") + message("2") + message("3"));

  EXPECT_EQ(run(options_for(server.port(), {file})), 1);

  EXPECT_EQ(server.received().size(), 3u);
  EXPECT_THAT(out_.str(), HasSubstr("MSA|AR|2\nERR|||207\n"));
  EXPECT_THAT(out_.str(), HasSubstr("(control id 2): AR in "));
  EXPECT_THAT(out_.str(), HasSubstr("1 accepted, 2 negative ACK(s), 0 failed, 0 not sent"));
  EXPECT_EQ(err_.str(), "");
}

TEST_F(SendCommandTest, EnhancedModeCommitAcceptIsPositive) {
  TestMllpServer server(answer_with("CA"));
  EXPECT_EQ(run(options_for(server.port(), {write("m.hl7", message("1"))})), 0) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("(control id 1): CA in "));
}

TEST_F(SendCommandTest, WarnsWhenTheAckAnswersAnotherControlId) {
  TestMllpServer server([](const std::string&) {
    return TestMllpServer::Answer{mllp::encode_frame(make_ack("AA", "OTHER"))};
  });
  EXPECT_EQ(run(options_for(server.port(), {write("m.hl7", message("1"))})), 0);
  EXPECT_THAT(err_.str(), HasSubstr("the ACK answers control id 'OTHER', not '1'"));
}

TEST_F(SendCommandTest, ExitsOneWhenTheReplyIsNotAnAck) {
  TestMllpServer server(
      [](const std::string&) { return TestMllpServer::Answer{mllp::encode_frame("hello")}; });
  EXPECT_EQ(run(options_for(server.port(), {write("m.hl7", message("1"))})), 1);
  EXPECT_THAT(err_.str(), HasSubstr("the reply is not an HL7 message"));
}

TEST_F(SendCommandTest, ExitsOneWhenTheServerNeverAnswers) {
  TestMllpServer server([](const std::string&) { return TestMllpServer::Answer{}; });
  const std::string file = write("msgs.hl7", message("1") + message("2"));
  SendOptions options = options_for(server.port(), {file});
  options.timeout = 200ms;

  EXPECT_EQ(run(options), 1);

  EXPECT_THAT(err_.str(), HasSubstr(file + " message 1: 127.0.0.1:" +
                                    std::to_string(server.port()) + ": no ACK within the timeout"));
  // The run stops at the failure: message 2 is never sent.
  EXPECT_EQ(server.received().size(), 1u);
  EXPECT_THAT(out_.str(), HasSubstr("0 accepted, 0 negative ACK(s), 1 failed, 1 not sent"));
}

TEST_F(SendCommandTest, ExitsOneWhenTheConnectionIsRefused) {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor bound(ioc);  // bound, not listening: connecting is refused
  bound.open(boost::asio::ip::tcp::v4());
  bound.bind({boost::asio::ip::address_v4::loopback(), 0});
  const std::string file = write("m.hl7", message("1"));

  EXPECT_EQ(run(options_for(bound.local_endpoint().port(), {file})), 1);
  EXPECT_THAT(err_.str(), HasSubstr(file + ": 127.0.0.1:" +
                                    std::to_string(bound.local_endpoint().port()) +
                                    ": connection refused"));
}

TEST_F(SendCommandTest, ExitsTwoOnBadUsage) {
  EXPECT_EQ(run(options_for(0, {write("m.hl7", message("1"))})), 2);
  EXPECT_THAT(err_.str(), HasSubstr("--port is required"));

  EXPECT_EQ(run(options_for(2575, {})), 2);
  EXPECT_THAT(err_.str(), HasSubstr("no FILE given"));

  SendOptions options = options_for(2575, {write("m.hl7", message("1"))});
  options.charset = "NO-SUCH-CHARSET";
  EXPECT_EQ(run(options), 2);
  EXPECT_THAT(err_.str(), HasSubstr("--charset: 'NO-SUCH-CHARSET'"));
}

TEST_F(SendCommandTest, ExitsTwoOnAMissingFileAndSendsNothing) {
  TestMllpServer server(answer_with("AA"));
  const std::string good = write("good.hl7", message("1"));
  const std::string missing = (dir_ / "missing.hl7").string();

  EXPECT_EQ(run(options_for(server.port(), {good, missing})), 2);

  EXPECT_THAT(err_.str(), HasSubstr(missing + ": cannot open"));
  EXPECT_THAT(err_.str(), HasSubstr("nothing sent"));
  EXPECT_EQ(server.connections(), 0u);
}

TEST_F(SendCommandTest, ExitsTwoOnAFileWithoutMessages) {
  EXPECT_EQ(run(options_for(2575, {write("empty.hl7", "just some text\n")})), 2);
  EXPECT_THAT(err_.str(), HasSubstr("empty.hl7: no HL7 message found"));
}

TEST_F(SendCommandTest, NamesTheFileAndLineOfAMessageThatDoesNotParse) {
  TestMllpServer server(answer_with("AA"));
  // The second message's second segment has an invalid id; it sits on line 6 of the file.
  const std::string bad = "MSH|^~\\&|LIS|LAB|HIS|HOSP|20260305||ORU^R01|2|P|2.5\nP!D|1\n";
  const std::string file = write("bad.hl7", message("1", "\n") + "\n" + bad);

  EXPECT_EQ(run(options_for(server.port(), {file})), 2);

  EXPECT_THAT(err_.str(),
              HasSubstr(file + ":6: message 2: segment 2 (byte 52): invalid segment id"));
  EXPECT_EQ(server.connections(), 0u);
  EXPECT_THAT(out_.str(), Not(HasSubstr("accepted")));
}

}  // namespace
}  // namespace hisbridge::app

// The inbound MLLP chain as the engine wires it: MllpListener → Ingest → GroupCommitter →
// SqliteStore, over loopback. Every ACK must come back for a message that is already in the
// journal, byte for byte as it was sent.
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "adapters/mllp/framer.hpp"
#include "adapters/mllp/mllp_client.hpp"
#include "adapters/mllp/mllp_listener.hpp"
#include "engine/hl7/message.hpp"
#include "engine/router/ingest.hpp"
#include "engine/store/group_committer.hpp"
#include "engine/store/sqlite_store.hpp"
#include "tests/adapters/mllp/raw_mllp_client.hpp"
#include "tests/support/temp_dir.hpp"

namespace hisbridge {
namespace {

namespace fs = std::filesystem;

std::string oru(std::string_view control_id, std::string_view extra_msh = "") {
  std::string m = "MSH|^~\\&|LIS|LAB|HIS|HOSP|20260305081500||ORU^R01^ORU_R01|";
  m += control_id;
  m += "|P|2.5";
  m += extra_msh;
  m += "\rPID|1||12345^^^HOSP^MR||NGUY\xE1\xBB\x84N^V\xC4\x82N A\r"
       "OBR|1|ORD1|SPC1|GLU^Glucose\rOBX|1|NM|GLU^Glucose||5.4|mmol/L|3.9-6.1|N|||F\r";
  return m;
}

struct Ack {
  std::string code;        // MSA-1
  std::string acked_id;    // MSA-2
  std::int64_t stored_id;  // from the ACK's own MSH-10, "HB<id>"
  bool has_err;
};

Ack read_ack(std::string_view er7) {
  auto message = hl7::Message::parse(er7);
  EXPECT_TRUE(message.has_value()) << er7;
  if (!message) {
    return {};
  }
  const std::string own_id = message->get("MSH-10").value();
  EXPECT_TRUE(own_id.starts_with("HB")) << own_id;
  return Ack{message->get("MSA-1").value(), message->get("MSA-2").value(),
             own_id.starts_with("HB") ? std::stoll(own_id.substr(2)) : 0,
             message->find("ERR").has_value()};
}

using testing_support::TempDir;

// The chain, with two threads running the listener; torn down in the order the engine uses:
// stop listening, drain the committer (every owed reply runs), then stop the threads.
class MllpIngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = store::SqliteStore::open(dir_.path() / "journal.db");
    ASSERT_TRUE(store.has_value()) << store.error().message();
    committer_ = std::make_unique<store::GroupCommitter>(std::move(*store));
    ingest_ = std::make_unique<router::Ingest>(*committer_, router::Ingest::CharsetOverrides{});
    mllp::MllpListenerOptions options;
    options.name = "lis";
    options.host = "127.0.0.1";
    listener_ = std::make_unique<mllp::MllpListener>(ioc_, options, *ingest_);
    auto started = listener_->start();
    ASSERT_TRUE(started.has_value()) << started.error().message();
    for (int i = 0; i < 2; ++i) {
      threads_.emplace_back([this] { ioc_.run(); });
    }
  }
  void TearDown() override {
    if (listener_) {
      listener_->stop();
    }
    if (committer_) {
      committer_->stop();
    }
    guard_.reset();
    for (auto& t : threads_) {
      t.join();
    }
  }

  std::uint16_t port() const { return listener_->port(); }

  // What the journal holds under `id`, read through a second connection as the admin API does.
  store::StoredMessage stored(std::int64_t id) {
    if (!reader_) {
      auto reader = store::SqliteStore::open(dir_.path() / "journal.db");
      EXPECT_TRUE(reader.has_value());
      if (!reader) {
        return {};
      }
      reader_ = std::move(*reader);
    }
    auto message = reader_->get(id);
    EXPECT_TRUE(message.has_value()) << "id " << id << ": " << message.error().message();
    return message ? *message : store::StoredMessage{};
  }

  TempDir dir_;
  std::unique_ptr<store::GroupCommitter> committer_;
  std::unique_ptr<router::Ingest> ingest_;
  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_{
      ioc_.get_executor()};
  std::vector<std::thread> threads_;
  std::unique_ptr<mllp::MllpListener> listener_;
  std::unique_ptr<store::SqliteStore> reader_;
};

TEST_F(MllpIngestTest, EveryAcknowledgedMessageIsInTheStoreExactlyAsSent) {
  mllp::MllpClient client("127.0.0.1", port());
  std::vector<std::string> sent;
  for (int i = 0; i < 20; ++i) {
    sent.push_back(oru("C" + std::to_string(i)));
  }
  sent.push_back(oru("ENH1", "|||AL|NE"));       // enhanced mode: accept ACK is CA
  sent.push_back("\xEF\xBB\xBF" + oru("BOM1"));  // a BOM is kept in the raw bytes

  for (const std::string& message : sent) {
    auto answer = client.send(message);
    ASSERT_TRUE(answer.has_value()) << answer.error().message();
    const Ack ack = read_ack(*answer);
    const std::string control_id = hl7::Message::parse(message)->header().control_id;
    EXPECT_EQ(ack.code, control_id == "ENH1" ? "CA" : "AA");
    EXPECT_EQ(ack.acked_id, control_id);
    EXPECT_FALSE(ack.has_err);

    const store::StoredMessage row = stored(ack.stored_id);
    EXPECT_EQ(row.message.raw, message);
    EXPECT_EQ(row.message.status, store::MessageStatus::received);
    EXPECT_EQ(row.message.source, "lis");
    EXPECT_EQ(row.message.control_id, control_id);
    EXPECT_TRUE(row.message.peer.starts_with("127.0.0.1:")) << row.message.peer;
  }
  EXPECT_EQ(listener_->counters().messages_answered.load(), sent.size());
  EXPECT_EQ(ingest_->counters().accepted.load(), sent.size());
}

TEST_F(MllpIngestTest, AckInTheSendersOwnDelimitersCarriesTheStoredId) {
  // '^' separates fields and '~' components: the ACK is written the same way, and its MSH-10
  // names the stored row.
  const std::string message =
      "MSH^~|\\&^SENDER^FAC^RECV^FAC^20260101120000^^ADT~A04~ADT_A01^CTRL42^P^2.3\r"
      "EVN^A04^20260101120000\rPID^1^^ID1~~X\\S\\Y|ID2~~~~MR^^Ph\xE1\xBA\xA1m~V\xC4\x83n\r";
  auto answer = mllp::send_message("127.0.0.1", port(), message);
  ASSERT_TRUE(answer.has_value()) << answer.error().message();
  ASSERT_TRUE(answer->starts_with("MSH^~|\\&^RECV^FAC^SENDER^FAC^")) << *answer;
  auto ack = hl7::Message::parse(*answer);
  ASSERT_TRUE(ack.has_value()) << *answer;
  EXPECT_EQ(ack->get("MSA-1").value(), "AA");
  EXPECT_EQ(ack->get("MSA-2").value(), "CTRL42");
  const std::string own_id = ack->get("MSH-10").value();
  ASSERT_TRUE(own_id.starts_with("HB")) << *answer;
  EXPECT_EQ(stored(std::stoll(own_id.substr(2))).message.raw, message);
}

TEST_F(MllpIngestTest, NonHl7PayloadIsAnsweredArAndStoredAsRejected) {
  const std::string payload = "hello, this is not HL7\r";
  auto answer = mllp::send_message("127.0.0.1", port(), payload);
  ASSERT_TRUE(answer.has_value()) << answer.error().message();
  const Ack ack = read_ack(*answer);
  EXPECT_EQ(ack.code, "AR");
  EXPECT_TRUE(ack.has_err);
  ASSERT_NE(ack.stored_id, 0);

  const store::StoredMessage row = stored(ack.stored_id);
  EXPECT_EQ(row.message.raw, payload);
  EXPECT_EQ(row.message.status, store::MessageStatus::rejected);
  EXPECT_FALSE(row.message.error.empty());
  EXPECT_EQ(listener_->counters().negative_acks.load(), 1u);
}

TEST_F(MllpIngestTest, RepeatedMessageIsAcceptedAndStoredAsDuplicate) {
  mllp::MllpClient client("127.0.0.1", port());
  const std::string message = oru("DUP1");
  auto first = client.send(message);
  auto second = client.send(message);
  ASSERT_TRUE(first.has_value() && second.has_value());
  const Ack a = read_ack(*first);
  const Ack b = read_ack(*second);
  EXPECT_EQ(a.code, "AA");
  EXPECT_EQ(b.code, "AA");  // the sender resent it; it must not be told to resend again
  EXPECT_EQ(b.acked_id, "DUP1");
  ASSERT_NE(a.stored_id, b.stored_id);

  const store::StoredMessage again = stored(b.stored_id);
  EXPECT_EQ(again.message.raw, message);
  EXPECT_EQ(again.message.status, store::MessageStatus::duplicate);
  EXPECT_EQ(again.duplicate_of, a.stored_id);
  EXPECT_EQ(stored(a.stored_id).message.status, store::MessageStatus::received);
}

TEST_F(MllpIngestTest, PipelinedMessagesAreStoredAndAnsweredInOrder) {
  constexpr int kCount = 300;
  testing::RawMllpClient client(port());
  std::string bytes;
  for (int i = 0; i < kCount; ++i) {
    bytes += mllp::encode_frame(oru("P" + std::to_string(i)));
  }
  ASSERT_TRUE(client.send(bytes));

  std::int64_t previous_id = 0;
  for (int i = 0; i < kCount; ++i) {
    auto answer = client.read_frame();
    ASSERT_TRUE(answer.has_value()) << "ACK " << i;
    const Ack ack = read_ack(*answer);
    ASSERT_EQ(ack.acked_id, "P" + std::to_string(i));
    ASSERT_EQ(ack.code, "AA");
    ASSERT_GT(ack.stored_id, previous_id) << "stored in arrival order";
    previous_id = ack.stored_id;
    ASSERT_EQ(stored(ack.stored_id).message.raw, oru("P" + std::to_string(i)));
  }
  EXPECT_GE(committer_->counters().messages, static_cast<std::uint64_t>(kCount));
}

}  // namespace
}  // namespace hisbridge

// The router running channels with a mapping and destinations: a real SqliteStore in a temp
// folder, real mappings compiled from text, and a scripted destination (it records what it is
// given and answers what the test says: a real HIS that can be told to be down on cue is not
// practical here). Waits poll the store or the destination with a generous deadline; nothing
// asserts on how long anything took.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/mapping/mapping.hpp"
#include "engine/router/router.hpp"
#include "engine/store/open_store.hpp"
#include "tests/support/wait_until.hpp"

namespace hisbridge::router {
namespace {

namespace fs = std::filesystem;
using testing::ElementsAre;
using testing::HasSubstr;

// One his_order row per ORU^R01 and one his_result row per OBX; seq must be a whole number.
const char* const kOrdersMapping = R"({
  "mapping": "orders",
  "messages": ["ORU^R01"],
  "records": [
    {"table": "his_order", "key": ["order_no"],
     "columns": {"order_no": "OBR-2.1", "status": "OBR-25"}},
    {"table": "his_result", "for_each": "OBX", "key": ["order_no", "test_code", "seq"],
     "columns": {"order_no": "OBR-2.1", "test_code": "OBX-3.1",
                 "seq": {"path": "OBX-4.1", "transform": ["integer", {"default": 1}]},
                 "value": "OBX-5"}}
  ]
})";

// A vendor XML export: root element KetQua, the order number in SoPhieu.
const char* const kVendorMapping = R"({
  "mapping": "vendor",
  "input": "xml",
  "messages": ["KetQua"],
  "records": [{"table": "his_order", "key": ["order_no"],
               "columns": {"order_no": "/KetQua/SoPhieu", "status": "/KetQua/TrangThai"}}]
})";

// What one deliver() call was given.
struct Call {
  std::string control_id;
  bool hl7 = false;                 // the message was read as HL7
  std::vector<std::string> orders;  // order_no of every his_order record
};

// Records every call; answers `answer` (delivered unless told otherwise), or what `script`
// says for a given control id.
class ScriptedDestination final : public Destination {
 public:
  explicit ScriptedDestination(std::string name) : name_(std::move(name)) {}
  const std::string& name() const override { return name_; }

  Delivery deliver(const DeliveryItem& item) override {
    Call call{item.stored.message.control_id, item.message != nullptr, {}};
    for (const mapping::Record& r : item.output.records) {
      if (r.table() == "his_order") {
        call.orders.push_back(r.get("order_no").text);
      }
    }
    const std::lock_guard lock(mutex_);
    calls_.push_back(call);
    return script_ ? script_(call) : answer_;
  }

  void answer(Delivery d) {
    const std::lock_guard lock(mutex_);
    answer_ = std::move(d);
  }
  void script(std::function<Delivery(const Call&)> s) {
    const std::lock_guard lock(mutex_);
    script_ = std::move(s);
  }
  std::vector<Call> calls() const {
    const std::lock_guard lock(mutex_);
    return calls_;
  }
  std::vector<std::string> control_ids() const {
    std::vector<std::string> out;
    for (const Call& c : calls()) {
      out.push_back(c.control_id);
    }
    return out;
  }

 private:
  std::string name_;
  mutable std::mutex mutex_;
  Delivery answer_ = Delivery::delivered();
  std::function<Delivery(const Call&)> script_;
  std::vector<Call> calls_;
};

class RouterDeliveryTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("hisbridge-router-delivery-" + std::to_string(::getpid()) + "-" +
            testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    for (const char* name : {"lis", "ris"}) {
      config_.listeners.push_back({});
      config_.listeners.back().name = name;
    }
    auto s = store::open_store((dir_ / "store.db").string());
    ASSERT_TRUE(s) << s.error().message();
    writer_ = std::move(*s);
  }
  void TearDown() override {
    writer_.reset();
    fs::remove_all(dir_);
  }

  std::unique_ptr<store::Store> reader() {
    auto s = store::open_store((dir_ / "store.db").string());
    EXPECT_TRUE(s) << (s ? "" : s.error().message());
    return std::move(*s);
  }

  std::shared_ptr<const mapping::Mapping> compile(const char* text, const char* name) {
    auto program = mapping::load_mapping_text(text, dir_ / name);
    if (!program) {
      for (const auto& e : program.error()) {
        ADD_FAILURE() << e.to_string();
      }
      return nullptr;
    }
    return std::make_shared<const mapping::Mapping>(*program);
  }

  // A channel of `source` with `mapping` (always that version) and `destinations`.
  Channel channel(const std::string& name, const std::string& source,
                  std::shared_ptr<const mapping::Mapping> mapping,
                  std::vector<std::shared_ptr<Destination>> destinations) {
    config::ChannelConfig c;
    c.name = name;
    c.source = source;
    config_.channels.push_back(c);
    return {c, [mapping] { return mapping; }, std::move(destinations)};
  }

  // An ORU^R01 for order `order_no`, one OBX whose OBX-4 is `seq`.
  static store::NewMessage oru(const std::string& control_id, const std::string& order_no,
                               const std::string& source = "lis", const std::string& seq = "1") {
    store::NewMessage m;
    m.raw = "MSH|^~\\&|LIS|LAB|HIS|H|20260305081500+0700||ORU^R01^ORU_R01|" + control_id +
            "|P|2.5\rPID|1||P1^^^H^MR\rOBR|1|" + order_no +
            "||GLU^Glucose||||||||||||||||||||F\rOBX|1|NM|GLU^Glucose|" + seq + "|5.4|mmol/L\r";
    m.source = source;
    m.control_id = control_id;
    m.sending_application = "LIS";
    m.sending_facility = "LAB";
    m.message_type = "ORU^R01";
    m.received_at_us = 1;
    return m;
  }

  static store::NewMessage vendor_xml(const std::string& control_id, const std::string& order) {
    store::NewMessage m;
    m.raw = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<KetQua><SoPhieu>" + order +
            "</SoPhieu><TrangThai>F</TrangThai></KetQua>\n";
    m.source = "lis";
    m.control_id = control_id;
    m.message_type = "KetQua";  // what ingest stores for a vendor XML: the root's name
    m.received_at_us = 1;
    return m;
  }

  std::vector<std::int64_t> append(const std::vector<store::NewMessage>& batch) {
    auto appended = writer_->append(batch, 0);
    EXPECT_TRUE(appended) << (appended ? "" : appended.error().message());
    std::vector<std::int64_t> ids;
    if (appended) {
      for (const auto& a : *appended) {
        ids.push_back(a.id);
      }
    }
    return ids;
  }

  store::StoredMessage stored(std::int64_t id) {
    auto m = writer_->get(id);
    EXPECT_TRUE(m) << (m ? "" : m.error().message());
    return m ? *m : store::StoredMessage{};
  }

  // Bounded wait until `done` holds; false when the deadline passed first.
  static bool eventually(const std::function<bool()>& done) {
    return testing_support::wait_until(done, std::chrono::seconds(20));
  }

  bool all_done() {
    return eventually([this] {
      auto stats = writer_->stats();
      return stats && stats->received == 0;
    });
  }

  fs::path dir_;
  config::Config config_;
  std::unique_ptr<store::Store> writer_;
};

TEST_F(RouterDeliveryTest, DeliversTheMappedRecordsInReceiveOrderAndMarksThemProcessed) {
  const auto his = std::make_shared<ScriptedDestination>("his");
  std::vector<Channel> channels;
  channels.push_back(channel("results", "lis", compile(kOrdersMapping, "orders.json"), {his}));
  const auto ids = append({oru("M1", "XN-1"), oru("M2", "XN-2"), oru("M3", "XN-3"),
                           oru("M4", "XN-4"), oru("M5", "XN-5")});

  Router router(reader(), config_, {}, std::move(channels));
  router.start();
  ASSERT_TRUE(all_done());
  router.stop();

  EXPECT_THAT(his->control_ids(), ElementsAre("M1", "M2", "M3", "M4", "M5"));
  const auto calls = his->calls();
  ASSERT_EQ(calls.size(), 5u);
  EXPECT_TRUE(calls[0].hl7);
  EXPECT_THAT(calls[0].orders, ElementsAre("XN-1"));
  EXPECT_THAT(calls[4].orders, ElementsAre("XN-5"));
  for (const std::int64_t id : ids) {
    EXPECT_EQ(stored(id).message.status, store::MessageStatus::processed);
  }
  EXPECT_EQ(router.counters().processed, 5u);
  EXPECT_EQ(router.counters().failed, 0u);
  EXPECT_EQ(router.counters().retries, 0u);
}

TEST_F(RouterDeliveryTest, RetryKeepsTheMessageReceivedAndLaterOnesWaitBehindIt) {
  const auto his = std::make_shared<ScriptedDestination>("his");
  his->answer(Delivery::retry("database is locked"));
  std::vector<Channel> channels;
  channels.push_back(channel("results", "lis", compile(kOrdersMapping, "orders.json"), {his}));
  Router router(reader(), config_, {}, std::move(channels));
  router.start();
  const auto ids = append({oru("M1", "XN-1"), oru("M2", "XN-2"), oru("M3", "XN-3")});
  router.notify("lis");

  // Two attempts: the first, and one after the pause.
  ASSERT_TRUE(eventually([&] { return his->calls().size() >= 2; }));
  for (const std::string& c : his->control_ids()) {
    EXPECT_EQ(c, "M1") << "a later message was delivered before the one being retried";
  }
  for (const std::int64_t id : ids) {
    EXPECT_EQ(stored(id).message.status, store::MessageStatus::received);
  }
  EXPECT_GE(router.counters().retries, 1u);

  // The HIS is back: everything goes, in receive order, and is marked processed.
  his->answer(Delivery::delivered());
  ASSERT_TRUE(all_done());
  router.stop();
  auto order = his->control_ids();
  while (order.size() > 3 && order[1] == "M1") {
    order.erase(order.begin());  // the retried attempts
  }
  EXPECT_THAT(order, ElementsAre("M1", "M2", "M3"));
  for (const std::int64_t id : ids) {
    const store::StoredMessage m = stored(id);
    EXPECT_EQ(m.message.status, store::MessageStatus::processed);
    EXPECT_EQ(m.message.error, "");
  }
  EXPECT_EQ(router.counters().processed, 3u);
  EXPECT_EQ(router.counters().failed, 0u);
}

TEST_F(RouterDeliveryTest, ARetryingSourceDoesNotHoldUpAnotherSource) {
  const auto lab_his = std::make_shared<ScriptedDestination>("his");
  const auto rad_his = std::make_shared<ScriptedDestination>("his");
  lab_his->answer(Delivery::retry("server down"));
  const auto orders = compile(kOrdersMapping, "orders.json");
  std::vector<Channel> channels;
  channels.push_back(channel("lab", "lis", orders, {lab_his}));
  channels.push_back(channel("rad", "ris", orders, {rad_his}));
  Router router(reader(), config_, {}, std::move(channels));
  router.start();
  const auto lab = append({oru("L1", "XN-1")});
  router.notify("lis");
  ASSERT_TRUE(eventually([&] { return !lab_his->calls().empty(); }));
  const auto rad = append({oru("R1", "CD-1", "ris"), oru("R2", "CD-2", "ris")});
  router.notify("ris");

  ASSERT_TRUE(eventually([&] {
    return stored(rad[1]).message.status == store::MessageStatus::processed;
  }));
  EXPECT_THAT(rad_his->control_ids(), ElementsAre("R1", "R2"));
  EXPECT_EQ(stored(lab[0]).message.status, store::MessageStatus::received);

  lab_his->answer(Delivery::delivered());
  ASSERT_TRUE(all_done());
  router.stop();
  EXPECT_EQ(stored(lab[0]).message.status, store::MessageStatus::processed);
}

TEST_F(RouterDeliveryTest, AFailedDeliveryMarksTheMessageErrorNamingChannelAndDestination) {
  const auto his = std::make_shared<ScriptedDestination>("his-db");
  his->script([](const Call& call) {
    return call.control_id == "M2" ? Delivery::failed("his_order.status: longer than 10")
                                   : Delivery::delivered();
  });
  std::vector<Channel> channels;
  channels.push_back(channel("results", "lis", compile(kOrdersMapping, "orders.json"), {his}));
  const auto ids = append({oru("M1", "XN-1"), oru("M2", "XN-2"), oru("M3", "XN-3")});
  Router router(reader(), config_, {}, std::move(channels));
  router.start();
  ASSERT_TRUE(all_done());
  router.stop();

  EXPECT_THAT(his->control_ids(), ElementsAre("M1", "M2", "M3")) << "a failure is not retried";
  EXPECT_EQ(stored(ids[0]).message.status, store::MessageStatus::processed);
  const store::StoredMessage failed = stored(ids[1]);
  EXPECT_EQ(failed.message.status, store::MessageStatus::error);
  EXPECT_EQ(failed.message.error,
            "channel results: destination his-db: his_order.status: longer than 10");
  EXPECT_EQ(stored(ids[2]).message.status, store::MessageStatus::processed)
      << "messages after a failed one go on";
  EXPECT_EQ(router.counters().failed, 1u);
  EXPECT_EQ(router.counters().processed, 2u);
}

TEST_F(RouterDeliveryTest, AMappingFailureMarksTheMessageErrorWithTheMappingsReason) {
  const auto his = std::make_shared<ScriptedDestination>("his");
  std::vector<Channel> channels;
  channels.push_back(channel("results", "lis", compile(kOrdersMapping, "orders.json"), {his}));
  store::NewMessage adt = oru("M3", "XN-3");
  adt.raw = "MSH|^~\\&|LIS|LAB|HIS|H|20260305||ADT^A08|M3|P|2.5\rPID|1||P1\r";
  adt.message_type = "ADT^A08";
  const auto ids = append({oru("M1", "XN-1"), oru("M2", "XN-2", "lis", "x1"), adt,
                           oru("M4", "XN-4")});
  Router router(reader(), config_, {}, std::move(channels));
  router.start();
  ASSERT_TRUE(all_done());
  router.stop();

  EXPECT_THAT(his->control_ids(), ElementsAre("M1", "M4")) << "nothing is delivered unmapped";
  const store::StoredMessage bad_seq = stored(ids[1]);
  EXPECT_EQ(bad_seq.message.status, store::MessageStatus::error);
  EXPECT_THAT(bad_seq.message.error, HasSubstr("channel results: mapping orders: his_result.seq"));
  EXPECT_THAT(bad_seq.message.error, HasSubstr("'x1'"));
  const store::StoredMessage wrong_type = stored(ids[2]);
  EXPECT_EQ(wrong_type.message.status, store::MessageStatus::error);
  EXPECT_THAT(wrong_type.message.error, HasSubstr("channel results: mapping orders:"));
  EXPECT_THAT(wrong_type.message.error, HasSubstr("ADT^A08"));
  EXPECT_EQ(stored(ids[3]).message.status, store::MessageStatus::processed);
  EXPECT_EQ(router.counters().failed, 2u);
}

TEST_F(RouterDeliveryTest, VendorXmlGoesOnlyToTheChannelWhoseMappingReadsXml) {
  const auto hl7_his = std::make_shared<ScriptedDestination>("his");
  const auto xml_his = std::make_shared<ScriptedDestination>("his");
  std::vector<Channel> channels;
  channels.push_back(channel("hl7-results", "lis", compile(kOrdersMapping, "orders.json"),
                             {hl7_his}));
  channels.push_back(channel("vendor-results", "lis", compile(kVendorMapping, "vendor.json"),
                             {xml_his}));
  const auto ids = append({vendor_xml("X1", "XN-7"), oru("M1", "XN-8"), vendor_xml("X2", "XN-9")});
  Router router(reader(), config_, {}, std::move(channels));
  router.start();
  ASSERT_TRUE(all_done());
  router.stop();

  const auto xml_calls = xml_his->calls();
  ASSERT_EQ(xml_calls.size(), 2u);
  EXPECT_EQ(xml_calls[0].control_id, "X1");
  EXPECT_FALSE(xml_calls[0].hl7);
  EXPECT_THAT(xml_calls[0].orders, ElementsAre("XN-7"));
  EXPECT_THAT(xml_calls[1].orders, ElementsAre("XN-9"));
  EXPECT_THAT(hl7_his->control_ids(), ElementsAre("M1"));
  for (const std::int64_t id : ids) {
    const store::StoredMessage m = stored(id);
    EXPECT_EQ(m.message.status, store::MessageStatus::processed)
        << m.message.control_id << ": " << m.message.error;
  }
}

TEST_F(RouterDeliveryTest, AMappingNotLoadedYetHoldsTheSourceUntilItIs) {
  const auto his = std::make_shared<ScriptedDestination>("his");
  std::mutex mutex;
  std::shared_ptr<const mapping::Mapping> current;  // guarded by mutex
  config::ChannelConfig c;
  c.name = "results";
  c.source = "lis";
  config_.channels.push_back(c);
  std::vector<Channel> channels;
  channels.push_back({c, [&] {
                        const std::lock_guard lock(mutex);
                        return current;
                      },
                      {his}});
  const auto ids = append({oru("M1", "XN-1"), oru("M2", "XN-2")});
  Router router(reader(), config_, {}, std::move(channels));
  router.start();
  ASSERT_TRUE(eventually([&] { return router.counters().retries.load() >= 1; }));
  EXPECT_TRUE(his->calls().empty());
  EXPECT_EQ(stored(ids[0]).message.status, store::MessageStatus::received);

  {
    const std::lock_guard lock(mutex);
    current = compile(kOrdersMapping, "orders.json");
  }
  ASSERT_TRUE(all_done());
  router.stop();
  EXPECT_THAT(his->control_ids(), ElementsAre("M1", "M2"));
  EXPECT_EQ(stored(ids[1]).message.status, store::MessageStatus::processed);
}

}  // namespace
}  // namespace hisbridge::router

// Processing and delivery end to end: the router fills the destinations' durable queues and
// the delivery workers (DeliveryService) deliver them, on a real SqliteStore in a temp folder,
// with real mappings compiled from text and a scripted destination (it records what it is
// given and answers what the test says: a real HIS that can be told to be down on cue is not
// practical here). Waits poll the store or the destination with a generous deadline; nothing
// asserts on how long anything took.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/mapping/mapping.hpp"
#include "engine/delivery/delivery_service.hpp"
#include "engine/router/router.hpp"
#include "engine/store/open_store.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait_until.hpp"

namespace hisbridge::delivery {
namespace {

using router::Channel;
using router::Delivery;
using router::DeliveryItem;
using router::Destination;
using router::Router;

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
        call.orders.emplace_back(r.get("order_no").text);
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

class DeliveryTest : public testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"lis", "ris"}) {
      config_.listeners.push_back({});
      config_.listeners.back().name = name;
    }
    auto s = store::open_store((dir_ / "store.db").string());
    ASSERT_TRUE(s) << s.error().message();
    writer_ = std::move(*s);
  }
  void TearDown() override {
    stop();
    service_.reset();
    router_.reset();
    outcomes_.reset();
    writer_.reset();
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

  // A channel of `source` with `mapping` (always that version) and `destinations`, whose
  // queues retry quickly (retry_).
  Channel channel(const std::string& name, const std::string& source,
                  std::shared_ptr<const mapping::Mapping> mapping,
                  std::vector<std::shared_ptr<Destination>> destinations) {
    config::ChannelConfig c;
    c.name = name;
    c.source = source;
    for (const auto& d : destinations) {
      c.destinations.push_back({});
      c.destinations.back().name = d->name();
      c.destinations.back().retry = retry_;
    }
    config_.channels.push_back(c);
    return {c, [mapping] { return mapping; }, std::move(destinations)};
  }

  // The router and the delivery workers of `channels`, started; the workers' outcomes go
  // through a connection of their own.
  void start(std::vector<Channel> channels) {
    router_ = std::make_unique<Router>(reader(), config_, Router::StatusWriter{}, channels,
                                       router::RouterTimeline{},
                                       [this](std::span<const store::StatusUpdate> updates) {
                                         if (service_) {
                                           service_->queued(updates);
                                         }
                                       });
    outcomes_ = reader();
    DeliveryService::Setup setup;
    setup.channels = std::move(channels);
    setup.open_reader = [this] { return store::open_store((dir_ / "store.db").string()); };
    setup.write = [this](std::span<const store::DeliveryUpdate> updates) {
      const std::lock_guard lock(outcomes_mutex_);
      return outcomes_->update_deliveries(updates);
    };
    setup.counters = [this](std::string_view channel, std::string_view destination) {
      return router_->destination_counters(channel, destination);
    };
    setup.marks = [this](std::span<const timeline::Mark> marks) {
      const std::lock_guard lock(marks_mutex_);
      marks_.insert(marks_.end(), marks.begin(), marks.end());
    };
    setup.options.poll = std::chrono::milliseconds(50);
    auto made = DeliveryService::create(config_, std::move(setup));
    ASSERT_TRUE(made) << made.error();
    service_ = std::move(*made);
    service_->start();
    router_->start();
  }

  void stop() {
    if (router_) {
      router_->stop();
    }
    if (service_) {
      service_->stop();
    }
  }

  // The queue entries of message `id`.
  std::vector<store::QueuedDelivery> entries(std::int64_t id) {
    auto got = writer_->deliveries_of(id);
    EXPECT_TRUE(got) << (got ? "" : got.error().message());
    return got ? *got : std::vector<store::QueuedDelivery>{};
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

  // Every message processed and every queue entry delivered or dead.
  bool all_done() {
    return eventually([this] {
      auto stats = writer_->stats();
      auto depths = writer_->queue_depths();
      if (!stats || stats->received != 0 || !depths) {
        return false;
      }
      for (const store::QueueDepth& d : *depths) {
        if (d.pending != 0) {
          return false;
        }
      }
      return true;
    });
  }

  testing_support::TempDir temp_{"hisbridge-delivery"};
  fs::path dir_ = temp_.path();
  config::Config config_;
  config::RetryConfig retry_{std::chrono::milliseconds(20), std::chrono::milliseconds(100), 100};
  std::unique_ptr<store::Store> writer_;
  std::unique_ptr<Router> router_;
  std::mutex outcomes_mutex_;
  std::unique_ptr<store::Store> outcomes_;  // guarded by outcomes_mutex_
  std::unique_ptr<DeliveryService> service_;
  std::mutex marks_mutex_;
  std::vector<timeline::Mark> marks_;  // guarded by marks_mutex_: what the workers handed over
};

TEST_F(DeliveryTest, DeliversTheMappedRecordsInReceiveOrderAndMarksThemProcessed) {
  const auto his = std::make_shared<ScriptedDestination>("his");
  std::vector<Channel> channels;
  channels.push_back(channel("results", "lis", compile(kOrdersMapping, "orders.json"), {his}));
  const auto ids = append({oru("M1", "XN-1"), oru("M2", "XN-2"), oru("M3", "XN-3"),
                           oru("M4", "XN-4"), oru("M5", "XN-5")});
  start(std::move(channels));
  ASSERT_TRUE(all_done());
  stop();

  EXPECT_THAT(his->control_ids(), ElementsAre("M1", "M2", "M3", "M4", "M5"));
  const auto calls = his->calls();
  ASSERT_EQ(calls.size(), 5u);
  EXPECT_TRUE(calls[0].hl7);
  EXPECT_THAT(calls[0].orders, ElementsAre("XN-1"));
  EXPECT_THAT(calls[4].orders, ElementsAre("XN-5"));
  for (const std::int64_t id : ids) {
    EXPECT_EQ(stored(id).message.status, store::MessageStatus::processed);
    const auto queued = entries(id);
    ASSERT_EQ(queued.size(), 1u);
    EXPECT_EQ(queued[0].queue, "results/his");
    EXPECT_EQ(queued[0].state, store::DeliveryState::delivered);
    EXPECT_EQ(queued[0].attempts, 0);
  }
  EXPECT_EQ(entries(ids[0])[0].order_key, "order:XN-1");
  EXPECT_EQ(router_->counters().processed, 5u);
  const router::DestinationCounters* counted = router_->destination_counters("results", "his");
  ASSERT_NE(counted, nullptr);
  EXPECT_EQ(counted->delivered, 5u);
  EXPECT_EQ(counted->retries, 0u);
  EXPECT_EQ(counted->pending, 0);
}

TEST_F(DeliveryTest, AnEntryWaitingOutARetryHoldsBackItsOrderOnlyAndItsMessageIsProcessed) {
  const auto his = std::make_shared<ScriptedDestination>("his");
  std::atomic<bool> locked{true};
  his->script([&](const Call& call) {
    return call.control_id == "M1" && locked ? Delivery::retry("row locked") : Delivery::delivered();
  });
  std::vector<Channel> channels;
  channels.push_back(channel("results", "lis", compile(kOrdersMapping, "orders.json"), {his}));
  // M3 is a later result of M1's order; M2 is another order.
  const auto ids = append({oru("M1", "XN-1"), oru("M2", "XN-2"), oru("M3", "XN-1", "lis", "2")});
  start(std::move(channels));

  ASSERT_TRUE(eventually([&] {
    const auto calls = his->control_ids();
    return std::count(calls.begin(), calls.end(), "M1") >= 2 &&
           std::count(calls.begin(), calls.end(), "M2") == 1;
  }));
  for (const std::int64_t id : ids) {
    EXPECT_EQ(stored(id).message.status, store::MessageStatus::processed)
        << "processing does not wait for the HIS";
  }
  auto calls = his->control_ids();
  EXPECT_EQ(std::count(calls.begin(), calls.end(), "M3"), 0)
      << "a later result of the order was delivered before the earlier one";
  const auto waiting = entries(ids[0]);
  ASSERT_EQ(waiting.size(), 1u);
  EXPECT_EQ(waiting[0].state, store::DeliveryState::pending);
  EXPECT_GE(waiting[0].attempts, 1);
  EXPECT_EQ(waiting[0].last_error, "row locked");

  locked = false;
  ASSERT_TRUE(all_done());
  stop();
  calls = his->control_ids();
  ASSERT_FALSE(calls.empty());
  EXPECT_EQ(calls.back(), "M3");
  EXPECT_EQ(std::count(calls.begin(), calls.end(), "M3"), 1);
  EXPECT_EQ(entries(ids[0])[0].state, store::DeliveryState::delivered);
  EXPECT_GE(router_->destination_counters("results", "his")->retries, 1u);
}

TEST_F(DeliveryTest, AHisThatIsDownPausesTheQueueAndEverythingGoesOnceItIsBack) {
  const auto his = std::make_shared<ScriptedDestination>("his");
  his->answer(Delivery::retry("database is locked"));
  std::vector<Channel> channels;
  channels.push_back(channel("results", "lis", compile(kOrdersMapping, "orders.json"), {his}));
  std::vector<store::NewMessage> batch;
  for (int i = 0; i < 20; ++i) {
    batch.push_back(oru("M" + std::to_string(i), "XN-" + std::to_string(i)));
  }
  const auto ids = append(batch);
  start(std::move(channels));
  const router::DestinationCounters* counted = router_->destination_counters("results", "his");
  ASSERT_TRUE(eventually([&] { return counted->retries >= 3 && counted->backing_off; }));
  EXPECT_EQ(counted->delivered, 0u);
  // Paused as a whole: far fewer attempts than entries times rounds.
  EXPECT_LT(his->calls().size(), 20u * 3);

  his->answer(Delivery::delivered());
  ASSERT_TRUE(all_done());
  stop();
  EXPECT_EQ(counted->delivered, 20u);
  EXPECT_FALSE(counted->backing_off);
  for (const std::int64_t id : ids) {
    EXPECT_EQ(entries(id)[0].state, store::DeliveryState::delivered);
  }
}

TEST_F(DeliveryTest, ARetryingDestinationDoesNotHoldUpAnother) {
  const auto lab_his = std::make_shared<ScriptedDestination>("his");
  const auto rad_his = std::make_shared<ScriptedDestination>("his");
  lab_his->answer(Delivery::retry("server down"));
  const auto orders = compile(kOrdersMapping, "orders.json");
  std::vector<Channel> channels;
  channels.push_back(channel("lab", "lis", orders, {lab_his}));
  channels.push_back(channel("rad", "ris", orders, {rad_his}));
  start(std::move(channels));
  const auto lab = append({oru("L1", "XN-1")});
  router_->notify("lis");
  ASSERT_TRUE(eventually([&] { return !lab_his->calls().empty(); }));
  const auto rad = append({oru("R1", "CD-1", "ris"), oru("R2", "CD-2", "ris")});
  router_->notify("ris");

  ASSERT_TRUE(eventually([&] { return rad_his->calls().size() == 2; }));
  EXPECT_THAT(rad_his->control_ids(), ElementsAre("R1", "R2"));
  EXPECT_EQ(entries(lab[0])[0].state, store::DeliveryState::pending);

  lab_his->answer(Delivery::delivered());
  ASSERT_TRUE(all_done());
  stop();
  EXPECT_EQ(entries(lab[0])[0].state, store::DeliveryState::delivered);
}

TEST_F(DeliveryTest, ARefusedDeliveryIsADeadLetterWithTheReasonAndTheRestGoOn) {
  const auto his = std::make_shared<ScriptedDestination>("his-db");
  his->script([](const Call& call) {
    return call.control_id == "M2" ? Delivery::failed("his_order.status: longer than 10")
                                   : Delivery::delivered();
  });
  std::vector<Channel> channels;
  channels.push_back(channel("results", "lis", compile(kOrdersMapping, "orders.json"), {his}));
  const auto ids = append({oru("M1", "XN-1"), oru("M2", "XN-2"), oru("M3", "XN-3")});
  start(std::move(channels));
  ASSERT_TRUE(all_done());
  stop();

  EXPECT_THAT(his->control_ids(), ElementsAre("M1", "M2", "M3")) << "a refusal is not retried";
  const auto dead = entries(ids[1]);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].state, store::DeliveryState::dead);
  EXPECT_EQ(dead[0].last_error, "his_order.status: longer than 10");
  EXPECT_EQ(stored(ids[1]).message.status, store::MessageStatus::processed);
  EXPECT_EQ(entries(ids[2])[0].state, store::DeliveryState::delivered);
  const router::DestinationCounters* counted = router_->destination_counters("results", "his-db");
  EXPECT_EQ(counted->failed, 1u);
  EXPECT_EQ(counted->dead, 1);
  EXPECT_EQ(counted->delivered, 2u);
}

TEST_F(DeliveryTest, AfterMaxAttemptsAnEntryIsDeadWithItsLastError) {
  retry_.max_attempts = 3;
  const auto his = std::make_shared<ScriptedDestination>("his");
  his->script([](const Call& call) {
    return call.control_id == "M1" ? Delivery::retry("timeout after 30 s") : Delivery::delivered();
  });
  std::vector<Channel> channels;
  channels.push_back(channel("results", "lis", compile(kOrdersMapping, "orders.json"), {his}));
  const auto ids = append({oru("M1", "XN-1"), oru("M2", "XN-2")});
  start(std::move(channels));
  ASSERT_TRUE(all_done());
  stop();
  const auto calls = his->control_ids();
  EXPECT_EQ(std::count(calls.begin(), calls.end(), "M1"), 3);
  const auto dead = entries(ids[0]);
  EXPECT_EQ(dead[0].state, store::DeliveryState::dead);
  EXPECT_EQ(dead[0].attempts, 3);
  EXPECT_EQ(dead[0].last_error, "timeout after 30 s");
  EXPECT_EQ(entries(ids[1])[0].state, store::DeliveryState::delivered);
}

TEST_F(DeliveryTest, EntriesLeftByAnEarlierRunAreDeliveredAtTheNextStart) {
  const auto down = std::make_shared<ScriptedDestination>("his");
  down->answer(Delivery::retry("connection refused"));
  const auto orders = compile(kOrdersMapping, "orders.json");
  std::vector<Channel> channels;
  channels.push_back(channel("results", "lis", orders, {down}));
  const auto ids = append({oru("M1", "XN-1"), oru("M2", "XN-2")});
  start(channels);
  ASSERT_TRUE(eventually([&] { return !down->calls().empty(); }));
  stop();
  service_.reset();
  router_.reset();
  EXPECT_EQ(stored(ids[1]).message.status, store::MessageStatus::processed);

  const auto up = std::make_shared<ScriptedDestination>("his");
  channels[0].destinations = {up};
  start(channels);
  ASSERT_TRUE(all_done());
  stop();
  auto calls = up->control_ids();
  std::sort(calls.begin(), calls.end());
  EXPECT_THAT(calls, ElementsAre("M1", "M2"));
}

TEST_F(DeliveryTest, DeliveredMessagesGetTheirAcceptedAndDeliveredMarks) {
  const auto his = std::make_shared<ScriptedDestination>("his");
  his->script([](const Call& call) {
    return call.control_id == "M2" ? Delivery::failed("refused") : Delivery::delivered();
  });
  std::vector<Channel> channels;
  channels.push_back(channel("results", "lis", compile(kOrdersMapping, "orders.json"), {his}));
  const auto ids = append({oru("M1", "XN-1"), oru("M2", "XN-2")});
  start(std::move(channels));
  ASSERT_TRUE(all_done());
  stop();
  const std::lock_guard lock(marks_mutex_);
  ASSERT_EQ(marks_.size(), 2u) << "the dead letter has none";
  EXPECT_EQ(marks_[0].scope, timeline::Scope::message);
  EXPECT_EQ(marks_[0].subject, std::to_string(ids[0]));
  EXPECT_EQ(marks_[0].kind, "accepted");
  EXPECT_EQ(marks_[0].at_us, 1);  // the message's receipt
  EXPECT_EQ(marks_[1].kind, "delivered");
  EXPECT_GT(marks_[1].at_us, 1);
}

TEST_F(DeliveryTest, AMappingFailureMarksTheMessageErrorWithTheMappingsReason) {
  const auto his = std::make_shared<ScriptedDestination>("his");
  std::vector<Channel> channels;
  channels.push_back(channel("results", "lis", compile(kOrdersMapping, "orders.json"), {his}));
  store::NewMessage adt = oru("M3", "XN-3");
  adt.raw = "MSH|^~\\&|LIS|LAB|HIS|H|20260305||ADT^A08|M3|P|2.5\rPID|1||P1\r";
  adt.message_type = "ADT^A08";
  const auto ids = append({oru("M1", "XN-1"), oru("M2", "XN-2", "lis", "x1"), adt,
                           oru("M4", "XN-4")});
  start(std::move(channels));
  ASSERT_TRUE(all_done());
  stop();

  EXPECT_THAT(his->control_ids(), ElementsAre("M1", "M4")) << "nothing is delivered unmapped";
  const store::StoredMessage bad_seq = stored(ids[1]);
  EXPECT_EQ(bad_seq.message.status, store::MessageStatus::error);
  EXPECT_THAT(bad_seq.message.error, HasSubstr("channel results: mapping orders: his_result.seq"));
  EXPECT_THAT(bad_seq.message.error, HasSubstr("'x1'"));
  EXPECT_TRUE(entries(ids[1]).empty());
  const store::StoredMessage wrong_type = stored(ids[2]);
  EXPECT_EQ(wrong_type.message.status, store::MessageStatus::error);
  EXPECT_THAT(wrong_type.message.error, HasSubstr("channel results: mapping orders:"));
  EXPECT_THAT(wrong_type.message.error, HasSubstr("ADT^A08"));
  EXPECT_EQ(stored(ids[3]).message.status, store::MessageStatus::processed);
  EXPECT_EQ(router_->counters().failed, 2u);
}

TEST_F(DeliveryTest, VendorXmlGoesOnlyToTheChannelWhoseMappingReadsXml) {
  const auto hl7_his = std::make_shared<ScriptedDestination>("his");
  const auto xml_his = std::make_shared<ScriptedDestination>("his");
  std::vector<Channel> channels;
  channels.push_back(channel("hl7-results", "lis", compile(kOrdersMapping, "orders.json"),
                             {hl7_his}));
  channels.push_back(channel("vendor-results", "lis", compile(kVendorMapping, "vendor.json"),
                             {xml_his}));
  const auto ids = append({vendor_xml("X1", "XN-7"), oru("M1", "XN-8"), vendor_xml("X2", "XN-9")});
  start(std::move(channels));
  ASSERT_TRUE(all_done());
  stop();

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
  EXPECT_EQ(entries(ids[0])[0].queue, "vendor-results/his");
  EXPECT_EQ(entries(ids[0])[0].order_key, "order:XN-7");
}

TEST_F(DeliveryTest, AMappingNotLoadedYetHoldsTheSourceUntilItIs) {
  const auto his = std::make_shared<ScriptedDestination>("his");
  std::mutex mutex;
  std::shared_ptr<const mapping::Mapping> current;  // guarded by mutex
  config::ChannelConfig c;
  c.name = "results";
  c.source = "lis";
  c.destinations.push_back({});
  c.destinations.back().name = "his";
  config_.channels.push_back(c);
  std::vector<Channel> channels;
  channels.push_back({c, [&] {
                        const std::lock_guard lock(mutex);
                        return current;
                      },
                      {his}});
  const auto ids = append({oru("M1", "XN-1"), oru("M2", "XN-2")});
  start(std::move(channels));
  ASSERT_TRUE(eventually([&] { return router_->counters().retries.load() >= 1; }));
  EXPECT_TRUE(his->calls().empty());
  EXPECT_EQ(stored(ids[0]).message.status, store::MessageStatus::received);

  {
    const std::lock_guard lock(mutex);
    current = compile(kOrdersMapping, "orders.json");
  }
  ASSERT_TRUE(all_done());
  stop();
  EXPECT_THAT(his->control_ids(), ElementsAre("M1", "M2"));
  EXPECT_EQ(stored(ids[1]).message.status, store::MessageStatus::processed);
}

}  // namespace
}  // namespace hisbridge::delivery

#include "adapters/admin/messages_api.hpp"

#include <gtest/gtest.h>

namespace hisbridge::admin {
namespace {

const mapping::TimeZone& hanoi() {
  static const mapping::TimeZone zone = mapping::TimeZone::fixed(7 * 3600, "+07:00");
  return zone;
}

Result<store::MessageQuery, std::string> parse(const QueryParams& params) {
  return parse_message_query(params, hanoi());
}

TEST(MessagesApiTest, EveryParameterNarrowsTheQuery) {
  const auto q = parse({{"from", "2026-03-05"},
                        {"to", "2026-03-06T00:00:00+07:00"},
                        {"type", "ORU^R01"},
                        {"control_id", "C1"},
                        {"patient_id", "P1"},
                        {"status", "rejected"},
                        {"source", "lis"},
                        {"limit", "500"},
                        {"before_id", "42"}});
  ASSERT_TRUE(q) << q.error();
  EXPECT_EQ(q->from_us, 1772643600LL * 1'000'000);
  EXPECT_EQ(q->to_us, (1772643600LL + 86400) * 1'000'000);
  EXPECT_EQ(q->message_type, "ORU^R01");
  EXPECT_EQ(q->control_id, "C1");
  EXPECT_EQ(q->patient_id, "P1");
  EXPECT_EQ(q->status, store::MessageStatus::rejected);
  EXPECT_EQ(q->source, "lis");
  EXPECT_EQ(q->limit, 500u);
  EXPECT_EQ(q->before_id, 42);
}

TEST(MessagesApiTest, DefaultsToFiftyOfEverything) {
  const auto q = parse({});
  ASSERT_TRUE(q);
  EXPECT_EQ(q->limit, kDefaultMessageLimit);
  EXPECT_FALSE(q->from_us || q->to_us || q->message_type || q->status || q->before_id);
}

TEST(MessagesApiTest, ErrorsNameTheParameter) {
  const std::pair<QueryParams, std::string> cases[] = {
      {{{"limit", "0"}}, "'limit'"},
      {{{"limit", "501"}}, "'limit'"},
      {{{"limit", "ten"}}, "'limit'"},
      {{{"limit", "5x"}}, "'limit'"},
      {{{"before_id", "-3"}}, "'before_id'"},
      {{{"status", "done"}}, "'status'"},
      {{{"from", "yesterday"}}, "'from'"},
      {{{"to", "2026-02-30"}}, "'to'"},
      {{{"from", "2026-03-06"}, {"to", "2026-03-05"}}, "'to'"},
      {{{"patient", "P1"}}, "unknown parameter 'patient'"},
  };
  for (const auto& [params, named] : cases) {
    const auto q = parse(params);
    ASSERT_FALSE(q) << named;
    EXPECT_NE(q.error().find(named), std::string::npos) << q.error();
  }
}

store::StoredMessage stored(std::int64_t id, std::string raw) {
  store::StoredMessage m;
  m.id = id;
  m.message.raw = std::move(raw);
  m.message.received_at_us = 1772673300LL * 1'000'000;
  m.updated_at_us = m.message.received_at_us + 5000;
  m.message.source = "lis";
  m.message.peer = "10.0.0.5:40000";
  m.message.control_id = "C1";
  m.message.sending_application = "LIS";
  m.message.sending_facility = "LAB";
  m.message.message_type = "ORU^R01";
  m.message.patient_id = "P1";
  m.message.status = store::MessageStatus::processed;
  return m;
}

TEST(MessagesApiTest, SummaryHasTheJournalFieldsAndNoRawText) {
  const auto j = message_summary(stored(7, "MSH|secret"), hanoi());
  EXPECT_EQ(j.dump(), R"({"id":7,"received_at":"2026-03-05T08:15:00.000+07:00",)"
                      R"("updated_at":"2026-03-05T08:15:00.005+07:00","source":"lis",)"
                      R"("peer":"10.0.0.5:40000","control_id":"C1","sending_application":"LIS",)"
                      R"("sending_facility":"LAB","type":"ORU^R01","patient_id":"P1",)"
                      R"("status":"processed","error":"","duplicate_of":null})");
}

TEST(MessagesApiTest, AFullPageSaysWhereTheNextOneStarts) {
  const std::vector<store::StoredMessage> page{stored(9, ""), stored(8, "")};
  EXPECT_EQ(message_list(page, 2, hanoi())["next_before_id"], 8);
  EXPECT_TRUE(message_list(page, 3, hanoi())["next_before_id"].is_null());
  EXPECT_EQ(message_list(page, 3, hanoi())["count"], 2);
  EXPECT_TRUE(message_list({}, 1, hanoi())["next_before_id"].is_null());
}

TEST(MessagesApiTest, DetailCarriesTheRawTextAndBase64WhenItIsNotUtf8) {
  const auto utf8 = message_detail(stored(1, "MSH|^~\\&|NGUY\xE1\xBB\x84N\r"), hanoi());
  EXPECT_EQ(utf8["raw"], "MSH|^~\\&|NGUY\xE1\xBB\x84N\r");
  EXPECT_FALSE(utf8.contains("raw_base64"));
  const auto latin = message_detail(stored(2, std::string("MSH|\xE9\r", 6)), hanoi());
  EXPECT_EQ(latin["raw_base64"], "TVNIfOkN");
}

}  // namespace
}  // namespace hisbridge::admin

// The traffic of a simulated span: reproducible from the seed, in time order, inside the span,
// counted as handed out, with malformed and corrected messages at their rates, and UTF-8 text
// declared as such in MSH-18.
#include "engine/simulate/traffic_generator.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine/hl7/read_message.hpp"

namespace hisbridge::simulate {
namespace {

constexpr SimTime kStart = 1772643600;  // 2026-03-05T00:00:00+07:00

SimulationOptions day(std::uint64_t seed) {
  SimulationOptions o;
  o.seed = seed;
  o.hospitals = 2;
  o.patients_per_day = 300;
  o.start = kStart;
  o.duration = kDay;
  return o;
}

std::vector<Outgoing> drain(TrafficGenerator& traffic) {
  std::vector<Outgoing> out;
  while (auto m = traffic.next()) {
    out.push_back(std::move(*m));
  }
  return out;
}

std::vector<Outgoing> drain(const SimulationOptions& options) {
  TrafficGenerator traffic(options);
  return drain(traffic);
}

TEST(TrafficGeneratorTest, TheSameSeedGivesTheSameBytes) {
  const std::vector<Outgoing> a = drain(day(42));
  const std::vector<Outgoing> b = drain(day(42));
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].bytes, b[i].bytes) << "message " << i;
    ASSERT_EQ(a[i].at, b[i].at);
    ASSERT_EQ(a[i].destination, b[i].destination);
  }
  const std::vector<Outgoing> c = drain(day(43));
  EXPECT_NE(a.front().bytes, c.front().bytes);
}

TEST(TrafficGeneratorTest, MessagesComeInTimeOrderInsideTheSpan) {
  SimulationOptions options = day(5);
  options.start = kStart + 9 * kHour + 17 * kMinute;  // mid-morning, not on a day boundary
  options.duration = 30 * kHour;
  const std::vector<Outgoing> messages = drain(options);
  ASSERT_FALSE(messages.empty());
  std::set<std::string> control_ids;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    EXPECT_GE(messages[i].at, options.start);
    EXPECT_LT(messages[i].at, options.start + options.duration);
    if (i > 0) {
      EXPECT_LE(messages[i - 1].at, messages[i].at);
    }
    EXPECT_TRUE(control_ids.insert(messages[i].control_id).second) << messages[i].control_id;
  }
  // Both days' morning peaks are in: about 300 registrations a day for each hospital.
  std::size_t registrations = 0;
  for (const Outgoing& m : messages) {
    registrations += m.step == Step::registration ? 1 : 0;
  }
  EXPECT_GT(registrations, 2 * 300);
  EXPECT_LT(registrations, 4 * 300);
}

TEST(TrafficGeneratorTest, EachVisitsMessagesFollowItsSteps) {
  const std::vector<Outgoing> messages = drain(day(11));
  std::map<std::string, std::vector<Step>> by_order;
  std::set<std::string> registered;
  for (const Outgoing& m : messages) {
    if (m.step == Step::registration) {
      registered.insert(m.visit_no);
    } else {
      EXPECT_TRUE(registered.contains(m.visit_no)) << "an order before its registration";
      by_order[m.order_no].push_back(m.step);
    }
  }
  for (const auto& [order, steps] : by_order) {
    for (std::size_t i = 1; i < steps.size(); ++i) {
      EXPECT_LT(steps[i - 1], steps[i]) << order;
    }
  }
}

TEST(TrafficGeneratorTest, CountsMatchWhatWasHandedOut) {
  TrafficGenerator traffic(day(3));
  const std::vector<Outgoing> messages = drain(traffic);
  const TrafficCounts& c = traffic.counts();
  EXPECT_EQ(c.messages, messages.size());
  EXPECT_EQ(c.lis + c.ris, messages.size());
  std::size_t malformed = 0;
  std::size_t finals = 0;
  for (const Outgoing& m : messages) {
    malformed += m.malformed ? 1 : 0;
    finals += m.step == Step::lab_final ? 1 : 0;
  }
  EXPECT_EQ(c.malformed, malformed);
  EXPECT_EQ(c.step(Step::lab_final), finals);
  EXPECT_EQ(c.step(Step::registration), c.visits);
}

TEST(TrafficGeneratorTest, MalformedAndCorrectedMessagesComeAtTheirRates) {
  SimulationOptions options = day(99);
  options.malformed_rate = 0.02;
  options.corrected_rate = 0.1;
  TrafficGenerator traffic(options);
  const std::vector<Outgoing> messages = drain(traffic);
  const TrafficCounts& c = traffic.counts();
  ASSERT_GT(c.messages, 3000u);
  EXPECT_NEAR(static_cast<double>(c.malformed) / static_cast<double>(c.messages), 0.02, 0.006);
  const double finals = static_cast<double>(c.step(Step::lab_final) + c.step(Step::rad_final));
  const double corrected =
      static_cast<double>(c.step(Step::lab_corrected) + c.step(Step::rad_corrected));
  EXPECT_NEAR(corrected / finals, 0.1, 0.03);
  std::set<std::string> kinds;
  for (const Outgoing& m : messages) {
    if (m.malformed) {
      kinds.insert(m.malformed_kind);
      // The engine's own reader refuses it: ingest answers AR.
      EXPECT_FALSE(hl7::read_message(m.bytes, {})) << m.malformed_kind;
    } else {
      EXPECT_TRUE(hl7::read_message(m.bytes, {})) << m.control_id;
    }
  }
  EXPECT_EQ(kinds.size(), 3u);

  options.malformed_rate = 0;
  options.corrected_rate = 0;
  TrafficGenerator clean(options);
  drain(clean);
  EXPECT_EQ(clean.counts().malformed, 0u);
  EXPECT_EQ(clean.counts().step(Step::lab_corrected), 0u);
}

TEST(TrafficGeneratorTest, VietnameseTextGoesOutAsDeclaredUtf8) {
  const std::vector<Outgoing> messages = drain(day(1));
  std::size_t with_text = 0;
  for (const Outgoing& m : messages) {
    if (m.malformed) {
      continue;
    }
    ASSERT_NE(m.bytes.find("|VNM|UNICODE UTF-8\r"), std::string::npos) << m.control_id;
    auto parsed = hl7::read_message(m.bytes, {});
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->header().charset, "UNICODE UTF-8");
    if (m.step == Step::registration) {
      const std::string department = parsed->get("PV1-3.9").value();
      EXPECT_TRUE(department.starts_with("Khoa ")) << department;
      if (department.find("\xE1\xBB") != std::string::npos ||
          department.find("\xC3") != std::string::npos) {
        ++with_text;
      }
    }
  }
  EXPECT_GT(with_text, 0u);  // Khoa Khám bệnh, Khoa Cấp cứu, Khoa Nội...
}

}  // namespace
}  // namespace hisbridge::simulate

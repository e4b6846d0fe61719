// A mapping's output owns every text its values show: they stay right when the message's bytes
// are gone, in a copy or a move of the output, and in an output mapped into again.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "engine/hl7/message.hpp"
#include "engine/mapping/mapping.hpp"
#include "engine/mapping/mapping_loader.hpp"
#include "engine/mapping/output_json.hpp"

namespace hisbridge::mapping {
namespace {

// Every way a value is made: as the message holds it, decoded, joined, converted, re-cased,
// a constant, a default, a definition, a column, and an event.
constexpr std::string_view kMapping = R"({
  "define": {"order_no": {"coalesce": ["ORC-2.1", "OBR-2.1"]}},
  "records": [{
    "table": "his_result", "for_each": ["OBR", "OBX"], "key": ["order_no", "test_code"],
    "columns": {
      "order_no": {"use": "order_no"},
      "test_code": "OBX-3.1",
      "test_name": "OBX-3.2",
      "value": "OBX-5",
      "label": {"concat": ["OBX-3.1", "OBX-6.1"], "separator": " / "},
      "observed_at": {"path": "OBX-14", "transform": ["datetime"]},
      "flag": {"path": "OBX-8", "transform": ["upper"]},
      "discipline": {"const": "LAB"},
      "status": {"path": "OBX-11", "transform": [{"default": "F"}]},
      "again": {"column": "test_code"}
    },
    "events": [{"kind": "final", "time": {"column": "observed_at"}}]
  }]
})";

std::string message_text(std::string_view test, std::string_view value) {
  return "MSH|^~\\&|LIS|BV|HIS|BV|20261201081500+0700||ORU^R01|C1|P|2.5\r"
         "PID|1||BN001||Nguyễn^Thị^Hoa\r"
         "OBR|1|SL25003209||CBC\r"
         "OBX|1|NM|" + std::string(test) + "^Huyết sắc tố||" + std::string(value) +
         "|g/L|120-160|l|||F|||20261201080000\r"
         "OBX|2|ST|NOTE^Ghi chú||Âm tính\\.br\\(cặn: 0-2 BC/vi trường)|||n||||||20261201080500\r";
}

class MappingOutputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto program = load_mapping_text(kMapping, "output.json");
    ASSERT_TRUE(program) << program.error().front().to_string();
    mapping_ = std::make_shared<const Mapping>(*program);
  }

  // Maps `text` into `out` with the mapping's evaluator, from bytes that are then overwritten
  // and freed, with the parsed message: what `out` shows must be its own.
  void map_and_forget(const std::string& text, MappingOutput& out) {
    auto bytes = std::make_unique<std::string>(text);
    {
      auto message = hl7::Message::parse(*bytes);
      ASSERT_TRUE(message);
      ASSERT_TRUE(mapping_->apply(*message, evaluator(), out));
    }
    std::fill(bytes->begin(), bytes->end(), '#');
    bytes.reset();
  }

  Evaluator& evaluator() {
    if (!evaluator_) {
      evaluator_.emplace(mapping_->program());
    }
    return *evaluator_;
  }

  // What a new output gives for `text`.
  std::string expected(const std::string& text) {
    auto message = hl7::Message::parse(text);
    auto out = mapping_->apply(*message);
    EXPECT_TRUE(out);
    return to_json(*out).dump();
  }

  std::shared_ptr<const Mapping> mapping_;
  std::optional<Evaluator> evaluator_;
};

TEST_F(MappingOutputTest, ValuesOutliveTheMessageTheyCameFrom) {
  const std::string text = message_text("718-7", "118");
  MappingOutput out;
  map_and_forget(text, out);
  EXPECT_EQ(to_json(out).dump(), expected(text));
  ASSERT_EQ(out.records.size(), 2U);
  EXPECT_EQ(out.records[0].get("test_name").text, "Huyết sắc tố");
  EXPECT_EQ(out.records[0].get("label").text, "718-7 / g/L");
  EXPECT_EQ(out.records[0].get("observed_at").text, "2026-12-01T08:00:00+07:00");
  EXPECT_EQ(out.records[0].get("flag").text, "L");
  EXPECT_EQ(out.records[0].get("status").text, "F");
  EXPECT_EQ(out.records[1].get("value").text, "Âm tính\n(cặn: 0-2 BC/vi trường)");
  EXPECT_EQ(out.records[1].get("status").text, "F");  // the default
  EXPECT_EQ(out.records[1].get("order_no").text, "SL25003209");
  ASSERT_EQ(out.events.size(), 2U);
  EXPECT_EQ(out.events[1].time, "2026-12-01T08:05:00+07:00");
}

TEST_F(MappingOutputTest, ACopyKeepsItsTextsWhenTheOriginalIsMappedAgainOrGone) {
  const std::string first = message_text("718-7", "118");
  const std::string second = message_text("4544-3", "0.362");
  auto original = std::make_unique<MappingOutput>();
  map_and_forget(first, *original);
  const MappingOutput copy(*original);
  MappingOutput assigned;
  map_and_forget(second, assigned);
  assigned = *original;
  // The original, mapped into again, then destroyed: the copies still show the first message.
  map_and_forget(second, *original);
  EXPECT_EQ(to_json(*original).dump(), expected(second));
  original.reset();
  EXPECT_EQ(to_json(copy).dump(), expected(first));
  EXPECT_EQ(to_json(assigned).dump(), expected(first));
}

TEST_F(MappingOutputTest, AMovedOutputKeepsItsTexts) {
  const std::string text = message_text("718-7", "118");
  MappingOutput out;
  map_and_forget(text, out);
  MappingOutput moved(std::move(out));
  EXPECT_EQ(to_json(moved).dump(), expected(text));
  MappingOutput assigned;
  assigned = std::move(moved);
  EXPECT_EQ(to_json(assigned).dump(), expected(text));
}

TEST_F(MappingOutputTest, MessagesMappedOneAfterAnotherIntoOneOutputEachGiveTheirOwn) {
  MappingOutput out;
  for (int round = 0; round < 3; ++round) {
    for (const auto& [test, value] : {std::pair{"718-7", "118"}, std::pair{"4544-3", "0.362"},
                                      std::pair{"787-2", "87.9"}}) {
      const std::string text = message_text(test, value);
      map_and_forget(text, out);
      ASSERT_EQ(to_json(out).dump(), expected(text)) << test << " round " << round;
    }
  }
}

}  // namespace
}  // namespace hisbridge::mapping

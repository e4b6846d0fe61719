// Mapping::apply with an output the caller keeps from message to message: whatever the last
// message left in it (more or fewer records and events, other tables, fields now empty), the
// result is the same as a new output's.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "engine/hl7/read_message.hpp"
#include "engine/mapping/mapping.hpp"
#include "engine/mapping/output_json.hpp"
#include "tests/support/read_file.hpp"

namespace hisbridge::mapping {
namespace {

namespace fs = std::filesystem;
using testing_support::read_file;

const fs::path kFixtures = HISBRIDGE_FIXTURES_DIR;
const fs::path kMappings = kFixtures.parent_path().parent_path() / "mappings";

// Every HL7 v2 message (ER7 or v2.xml) among the fixtures and the shared samples, in a fixed order.
std::vector<std::string> messages() {
  std::vector<fs::path> files;
  for (const fs::path& dir : {kFixtures, fs::path(HISBRIDGE_SAMPLES_DIR)}) {
    if (fs::is_directory(dir)) {
      for (const auto& entry : fs::recursive_directory_iterator(dir)) {
        if (entry.is_regular_file()) {
          files.push_back(entry.path());
        }
      }
    }
  }
  std::sort(files.begin(), files.end());
  std::vector<std::string> out;
  for (const fs::path& file : files) {
    std::string bytes = read_file(file);
    if (hl7::read_message(bytes, {})) {
      out.push_back(std::move(bytes));
    }
  }
  return out;
}

// messages(), read: `parsed` views the bytes `raw` keeps.
struct ReadMessages {
  std::vector<std::string> raw;
  std::vector<hl7::Message> parsed;
};

ReadMessages read_messages() {
  ReadMessages out{messages(), {}};
  for (const std::string& bytes : out.raw) {
    out.parsed.push_back(*hl7::read_message(bytes, {}));
  }
  return out;
}

// The stock mappings a router serves side by side; empty when one does not load.
constexpr const char* kStockMappings[] = {"lis-stock.json", "ris-stock.json", "xml130-lis.json"};

std::vector<std::shared_ptr<const Mapping>> stock_mappings() {
  std::vector<std::shared_ptr<const Mapping>> out;
  for (const char* file : kStockMappings) {
    auto mapping = Mapping::load(kMappings / file);
    if (!mapping) {
      ADD_FAILURE() << file << " does not load";
      return {};
    }
    out.push_back(*mapping);
  }
  return out;
}

// The output of a new Evaluator and output, as `hisbridge map` prints it.
std::string fresh(const Mapping& mapping, const hl7::Message& message) {
  Evaluator evaluator(mapping.program());
  auto out = mapping.apply(message, evaluator);
  return out ? to_json(*out).dump() : "error: " + out.error().reason;
}

// The output of Mapping::apply(message), which maps with the Evaluator this thread keeps.
std::string kept(const Mapping& mapping, const hl7::Message& message) {
  auto out = mapping.apply(message);
  return out ? to_json(*out).dump() : "error: " + out.error().reason;
}

std::string reused(const Mapping& mapping, const hl7::Message& message, Evaluator& evaluator,
                   MappingOutput& out) {
  auto ok = mapping.apply(message, evaluator, out);
  return ok ? to_json(out).dump() : "error: " + ok.error().reason;
}

class ReusedOutputTest : public testing::TestWithParam<const char*> {};

TEST_P(ReusedOutputTest, MapsEveryMessageAsANewOutputWould) {
  auto mapping = Mapping::load(kMappings / GetParam());
  ASSERT_TRUE(mapping);
  const ReadMessages read = read_messages();
  const std::vector<hl7::Message>& parsed = read.parsed;
  ASSERT_GT(parsed.size(), 20u);
  Evaluator evaluator((*mapping)->program());
  MappingOutput out;
  std::size_t mapped = 0;
  // Forwards, then backwards: every message follows others of another shape, and failures
  // leave partial outputs behind them.
  for (int pass = 0; pass < 2; ++pass) {
    for (std::size_t k = 0; k < parsed.size(); ++k) {
      const std::size_t i = pass == 0 ? k : parsed.size() - 1 - k;
      const std::string expected = fresh(**mapping, parsed[i]);
      EXPECT_EQ(reused(**mapping, parsed[i], evaluator, out), expected) << "message " << i;
      mapped += expected.starts_with("error: ") ? 0u : 1u;
    }
  }
  EXPECT_GT(mapped, 0u);
}

INSTANTIATE_TEST_SUITE_P(StockMappings, ReusedOutputTest,
                         testing::ValuesIn(kStockMappings));

// Mapping::apply(message) maps with an Evaluator the thread keeps per mapping: message after
// message, mapping after mapping (three at once, as a router thread serving three channels),
// and across a reload that drops the Mapping it was made for, it gives what a new one gives.
TEST(ThreadEvaluatorTest, MapsAsANewEvaluatorWould) {
  const ReadMessages read = read_messages();
  const std::vector<hl7::Message>& parsed = read.parsed;
  std::vector<std::shared_ptr<const Mapping>> mappings = stock_mappings();
  ASSERT_FALSE(mappings.empty());
  std::size_t compared = 0;
  for (int pass = 0; pass < 2; ++pass) {
    for (std::size_t i = 0; i < parsed.size(); ++i) {
      for (const auto& mapping : mappings) {
        EXPECT_EQ(kept(*mapping, parsed[i]), fresh(*mapping, parsed[i]))
            << mapping->name() << ", message " << i << ", pass " << pass;
        ++compared;
      }
    }
    // A reload: each Mapping replaced by one loaded again from its file.
    for (auto& mapping : mappings) {
      auto again = Mapping::load(mapping->program().file);
      ASSERT_TRUE(again);
      mapping = *again;
    }
  }
  EXPECT_EQ(compared, 6 * parsed.size());
}

// Values may view their mapping's own texts (constants, table cells, `map` values, event kinds):
// an output keeps its program alive after a reload has dropped the Mapping and the thread's
// evaluator has let the program go, and still reads as it did (under ASan a view into a freed
// program is an error).
TEST(MappingOutputLifetimeTest, AnOutputOutlivesItsMappingAcrossAReload) {
  const ReadMessages read = read_messages();
  const std::vector<hl7::Message>& parsed = read.parsed;
  std::vector<std::shared_ptr<const Mapping>> mappings = stock_mappings();
  ASSERT_FALSE(mappings.empty());
  std::vector<MappingOutput> outputs;
  std::vector<std::string> printed;
  std::vector<std::weak_ptr<const void>> programs;
  for (const auto& mapping : mappings) {
    for (const hl7::Message& message : parsed) {
      auto out = mapping->apply(message);  // with the evaluator this thread keeps
      if (out) {
        printed.push_back(to_json(*out).dump());
        outputs.push_back(std::move(*out));
      }
    }
    ASSERT_FALSE(outputs.empty());
    programs.push_back(outputs.back().program);
  }
  ASSERT_GT(outputs.size(), parsed.size());
  // A message of each mapping maps a constant, a `map` value or a table cell, or an event.
  const auto has_event = [](const MappingOutput& o) { return !o.events.empty(); };
  ASSERT_TRUE(std::any_of(outputs.begin(), outputs.end(), has_event));
  // Whatever maps anew on this thread lets go the evaluators of the programs only it holds.
  const auto map_with_new_mappings = [&] {
    for (const auto& mapping : stock_mappings()) {
      static_cast<void>(mapping->apply(parsed.front()));  // mapped or not, it asked
    }
  };
  mappings.clear();  // the reload
  map_with_new_mappings();
  for (const auto& program : programs) {
    EXPECT_FALSE(program.expired());  // the outputs hold them
  }
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    EXPECT_EQ(to_json(outputs[i]).dump(), printed[i]) << "output " << i;
  }
  outputs.clear();
  map_with_new_mappings();
  for (const auto& program : programs) {
    EXPECT_TRUE(program.expired()) << "a program held past its outputs";
  }
}

// Mapping::apply_into, as the router and the delivery workers call it: one output kept per
// mapping on one thread, three mappings in turn (a router serving three channels), forwards
// then backwards over every message: each output is what a new one would hold.
TEST(ApplyIntoTest, MapsEveryMessageAsANewOutputWould) {
  const ReadMessages read = read_messages();
  const std::vector<hl7::Message>& parsed = read.parsed;
  const std::vector<std::shared_ptr<const Mapping>> mappings = stock_mappings();
  ASSERT_FALSE(mappings.empty());
  std::vector<MappingOutput> outputs(mappings.size());
  std::size_t mapped = 0;
  for (int pass = 0; pass < 2; ++pass) {
    for (std::size_t k = 0; k < parsed.size(); ++k) {
      const hl7::Message& message = parsed[pass == 0 ? k : parsed.size() - 1 - k];
      for (std::size_t m = 0; m < mappings.size(); ++m) {
        auto ok = mappings[m]->apply_into(message, outputs[m]);
        const std::string got = ok ? to_json(outputs[m]).dump() : "error: " + ok.error().reason;
        const std::string expected = fresh(*mappings[m], message);
        EXPECT_EQ(got, expected) << mappings[m]->name() << ", message " << k << ", pass " << pass;
        mapped += ok ? 1u : 0u;
      }
    }
  }
  EXPECT_GT(mapped, parsed.size());
}

// The same for an xml mapping, which reads the raw bytes: what apply() gives, failures
// included, whatever the document before it left in the output.
TEST(ApplyIntoTest, MapsVendorXmlAsApplyDoes) {
  auto mapping = Mapping::load(kMappings / "lis-vendor-xml.json");
  ASSERT_TRUE(mapping);
  std::vector<std::string> documents;
  for (const char* name : {"ketqua-cong-thuc-mau.xml", "ketqua-sinh-hoa.xml",
                           "ketqua-ma-la.xml", "ketqua-hieu-chinh.xml"}) {
    documents.push_back(read_file(kFixtures / "mapping" / "vendor-xml" / name));
    ASSERT_FALSE(documents.back().empty()) << name;
  }
  MappingOutput out;
  std::size_t mapped = 0;
  for (const std::string& document : documents) {
    auto expected = (*mapping)->apply(document);
    auto got = (*mapping)->apply_into(document, out);
    ASSERT_EQ(static_cast<bool>(got), static_cast<bool>(expected));
    if (expected) {
      EXPECT_EQ(to_json(out).dump(), to_json(*expected).dump());
      ++mapped;
    } else {
      EXPECT_EQ(got.error().reason, expected.error().reason);  // a code no table knows
    }
    EXPECT_FALSE((*mapping)->apply_into(std::string_view("<not-closed>"), out));
  }
  EXPECT_GE(mapped, 3u);
}

// An event field the earlier message had and this one lacks is empty, not left over.
TEST(ReusedOutputTest, FieldsAbsentFromTheNextMessageAreEmpty) {
  auto mapping = Mapping::load(kMappings / "lis-stock.json");
  ASSERT_TRUE(mapping);
  const std::string with_visit =
      "MSH|^~\\&|LIS|BV|HIS|BV|20260305081500+0700||ORU^R01|C1|P|2.5\r"
      "PID|1||P1^^^BV^PI\rPV1|1|O|KNOI^P2^1||||||||||||||||V1\r"
      "ORC|RE|A1^HIS|||CM||^^^^^S||20260305074500\r"
      "OBR|1|A1^HIS||GLU^Glucose|||20260305080200|||||||20260305081744||||||||20260305095900|||F\r"
      "OBX|1|NM|GLU^Glucose||5.1|mmol/L|||||F|||20260305095211\r";
  const std::string without_visit =
      "MSH|^~\\&|LIS|BV|HIS|BV|20260305081500+0700||ORU^R01|C2|P|2.5\r"
      "PID|1||P2^^^BV^PI\r"
      "OBR|1|A2^HIS||NA^Natri||||||||||||||||||20260305101500|||F\r"
      "OBX|1|NM|NA^Natri||138|mmol/L|||||F\r";
  auto first = hl7::Message::parse(with_visit);
  auto second = hl7::Message::parse(without_visit);
  ASSERT_TRUE(first && second);
  Evaluator evaluator((*mapping)->program());
  MappingOutput out;
  ASSERT_TRUE((*mapping)->apply(*first, evaluator, out));
  ASSERT_FALSE(out.events.empty());
  EXPECT_EQ(out.events.front().department, "KNOI");
  ASSERT_TRUE((*mapping)->apply(*second, evaluator, out));
  EXPECT_EQ(to_json(out).dump(), fresh(**mapping, *second));
  ASSERT_EQ(out.events.size(), 1u);
  EXPECT_EQ(out.events.front().kind, "final");
  EXPECT_EQ(out.events.front().department, "");
  EXPECT_EQ(out.events.front().visit_id, "");
}

// Evaluator::map appends to what the output holds; map_into replaces it.
TEST(ReusedOutputTest, MapAppendsAndMapIntoReplaces) {
  auto mapping = Mapping::load(kMappings / "lis-stock.json");
  ASSERT_TRUE(mapping);
  const std::string raw =
      "MSH|^~\\&|LIS|BV|HIS|BV|20260305081500+0700||ORU^R01|C1|P|2.5\r"
      "PID|1||P1^^^BV^PI\rOBR|1|A1^HIS||GLU^Glucose\rOBX|1|NM|GLU^Glucose||5.1\r";
  auto message = hl7::Message::parse(raw);
  ASSERT_TRUE(message);
  Evaluator evaluator((*mapping)->program());
  MappingOutput out;
  ASSERT_TRUE(evaluator.map(*message, out));
  const std::size_t one = out.records.size();
  ASSERT_GT(one, 0u);
  ASSERT_TRUE(evaluator.map(*message, out));
  EXPECT_EQ(out.records.size(), 2 * one);
  ASSERT_TRUE(evaluator.map_into(*message, out));
  EXPECT_EQ(out.records.size(), one);
  EXPECT_EQ(to_json(out).dump(), fresh(**mapping, *message));
}

}  // namespace
}  // namespace hisbridge::mapping

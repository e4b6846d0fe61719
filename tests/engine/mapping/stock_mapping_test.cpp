// The stock mappings (mappings/*.json) on the project's fixtures and the shared samples.
//
// Every message under tests/fixtures/mapping/ has a reviewed `<name>.expected.json` beside it
// (what was checked by hand is noted at its top): the mapping's output must be exactly that,
// column order included. The HL7 v2.xml twin of an ER7 message and the vendor XML twin of an
// ORU^R01 share their partner's expected file. The shared samples have no expected output: each
// LIS-type message must map, or fail with a reason; the tally is printed.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/regex.hpp>
#include <nlohmann/json.hpp>

#include "engine/hl7/batch.hpp"
#include "engine/hl7/read_message.hpp"
#include "engine/mapping/mapping.hpp"
#include "engine/mapping/output_json.hpp"
#include "tests/support/read_file.hpp"

namespace hisbridge::mapping {
namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;
using testing_support::read_file;

const fs::path kFixtures = fs::path(HISBRIDGE_FIXTURES_DIR) / "mapping";
const fs::path kMappings = fs::path(HISBRIDGE_FIXTURES_DIR).parent_path().parent_path() / "mappings";

// Loaded once per mapping file; a mapping that does not load fails every test that uses it.
std::shared_ptr<const Mapping> stock(const std::string& name) {
  static std::map<std::string, std::shared_ptr<const Mapping>> loaded;
  if (const auto it = loaded.find(name); it != loaded.end()) {
    return it->second;
  }
  auto mapping = Mapping::load(kMappings / name);
  if (!mapping) {
    for (const auto& e : mapping.error()) {
      ADD_FAILURE() << e.to_string();
    }
    return nullptr;
  }
  return loaded[name] = *mapping;
}

// What `hisbridge map` prints for one message: the records and events, or the error.
ordered_json mapped(const Mapping& mapping, const std::string& message) {
  auto out = mapping.apply(message);
  if (!out) {
    return {{"error", out.error().reason}};
  }
  return to_json(*out);
}

// The stock mapping a fixture goes through: by folder, and in vendor-xml/ by extension (the
// .hl7 there is the ORU^R01 twin of the vendor file, for the stock LIS mapping).
std::string mapping_for(const fs::path& fixture) {
  const std::string folder = fixture.parent_path().filename().string();
  if (folder == "ris") {
    return "ris-stock.json";
  }
  if (folder == "vendor-xml" && fixture.extension() == ".xml") {
    return "lis-vendor-xml.json";
  }
  return "lis-stock.json";
}

std::vector<fs::path> fixture_messages() {
  std::vector<fs::path> files;
  for (const char* folder : {"lis", "ris", "vendor-xml"}) {
    for (const auto& entry : fs::directory_iterator(kFixtures / folder)) {
      const fs::path& p = entry.path();
      if (p.extension() == ".hl7" || p.extension() == ".xml") {
        files.push_back(p);
      }
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

fs::path expected_file(const fs::path& fixture) {
  return fixture.parent_path() / (fixture.stem().string() + ".expected.json");
}

const ordered_json* find_record(const ordered_json& out, std::string_view table) {
  for (const auto& r : out["records"]) {
    if (r["table"] == table) {
      return &r;
    }
  }
  return nullptr;
}

std::vector<std::string> event_kinds(const ordered_json& out) {
  std::vector<std::string> kinds;
  for (const auto& e : out["events"]) {
    kinds.push_back(e["kind"].get<std::string>());
  }
  return kinds;
}

TEST(StockMappingTest, StockMappingsLoad) {
  for (const char* name : {"lis-stock.json", "ris-stock.json", "lis-vendor-xml.json"}) {
    SCOPED_TRACE(name);
    const auto mapping = stock(name);
    ASSERT_NE(mapping, nullptr);
    EXPECT_FALSE(mapping->program().records.empty());
  }
  EXPECT_EQ(stock("lis-stock.json")->program().discipline, "LAB");
  EXPECT_EQ(stock("ris-stock.json")->program().discipline, "RAD");
  EXPECT_EQ(stock("lis-vendor-xml.json")->program().input, Program::Input::xml);
}

TEST(StockMappingTest, EveryFixtureGivesItsReviewedOutput) {
  const auto files = fixture_messages();
  ASSERT_GE(files.size(), 21U);
  for (const fs::path& file : files) {
    SCOPED_TRACE(file.string());
    const auto mapping = stock(mapping_for(file));
    ASSERT_NE(mapping, nullptr);
    const fs::path expected_path = expected_file(file);
    ASSERT_TRUE(fs::exists(expected_path)) << "no " << expected_path.filename();
    const ordered_json expected =
        ordered_json::parse(read_file(expected_path), nullptr, false, /*ignore_comments=*/true);
    ASSERT_FALSE(expected.is_discarded());
    // Compared as text so a difference shows as a diff; ordered_json keeps the column order.
    EXPECT_EQ(mapped(*mapping, read_file(file)).dump(2), expected.dump(2));
  }
}

TEST(StockMappingTest, V2xmlTwinGivesTheSameRecordsAsEr7) {
  const std::string er7 = read_file(kFixtures / "lis" / "oru-r01-hoa-escapes.hl7");
  const std::string xml = read_file(kFixtures / "lis" / "oru-r01-hoa-escapes.xml");
  ASSERT_FALSE(hl7::looks_like_xml(er7));
  ASSERT_TRUE(hl7::looks_like_xml(xml));
  const auto lis = stock("lis-stock.json");
  ASSERT_NE(lis, nullptr);
  const ordered_json from_er7 = mapped(*lis, er7);
  ASSERT_FALSE(from_er7.contains("error")) << from_er7.dump();
  EXPECT_EQ(mapped(*lis, xml), from_er7);
  EXPECT_EQ(from_er7["records"].size(), 9U);  // patient, visit, order, six results
}

TEST(StockMappingTest, VendorXmlGivesTheSameRecordsAsTheHl7Path) {
  const auto vendor = stock("lis-vendor-xml.json");
  const auto lis = stock("lis-stock.json");
  ASSERT_NE(vendor, nullptr);
  ASSERT_NE(lis, nullptr);
  const ordered_json from_xml =
      mapped(*vendor, read_file(kFixtures / "vendor-xml" / "ketqua-sinh-hoa.xml"));
  ASSERT_FALSE(from_xml.contains("error")) << from_xml.dump();
  EXPECT_EQ(from_xml, mapped(*lis, read_file(kFixtures / "vendor-xml" / "ketqua-sinh-hoa.hl7")));
}

TEST(StockMappingTest, RadStatusUpdatesKeepOrcNineOutOfOrderedAt) {
  const auto ris = stock("ris-stock.json");
  ASSERT_NE(ris, nullptr);
  const ordered_json ip = mapped(*ris, read_file(kFixtures / "ris" / "orm-o01-ct-ip.hl7"));
  const ordered_json* order = find_record(ip, "his_order");
  ASSERT_NE(order, nullptr);
  EXPECT_EQ((*order)["values"]["started_at"], "2026-03-05T09:15:00+07:00");  // ORC-9
  EXPECT_EQ((*order)["values"]["ordered_at"], "2026-03-05T08:30:00+07:00");  // OBR-6
  const ordered_json cm = mapped(*ris, read_file(kFixtures / "ris" / "orm-o01-ct-cm.hl7"));
  order = find_record(cm, "his_order");
  ASSERT_NE(order, nullptr);
  EXPECT_EQ((*order)["values"]["completed_at"], "2026-03-05T09:32:00+07:00");
  EXPECT_TRUE((*order)["values"]["ordered_at"].is_null());
  EXPECT_EQ(event_kinds(cm), std::vector<std::string>{"completed"});
  // A new order's ORC-9 is its order time.
  const ordered_json nw = mapped(*ris, read_file(kFixtures / "ris" / "orm-o01-ct-new.hl7"));
  order = find_record(nw, "his_order");
  ASSERT_NE(order, nullptr);
  EXPECT_EQ((*order)["values"]["ordered_at"], "2026-03-05T08:30:00+07:00");
}

TEST(StockMappingTest, PreliminaryFinalCorrectedReportsOfOneOrder) {
  const auto ris = stock("ris-stock.json");
  ASSERT_NE(ris, nullptr);
  const std::pair<const char*, const char*> steps[] = {
      {"oru-r01-mri-prelim.hl7", "P"}, {"oru-r01-mri-final.hl7", "F"},
      {"oru-r01-mri-corrected.hl7", "C"}};
  const char* kinds[] = {"preliminary", "final", "corrected"};
  for (std::size_t i = 0; i < 3; ++i) {
    SCOPED_TRACE(steps[i].first);
    const ordered_json out = mapped(*ris, read_file(kFixtures / "ris" / steps[i].first));
    const ordered_json* report = find_record(out, "his_report");
    ASSERT_NE(report, nullptr);
    EXPECT_EQ((*report)["key"]["order_no"], "CDHA260305-0402");
    EXPECT_EQ((*report)["values"]["status"], steps[i].second);
    EXPECT_EQ(event_kinds(out).back(), kinds[i]);
    EXPECT_EQ(out["events"].back()["time"], (*report)["values"]["reported_at"]);
    EXPECT_EQ(out["events"].back()["modality"], "MR");
  }
}

TEST(StockMappingTest, MappingTheSameMessageAgainGivesTheSameOutput) {
  // The evaluator reuses its buffers from message to message; the output must not depend on
  // what came before.
  const auto lis = stock("lis-stock.json");
  ASSERT_NE(lis, nullptr);
  const std::string oul = read_file(kFixtures / "lis" / "oul-r22-two-specimens.hl7");
  const std::string oru = read_file(kFixtures / "lis" / "oru-r01-hoa-escapes.hl7");
  auto a = hl7::read_message(oul, "");
  auto b = hl7::read_message(oru, "");
  ASSERT_TRUE(a && b);
  Evaluator evaluator(lis->program());
  const auto first = lis->apply(*a, evaluator);
  ASSERT_TRUE(first);
  ASSERT_TRUE(lis->apply(*b, evaluator));
  const auto again = lis->apply(*a, evaluator);
  ASSERT_TRUE(again);
  EXPECT_EQ(to_json(*again), to_json(*first));
}

// --- the shared samples ------------------------------------------------------------------

struct Tally {
  std::size_t messages = 0;
  std::size_t mapped = 0;
  std::map<std::string, std::size_t> failures;  // by reason, details taken out

  void print(const std::string& name) const {
    std::cout << name << ": " << messages << " messages, " << mapped << " mapped, "
              << messages - mapped << " failed\n";
    for (const auto& [reason, count] : failures) {
      std::cout << "  " << count << " x " << reason << "\n";
    }
  }
};

// A failure reason with what varies from message to message (quoted values, segment numbers)
// taken out, so that reasons group.
std::string reason_kind(const std::string& reason) {
  static const boost::regex quoted("'[^']*'");
  static const boost::regex segment("\\(segment [0-9]+, ");
  static const boost::regex offset("byte [0-9]+");
  std::string kind = boost::regex_replace(reason, quoted, "'...'");
  kind = boost::regex_replace(kind, segment, "(segment n, ");
  return boost::regex_replace(kind, offset, "byte n");
}

// Every message of the sample files whose type is one an LIS or RIS channel carries.
std::vector<std::string> lis_type_samples() {
  const fs::path samples = HISBRIDGE_SAMPLES_DIR;
  std::vector<fs::path> files;
  for (const fs::path& dir : {samples / "fhir-converter" / "hl7v2", samples / "hapi"}) {
    if (!fs::is_directory(dir)) {
      continue;
    }
    for (const auto& entry : fs::directory_iterator(dir)) {
      const auto ext = entry.path().extension();
      if (ext == ".hl7" || ext == ".txt" || ext == ".xml") {
        files.push_back(entry.path());
      }
    }
  }
  std::sort(files.begin(), files.end());
  std::vector<std::string> out;
  for (const fs::path& file : files) {
    const std::string bytes = read_file(file);
    std::vector<std::string> messages;
    if (hl7::looks_like_xml(bytes)) {
      messages.push_back(bytes);
    } else {
      for (std::string_view m : hl7::split_messages(bytes).messages) {
        messages.emplace_back(m);
      }
    }
    for (std::string& m : messages) {
      auto parsed = hl7::read_message(m, "");
      if (!parsed) {
        continue;  // not an HL7 message at all (a refused DOCTYPE, a bare MSH)
      }
      const std::string code = parsed->segment(1).field(9).component(1).value();
      if (code == "ORU" || code == "OUL" || code == "ORM" || code == "OML" || code == "ADT") {
        out.push_back(std::move(m));
      }
    }
  }
  return out;
}

Tally tally(const Mapping& mapping, const std::vector<std::string>& messages) {
  Tally t;
  for (const std::string& m : messages) {
    ++t.messages;
    auto out = mapping.apply(m);
    if (out) {
      ++t.mapped;
      continue;
    }
    // A clear reason says what could not be mapped: the message type, or table.column.
    const std::string& reason = out.error().reason;
    EXPECT_TRUE(reason.starts_with("mapping ") || reason.starts_with("his_") ||
                reason.starts_with("cannot read"))
        << reason;
    ++t.failures[reason_kind(reason)];
  }
  return t;
}

TEST(StockMappingTest, SharedSamplesMapOrFailWithAReason) {
  if (!fs::is_directory(HISBRIDGE_SAMPLES_DIR)) {
    GTEST_SKIP() << "shared samples not present";
  }
  const auto messages = lis_type_samples();
  ASSERT_GE(messages.size(), 50U);
  // The ADT^A01/A04/A08 and most results and orders of the samples map; the other ADT events
  // and the messages without a patient or an order number are refused, each with its reason.
  const std::pair<const char*, std::size_t> floors[] = {{"lis-stock.json", 40},
                                                        {"ris-stock.json", 25}};
  for (const auto& [name, floor] : floors) {
    const auto mapping = stock(name);
    ASSERT_NE(mapping, nullptr);
    const Tally t = tally(*mapping, messages);
    t.print(name);
    EXPECT_GE(t.mapped, floor) << name;
  }
}

TEST(StockMappingTest, VietnameseCorpusMapsThroughItsChannel) {
  const fs::path corpus = fs::path(HISBRIDGE_SAMPLES_DIR) / "corpus";
  if (!fs::is_directory(corpus)) {
    GTEST_SKIP() << "shared corpus not present";
  }
  std::size_t count = 0;
  for (const auto& entry : fs::directory_iterator(corpus)) {
    const std::string name = entry.path().filename().string();
    // The CT order and report go to the RIS channel; everything else to the LIS channel.
    const bool rad = name.find("-ct-") != std::string::npos;
    const auto mapping = stock(rad ? "ris-stock.json" : "lis-stock.json");
    ASSERT_NE(mapping, nullptr);
    const ordered_json out = mapped(*mapping, read_file(entry.path()));
    EXPECT_FALSE(out.contains("error")) << name << ": " << out.dump();
    EXPECT_FALSE(out["events"].empty()) << name;
    ++count;
  }
  EXPECT_GE(count, 10U);
}

}  // namespace
}  // namespace hisbridge::mapping

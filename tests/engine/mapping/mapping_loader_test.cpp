// Loading mapping files: every kind of mistake is reported with the file, line and column where
// an editor finds it (columns count bytes, as the config errors do), with a did-you-mean when a
// name is close to a known one, and all of a file's mistakes at once.
#include <gtest/gtest.h>

#include <gmock/gmock.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "engine/mapping/mapping_loader.hpp"
#include "tests/support/temp_dir.hpp"

namespace hisbridge::mapping {
namespace {

namespace fs = std::filesystem;
using testing::Contains;
using testing::ElementsAre;
using testing::IsEmpty;

// Each test's own folder, for mappings that read table files.
class MappingLoaderTest : public testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(dir_ / "tables");
    std::ofstream(dir_ / "tables" / "dv.csv") << "ma,ma_his,ten\nAU-GLU,SH-GLU,Glucose máu\n";
  }

  // The errors of `text` loaded as m.json in the test's folder, as `hisbridge` prints them
  // but without the folder: "m.json:LINE:COLUMN: message".
  std::vector<std::string> errors(std::string_view text) {
    auto loaded = load_mapping_text(text, dir_ / "m.json");
    std::vector<std::string> out;
    if (loaded) {
      return out;
    }
    const std::string prefix = (dir_ / "").string();
    for (const auto& e : loaded.error()) {
      std::string s = e.to_string();
      for (std::size_t at = s.find(prefix); at != std::string::npos; at = s.find(prefix)) {
        s.erase(at, prefix.size());
      }
      out.push_back(s);
    }
    return out;
  }

  testing_support::TempDir temp_{"hisbridge-mapping-loader"};
  const fs::path& dir_ = temp_.path();
};

TEST_F(MappingLoaderTest, AValidMappingLoads) {
  auto loaded = load_mapping_text(R"({
    "mapping": "thu", "discipline": "LAB", "messages": ["ORU^R01"],
    "tables": {"dv": "tables/dv.csv"},
    "define": {"pid": "PID-3.1"},
    "records": [{"table": "t", "key": ["k"],
      "columns": {"z": "PID-5", "k": {"use": "pid"}, "a": {"column": "z"}, "q": "ZPI-400",
                  "s": {"path": "OBR-4.1", "transform": [{"lookup": "dv", "column": "ma_his"}]}},
      "events": [{"kind": "final", "time": "OBR-22", "modality": "OBR-24"}]}]})",
                                  dir_ / "m.json");
  ASSERT_TRUE(loaded) << loaded.error().front().to_string();
  const Program& p = **loaded;
  EXPECT_EQ(p.name, "thu");
  // Columns keep the order of the file (a column may use those before it).
  EXPECT_EQ(p.records[0].shape->columns, (std::vector<std::string>{"z", "k", "a", "q", "s"}));
  EXPECT_EQ(p.records[0].shape->key, std::vector<std::size_t>{1});
  // The mapping and its tables: what hot reload watches.
  ASSERT_EQ(p.files.size(), 2U);
  EXPECT_EQ(fs::path(p.files[1]).filename(), "dv.csv");
}

TEST_F(MappingLoaderTest, NotJsonNamesWhereReadingStopped) {
  EXPECT_THAT(errors(R"({"records": [{"table": "t", "key": ["k"], "columns": {"k": "PID-3",}}]})"),
              ElementsAre("m.json:1:68: not valid JSON: syntax error while parsing object key - "
                          "unexpected '}'; expected string literal"));
}

TEST_F(MappingLoaderTest, AMissingFileCannotBeOpened) {
  auto loaded = load_mapping(dir_ / "khong-co.json");
  ASSERT_FALSE(loaded);
  ASSERT_EQ(loaded.error().size(), 1U);
  EXPECT_EQ(loaded.error()[0].line, 0U);
  EXPECT_EQ(loaded.error()[0].message, "cannot open the mapping file: No such file or directory");
}

TEST_F(MappingLoaderTest, ATableThatIsADeviceIsRefusedNotRead) {
  // A wrong path in "tables" (a device here; a FIFO would make the reload wait for ever) is an
  // error placed on the table's name, and the rest of the mapping is still checked.
  const auto e = errors(R"({"tables": {"zero": "/dev/zero", "thu-muc": "."},
 "records": [{"table": "t", "key": ["k"], "columns": {"k": "OBX-3"}}]})");
  ASSERT_EQ(e.size(), 2U);  // in the order of the tables' names
  EXPECT_EQ(e[0], "m.json:1:45: table 'thu-muc': .: cannot open: a directory");
  EXPECT_EQ(e[1], "m.json:1:21: table 'zero': /dev/zero: cannot open: not a regular file");
}

TEST_F(MappingLoaderTest, UnknownKeysSuggestTheKnownOne) {
  EXPECT_THAT(errors("{\n  \"recrods\": []\n}\n"),
              ElementsAre("m.json:2:3: unknown key 'recrods' (did you mean 'records'?)",
                          "m.json:1:1: a mapping needs 'records': a list of the rows it makes"));
  EXPECT_THAT(errors(R"({
  "records": [
    {"table": "t", "key": ["k"],
     "colums": {"k": "PID-3"}}
  ]
})"),
              Contains("m.json:4:6: unknown key 'colums' (did you mean 'columns'?)"));
  EXPECT_THAT(errors(R"({"records": [{"table": "t", "key": ["k"], "columns": {
  "k": "PID-3",
  "v": {"path": "PID-5", "transfrom": ["trim"]}
}}]})"),
              ElementsAre("m.json:3:26: unknown key 'transfrom' (did you mean 'transform'?)"));
}

TEST_F(MappingLoaderTest, UnknownTransformAndEventKindSuggestTheKnownOne) {
  EXPECT_THAT(errors(R"({"records": [{"table": "t", "key": ["k"],
  "columns": {"k": {"path": "PID-3", "transform": ["datetme"]}}}]})"),
              ElementsAre("m.json:2:52: unknown transform 'datetme' (did you mean 'datetime'?)"));
  EXPECT_THAT(errors(R"({"records": [{"table": "t", "key": ["k"], "columns": {"k": "MSH-10"},
  "events": [{"kind": "finall", "time": "OBR-22"}]}]})"),
              ElementsAre("m.json:2:23: unknown event kind 'finall' (did you mean 'final'?)"));
}

TEST_F(MappingLoaderTest, EventMistakes) {
  EXPECT_THAT(
      errors(R"({"records": [{"table": "t", "key": ["k"], "columns": {"k": "MSH-10"},
  "events": [{"time": "PID-7"}, {"kind": "final", "time": "PID-7", "modalty": "OBR-24"}]}]})"),
      ElementsAre("m.json:2:14: an event needs a 'kind'",
                  "m.json:2:68: unknown key 'modalty' in an event (kind, time, when, discipline, "
                  "order_no, visit_id, patient_id, department, priority, service_code, modality)"));
  EXPECT_THAT(errors(R"({"records": [{"table": "t", "key": ["k"], "columns": {"k": "MSH-10"},
  "events": {"kind": "final"}}]})"),
              ElementsAre("m.json:2:13: 'events' takes a list"));
}

TEST_F(MappingLoaderTest, UnknownSegmentSuggestsTheSegmentMeant) {
  EXPECT_THAT(errors(R"({"records": [{"table": "t", "key": ["k"], "columns": {"k": "PDI-3"}}]})"),
              ElementsAre("m.json:1:60: unknown segment 'PDI' in 'PDI-3' (did you mean 'PID'?)"));
  EXPECT_THAT(errors(R"({"records": [{"table": "t", "key": ["k"], "columns": {"k": "XYZ-3"}}]})"),
              ElementsAre("m.json:1:60: unknown segment 'XYZ' in 'XYZ-3'"));
}

TEST_F(MappingLoaderTest, AFieldBeyondTheSegmentsFieldsIsATypo) {
  EXPECT_THAT(errors(R"({"records": [{"table": "t", "key": ["k"], "columns": {"k": "PID-300"}}]})"),
              ElementsAre("m.json:1:60: 'PID-300': PID has 40 fields at most (HL7 v2.3 to v2.8)"));
}

TEST_F(MappingLoaderTest, PathMistakes) {
  const auto e = errors(R"({"records": [{"table": "t", "key": ["k"],
  "for_each": ["ORC+OBR", "OBXX"],
  "columns": {
    "k": "PID",
    "a": "PID5",
    "b": {"path": "PID-3", "get": "1"},
    "c": {"path": "PID-3", "separator": ","},
    "w": {"path": "PID-3", "where": {"in": ["MR"]}}
  }}]})");
  EXPECT_THAT(e, ElementsAre(
      "m.json:2:27: 'OBXX' is not a segment id (for_each takes \"OBX\", or \"ORC+OBR\" to count "
      "an ORC just before its OBR in the group)",
      "m.json:4:10: 'PID' names a whole segment; a value needs a field, e.g. PID-1",
      "m.json:5:10: 'PID5' is not an HL7 path ((byte 3): invalid HL7 path: 'PID5': expected '-' "
      "and a field number); write it like PID-5.1 or OBX-3.2, or {\"const\": \"PID5\"} for a "
      "fixed text",
      "m.json:6:28: 'get' reads inside the repetition 'where' picked; without 'where' write the "
      "component in the path",
      "m.json:7:28: 'separator' goes with concat, collect, not 'path'",
      "m.json:8:37: 'where' needs a 'component' number (e.g. 5 for CX-5)"));
}

TEST_F(MappingLoaderTest, TableMistakes) {
  const auto e = errors(R"({"tables": {"dv": "tables/dv.csv", "thieu": "tables/khong-co.csv"},
 "records": [{"table": "t", "key": ["k"], "columns": {
   "k": {"path": "OBX-3", "transform": [{"lookup": "dv", "column": "ma_hiss"}]},
   "v": {"path": "OBX-3", "transform": [{"lookup": "nope", "column": "x"}]}
 }}]})");
  ASSERT_EQ(e.size(), 3U);
  EXPECT_TRUE(e[0].starts_with("m.json:1:45: table 'thieu': ")) << e[0];
  EXPECT_TRUE(e[0].ends_with("tables/khong-co.csv: cannot open: No such file or directory")) << e[0];
  EXPECT_EQ(e[1], "m.json:3:68: table 'dv' has no column 'ma_hiss'");
  EXPECT_EQ(e[2], "m.json:4:52: no table named 'nope' in 'tables'");
}

TEST_F(MappingLoaderTest, ColumnsCanUseOnlyEarlierColumns) {
  EXPECT_THAT(errors(R"({"records": [{"table": "t", "key": ["k", "z"], "columns": {
  "k": {"column": "v"},
  "v": "PID-3",
  "u": {"column": "nothere"}
}}]})"),
              ElementsAre("m.json:2:19: column 'v' comes later in this record; a column can only "
                          "use the columns listed before it",
                          "m.json:4:19: this record has no column 'nothere'",
                          "m.json:1:42: key column 'z' is not one of this record's columns"));
  EXPECT_THAT(errors(R"({"define": {"x": {"column": "k"}},
 "records": [{"table": "t", "key": ["k"], "columns": {"k": "PID-3"}}]})"),
              ElementsAre("m.json:1:29: 'column' can only be used inside a record's columns or "
                          "events"));
}

TEST_F(MappingLoaderTest, DefinitionsThatUseThemselvesAreRefused) {
  EXPECT_THAT(errors(R"({"define": {
   "a": {"use": "b"},
   "b": {"concat": [{"use": "a"}, "PID-3"]},
   "c": {"use": "c"},
   "d": {"use": "nowhere"},
   "e": {"use": "a"}
 },
 "records": [{"table": "t", "key": ["k"], "columns": {"k": {"use": "e"}}}]})"),
              ElementsAre("m.json:5:17: no definition named 'nowhere' in 'define'",
                          "m.json:2:9: definition 'a' uses itself",
                          "m.json:3:9: definition 'b' uses itself",
                          "m.json:4:9: definition 'c' uses itself"));
}

TEST_F(MappingLoaderTest, ValueAndTransformMistakes) {
  const auto e = errors(R"({"records": [{"table": "t", "key": ["k"], "columns": {
    "k": "PID-3",
    "d": {"path": "PID-3", "transform": [{"max_length": 0}, {"split": "^", "index": 0}]},
    "r": {"path": "PID-3", "transform": [{"replace": "(["}, {"foo": 1}]},
    "e": {"when": {"value": "PID-8", "equals": ["F", "M"]}, "then": "PID-8"},
    "f": {"when": {"exists": "PID-8"}},
    "g": {"coalesce": ["PID-3"], "path": "PID-5"},
    "n": {"const": true},
    "c": {"collect": {"value": "OBX-5"}}
  }}]})");
  EXPECT_THAT(e, Contains("m.json:3:57: 'max_length' takes a number of characters"));
  EXPECT_THAT(e, Contains("m.json:3:85: 'index' is the part to keep, counted from 1"));
  EXPECT_THAT(e, Contains(testing::StartsWith("m.json:4:54: invalid regular expression '(['")));
  EXPECT_THAT(e, Contains("m.json:4:62: unknown key 'foo'"));
  EXPECT_THAT(e, Contains("m.json:4:61: a transform object needs one of: default, map, lookup, "
                          "replace, split, max_length, prefix, suffix"));
  EXPECT_THAT(e, Contains("m.json:5:48: 'equals' takes one text; for several write 'in'"));
  EXPECT_THAT(e, Contains("m.json:6:10: 'when' needs 'then' (and may have 'else')"));
  EXPECT_THAT(e, Contains("m.json:7:10: a value needs exactly one of: path, xpath, const, "
                          "coalesce, concat, collect, when, column, use"));
  EXPECT_THAT(e, Contains("m.json:8:20: a constant is a text, a number or null"));
  EXPECT_THAT(e, Contains("m.json:9:22: 'collect' needs 'for_each'"));
  EXPECT_EQ(e.size(), 10U);
}

TEST_F(MappingLoaderTest, TopLevelMistakes) {
  EXPECT_THAT(errors(R"({"input": "csv", "discipline": 5, "messages": "ORU^R01",
 "records": [{"table": "t", "skip_without_key": "yes", "columns": {"k": "PID-3"}}]})"),
              ElementsAre("m.json:1:32: 'discipline' must be a string, found number",
                          "m.json:1:47: 'messages' must be a list of strings",
                          "m.json:1:11: 'input' is hl7 (ER7 or HL7 v2.xml) or xml (any other XML)",
                          "m.json:2:49: 'skip_without_key' must be true or false",
                          "m.json:2:14: a record needs a 'key': the columns an upsert finds its "
                          "row by"));
  EXPECT_THAT(errors(R"({"records": []})"),
              ElementsAre("m.json:1:13: a mapping needs 'records': a list of the rows it makes"));
}

TEST_F(MappingLoaderTest, XmlMappingMistakes) {
  EXPECT_THAT(errors(R"({"input": "xml", "timezone": "Asia/Sai_Gon",
 "records": [{"table": "t", "key": ["k"], "for_each": "//a[",
   "columns": {"k": "/root/@id"}}]})"),
              ElementsAre("m.json:1:30: time zone 'Asia/Sai_Gon': time zone not found in the tz "
                          "database",
                          "m.json:2:55: invalid XPath '//a[': Unrecognized node test"));
}

TEST_F(MappingLoaderTest, TheStockMappingsLoadWithoutErrors) {
  const fs::path mappings =
      fs::path(HISBRIDGE_FIXTURES_DIR).parent_path().parent_path() / "mappings";
  for (const char* name : {"lis-stock.json", "ris-stock.json", "lis-vendor-xml.json"}) {
    auto loaded = load_mapping(mappings / name);
    std::vector<std::string> messages;
    if (!loaded) {
      for (const auto& e : loaded.error()) {
        messages.push_back(e.to_string());
      }
    }
    EXPECT_THAT(messages, IsEmpty()) << name;
  }
}

}  // namespace
}  // namespace hisbridge::mapping

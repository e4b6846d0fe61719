// The mapping evaluator on small inline mappings and messages: segment groups and where a path
// looks, the value sources, every transform, conditions, lookups and events.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "engine/hl7/read_message.hpp"
#include "engine/mapping/mapping.hpp"
#include "engine/mapping/output_json.hpp"
#include "tests/support/temp_dir.hpp"

namespace hisbridge::mapping {
namespace {

namespace fs = std::filesystem;

// ER7 from segments, CR after each.
std::string er7(std::initializer_list<std::string_view> segments) {
  std::string out;
  for (std::string_view s : segments) {
    out.append(s).append("\r");
  }
  return out;
}

// One segment with the given fields set, the others empty: seg("OBR", {{7, "2026..."}}).
std::string seg(std::string_view id, std::initializer_list<std::pair<std::size_t, std::string_view>> fields) {
  std::vector<std::string_view> values;
  for (const auto& [number, value] : fields) {
    values.resize(std::max(values.size(), number));
    values[number - 1] = value;
  }
  std::string out(id);
  for (std::string_view v : values) {
    out.append("|").append(v);
  }
  return out;
}

std::shared_ptr<const Mapping> compile(std::string_view text, const fs::path& file = "t.json") {
  auto program = load_mapping_text(text, file);
  if (!program) {
    for (const auto& e : program.error()) {
      ADD_FAILURE() << e.to_string();
    }
    return nullptr;
  }
  return std::make_shared<const Mapping>(*program);
}

// The values of every record of `table` in `out`, column by column: "a|b|c" per record.
std::vector<std::string> rows(const MappingOutput& out, std::string_view table = "t") {
  std::vector<std::string> result;
  for (const Record& r : out.records) {
    if (r.table() != table) {
      continue;
    }
    std::string line;
    for (std::size_t i = 0; i < r.values.size(); ++i) {
      line += (i > 0 ? "|" : "");
      line += r.values[i].is_null() ? std::string("<null>") : std::string(r.values[i].text);
    }
    result.push_back(line);
  }
  return result;
}

const std::string kMsh = "MSH|^~\\&|LIS|BV|HIS|BV|20260305081500+0700||ORU^R01|C1|P|2.5";

// --- segment groups ------------------------------------------------------------------------

// Orders of an ORU^R01 (ORC before its OBR) and an OUL^R22 (ORC after it), each with an order
// that has no ORC of its own.
const std::string kOru = er7({kMsh, "PID|1||P1", "ORC|RE|A1", "OBR|1||F1|X", "OBX|1|NM|T1||1",
                              "OBR|2||F2|Y", "OBX|1|NM|T2||2", "ORC|RE|A3", "OBR|3||F3|Z"});
const std::string kOrderRule = R"({"records": [{"table": "t", "for_each": "%s", "key": ["o"],
    "columns": {"o": "OBR-3", "placer": "ORC-2", "code": "OBR-4"}}]})";

std::string with(std::string text, std::string_view what) {
  text.replace(text.find("%s"), 2, what);
  return text;
}

// Rules that group the whole message the same way share its groups (found once a message);
// a rule grouping it otherwise, or a `collect` at the top between them, does not leave its
// groups to the next rule, and the next message is grouped anew.
TEST(EvaluatorGroupsTest, RulesGroupingTheMessageAlikeEachFindTheirOwnGroups) {
  const auto m = compile(R"({"records": [
      {"table": "a", "for_each": "ORC+OBR", "key": ["o"], "columns": {"o": "OBR-3", "p": "ORC-2"}},
      {"table": "b", "for_each": "OBX", "key": ["t"], "columns": {"t": "OBX-3"}},
      {"table": "c", "for_each": "ORC+OBR", "key": ["o"], "columns": {"o": "OBR-3", "p": "ORC-2"}},
      {"table": "d", "key": ["all"], "columns": {
         "all": {"collect": {"for_each": "OBX", "value": "OBX-3"}, "separator": ","}}},
      {"table": "e", "for_each": ["ORC+OBR", "OBX"], "key": ["t"],
       "columns": {"t": "OBX-3", "o": "OBR-3"}}]})");
  ASSERT_NE(m, nullptr);
  Evaluator evaluator(m->program());
  MappingOutput out;
  auto first = hl7::Message::parse(kOru);
  ASSERT_TRUE(first);
  ASSERT_TRUE(m->apply(*first, evaluator, out));
  const std::vector<std::string> orders = {"F1|A1", "F2|<null>", "F3|A3"};
  EXPECT_EQ(rows(out, "a"), orders);
  EXPECT_EQ(rows(out, "b"), (std::vector<std::string>{"T1", "T2"}));
  EXPECT_EQ(rows(out, "c"), orders);
  EXPECT_EQ(rows(out, "d"), (std::vector<std::string>{"T1,T2"}));
  EXPECT_EQ(rows(out, "e"), (std::vector<std::string>{"T1|F1", "T2|F2"}));
  const std::string other_text =
      er7({kMsh, "ORC|RE|B1", "OBR|1||G1|X", "OBX|1|NM|U1||1", "OBX|2|NM|U2||1"});
  auto other = hl7::Message::parse(other_text);
  ASSERT_TRUE(other);
  ASSERT_TRUE(m->apply(*other, evaluator, out));
  EXPECT_EQ(rows(out, "c"), (std::vector<std::string>{"G1|B1"}));
  EXPECT_EQ(rows(out, "e"), (std::vector<std::string>{"U1|G1", "U2|G1"}));
}

TEST(EvaluatorGroupsTest, OrcBeforeObrBelongsToThatObr) {
  const auto m = compile(with(kOrderRule, "ORC+OBR"));
  ASSERT_NE(m, nullptr);
  auto out = m->apply(kOru);
  ASSERT_TRUE(out) << out.error().reason;
  EXPECT_EQ(rows(*out), (std::vector<std::string>{"F1|A1|X", "F2|<null>|Y", "F3|A3|Z"}));
}

TEST(EvaluatorGroupsTest, OrcAfterObrInOulBelongsToThatObr) {
  // OUL^R22: OBR then its ORC (for_each "OBR", not "ORC+OBR"); the third order has none.
  // The second order has no OBX, so its ORC stands right before the third OBR.
  const std::string oul = er7({"MSH|^~\\&|LIS|BV|HIS|BV|20260305||OUL^R22|C2|P|2.5.1", "PID|1||P1",
                               "SPM|1|S1", "OBR|1||F1|X", "ORC|RE|A1", "OBX|1|NM|T1||1",
                               "OBR|2||F2|Y", "ORC|RE|A2", "OBR|3||F3|Z"});
  const auto m = compile(with(kOrderRule, "OBR"));
  ASSERT_NE(m, nullptr);
  auto out = m->apply(oul);
  ASSERT_TRUE(out) << out.error().reason;
  EXPECT_EQ(rows(*out), (std::vector<std::string>{"F1|A1|X", "F2|A2|Y", "F3|<null>|Z"}));
  // With the ORU shape, an ORC after its OBR would be taken as leading the next one.
  const auto wrong = compile(with(kOrderRule, "ORC+OBR"));
  auto shifted = wrong->apply(oul);
  ASSERT_TRUE(shifted);
  EXPECT_NE(rows(*shifted), rows(*out));
}

TEST(EvaluatorGroupsTest, NestedObxReadsItsOwnObrAndTheHeader) {
  const auto m = compile(R"({"records": [{"table": "t", "for_each": ["ORC+OBR", "OBX"],
      "key": ["o", "c"], "columns": {"o": "OBR-3", "c": "OBX-3", "v": "OBX-5", "p": "PID-3",
      "id": "MSH-10", "second": "OBX[2]-5"}}]})");
  ASSERT_NE(m, nullptr);
  const std::string msg = er7({kMsh, "PID|1||P1", "ORC|RE|A1", "OBR|1||F1|X", "OBX|1|NM|T1||1",
                               "OBX|2|NM|T2||2", "OBR|2||F2|Y", "OBX|1|NM|T3||3"});
  auto out = m->apply(msg);
  ASSERT_TRUE(out) << out.error().reason;
  EXPECT_EQ(rows(*out), (std::vector<std::string>{"F1|T1|1|P1|C1|2", "F1|T2|2|P1|C1|2",
                                                  "F2|T3|3|P1|C1|2"}));
}

TEST(EvaluatorGroupsTest, AnOrderWithoutSpmNeverTakesAnotherOrdersSpm) {
  const auto m = compile(R"({"records": [{"table": "t", "for_each": "ORC+OBR", "key": ["o"],
      "columns": {"o": "OBR-3", "spm": "SPM-2"}}]})");
  ASSERT_NE(m, nullptr);
  auto out = m->apply(er7({kMsh, "PID|1||P1", "OBR|1||F1", "OBX|1|NM|T||1", "SPM|1|S1",
                           "OBR|2||F2", "OBX|1|NM|T||2", "OBR|3||F3", "SPM|1|S3"}));
  ASSERT_TRUE(out) << out.error().reason;
  EXPECT_EQ(rows(*out), (std::vector<std::string>{"F1|S1", "F2|<null>", "F3|S3"}));
}

TEST(EvaluatorGroupsTest, AnOuterGroupIsReadOnlyUpToItsFirstInnerGroup) {
  // OUL^R22 with two orders under one specimen: the first has no ORC and no TQ1. Reading them
  // through the specimen's group must not reach the second order's.
  const auto m = compile(R"({"records": [{"table": "t", "for_each": ["SPM", "OBR"],
      "key": ["o"], "columns": {"o": "OBR-3", "spm": "SPM-2", "placer": "ORC-2",
      "prio": "TQ1-9", "cond": "OBX-5"}}]})");
  ASSERT_NE(m, nullptr);
  auto out = m->apply(er7({"MSH|^~\\&|LIS|BV|HIS|BV|20260305||OUL^R22|C3|P|2.5.1", "PID|1||P1",
                           "SPM|1|S1", "OBX|1|ST|COND||ok", "OBR|1||F1", "OBR|2||F2",
                           "ORC|RE|A2", "TQ1|1||||||||S", "OBX|1|NM|T||5", "SPM|2|S2",
                           "OBR|3||F3"}));
  ASSERT_TRUE(out) << out.error().reason;
  EXPECT_EQ(rows(*out), (std::vector<std::string>{"F1|S1|<null>|<null>|ok", "F2|S1|A2|S|5",
                                                  "F3|S2|<null>|<null>|<null>"}));
}

TEST(EvaluatorGroupsTest, SegmentsBeforeTheFirstGroupAreTheHeader) {
  // The PV1 after the first OBR is a member of that order, not a header for every order.
  const auto m = compile(R"({"records": [{"table": "t", "for_each": "OBR", "key": ["o"],
      "columns": {"o": "OBR-3", "pv1": "PV1-19", "pid": "PID-3"}}]})");
  ASSERT_NE(m, nullptr);
  auto out = m->apply(er7({kMsh, "PID|1||P1", "OBR|1||F1", seg("PV1", {{1, "1"}, {19, "V1"}}),
                           "OBR|2||F2"}));
  ASSERT_TRUE(out);
  EXPECT_EQ(rows(*out), (std::vector<std::string>{"F1|V1|P1", "F2|<null>|P1"}));
}

// --- value sources -------------------------------------------------------------------------

// A mapping of one record whose column `v` is `value` (JSON), with a key that is always set.
std::shared_ptr<const Mapping> one_value(std::string_view value, std::string_view extra = "",
                                         const fs::path& file = "t.json") {
  return compile(std::string(R"({)") + std::string(extra) +
                     R"("records": [{"table": "t", "key": ["k"], "columns": {"k": {"const": "1"},
                     "v": )" + std::string(value) + "}}]}",
                 file);
}

// Column `v` of the one record `value` gives on `message`; "<error: reason>" when it fails.
std::string value_of(std::string_view value, const std::string& message = er7({kMsh}),
                     std::string_view extra = "", const fs::path& file = "t.json") {
  const auto m = one_value(value, extra, file);
  if (m == nullptr) {
    return "<load error>";
  }
  auto out = m->apply(message);
  if (!out) {
    return "<error: " + out.error().reason + ">";
  }
  const Value& v = out->records.at(0).values.at(1);
  return v.is_null() ? "<null>" : std::string(v.text);
}

const std::string kPatient = er7(
    {kMsh, "PID|1||BH1^^^BHXH^HC~MR1^^^BV^MR||Nguyễn^Hoa^Thị||19850412|F||||\"\"|",
     "OBX|1|ST|NOTE||A \\T\\ B \\F\\ C\\.br\\D~E|||||F"});

TEST(EvaluatorValuesTest, PathsDecodeAndGiveNullForEmptyAndHl7Null) {
  EXPECT_EQ(value_of(R"("PID-5.1")", kPatient), "Nguyễn");
  EXPECT_EQ(value_of(R"("PID-3[2].1")", kPatient), "MR1");
  EXPECT_EQ(value_of(R"("OBX-5")", kPatient), "A & B | C\nD~E");
  EXPECT_EQ(value_of(R"("PID-9")", kPatient), "<null>");   // empty
  EXPECT_EQ(value_of(R"("PID-12")", kPatient), "<null>");  // ""
  EXPECT_EQ(value_of(R"("PID-30")", kPatient), "<null>");  // beyond what was sent
  EXPECT_EQ(value_of(R"("PV1-19")", kPatient), "<null>");  // no such segment
}

TEST(EvaluatorValuesTest, WherePicksARepetitionAndGetReadsInsideIt) {
  EXPECT_EQ(value_of(R"({"path": "PID-3", "where": {"component": 5, "in": ["PI", "MR"]},
                         "get": "1"})", kPatient), "MR1");
  EXPECT_EQ(value_of(R"({"path": "PID-3", "where": {"component": 5, "equals": "HC"},
                         "get": "4"})", kPatient), "BHXH");
  EXPECT_EQ(value_of(R"({"path": "PID-3", "where": {"component": 5, "equals": "NI"},
                         "get": "1"})", kPatient), "<null>");
  // The key decoded before it is compared, the last repetition, a filter on the first
  // component, repetitions with fewer components than the filter's.
  const std::string ids = er7({kMsh, "PID|1||A1^^^S^P\\T\\I~B2^^^T~C3^^^U^MR"});
  EXPECT_EQ(value_of(R"({"path": "PID-3", "where": {"component": 5, "equals": "P&I"},
                         "get": "1"})", ids), "A1");
  EXPECT_EQ(value_of(R"({"path": "PID-3", "where": {"component": 5, "equals": "MR"},
                         "get": "4"})", ids), "U");
  EXPECT_EQ(value_of(R"({"path": "PID-3", "where": {"component": 1, "equals": "B2"},
                         "get": "4"})", ids), "T");
  EXPECT_EQ(value_of(R"({"path": "PID-3", "where": {"component": 6, "equals": "X"},
                         "get": "1"})", ids), "<null>");
}

TEST(EvaluatorValuesTest, CoalesceConcatWhenColumnAndConst) {
  EXPECT_EQ(value_of(R"({"coalesce": ["PID-9", "PID-12", "PID-8"]})", kPatient), "F");
  EXPECT_EQ(value_of(R"({"coalesce": ["PID-9", "PID-12"]})", kPatient), "<null>");
  EXPECT_EQ(value_of(R"({"concat": ["PID-5.1", "PID-9", "PID-5.3", "PID-5.2"],
                         "separator": " "})", kPatient), "Nguyễn Thị Hoa");
  EXPECT_EQ(value_of(R"({"concat": ["PID-9", "PID-12"], "separator": " "})", kPatient), "<null>");
  // Up to eight parts are joined in the output's store, more through a buffer: the same text;
  // a part may be a concat itself or have steps, the separator may be empty.
  EXPECT_EQ(value_of(R"({"concat": ["PID-5.1", "PID-9", "PID-5.3", "PID-5.2", "PID-8",
                         "PID-5.1", "PID-9", "PID-8"], "separator": "/"})", kPatient),
            "Nguyễn/Thị/Hoa/F/Nguyễn/F");
  EXPECT_EQ(value_of(R"({"concat": ["PID-5.1", "PID-9", "PID-5.3", "PID-5.2", "PID-8",
                         "PID-5.1", "PID-9", "PID-8", "PID-5.2"], "separator": "/"})", kPatient),
            "Nguyễn/Thị/Hoa/F/Nguyễn/F/Hoa");
  EXPECT_EQ(value_of(R"({"concat": [{"concat": ["PID-5.3", "PID-5.2"], "separator": "-"},
                         {"path": "PID-8", "transform": ["lower"]}, "PID-9"]})", kPatient),
            "Thị-Hoaf");
  EXPECT_EQ(value_of(R"({"when": {"value": "PID-8", "equals": "F"}, "then": {"const": "nữ"},
                         "else": {"const": "nam"}})", kPatient), "nữ");
  EXPECT_EQ(value_of(R"({"when": {"value": "PID-8", "equals": "M"}, "then": "PID-8"})",
                     kPatient), "<null>");
  EXPECT_EQ(value_of(R"({"column": "k", "transform": [{"prefix": "k="}]})"), "k=1");
  EXPECT_EQ(value_of("42"), "42");
  EXPECT_EQ(value_of("null"), "<null>");
  EXPECT_EQ(value_of(R"({"const": ""})"), "<null>");
}

// A row's plain paths on its own segment are read together, before the other columns (the
// loader refuses a reference to a later column): every column lands in its own place, and one
// that uses another sees it.
TEST(EvaluatorValuesTest, PathsOnTheRowsSegmentAndOtherColumnsInterleave) {
  const auto m = compile(R"({"records": [{"table": "t", "for_each": ["OBR", "OBX"], "key": ["code"],
      "columns": {"order": "OBR-2", "code": "OBX-3.1", "tagged": {"column": "code",
                  "transform": [{"prefix": "c="}]}, "name": "OBX-3.2", "type": "OBX-2",
                  "unit": {"coalesce": ["OBX-6", {"column": "type"}]}, "value": "OBX-5"}}]})");
  ASSERT_NE(m, nullptr);
  auto out = m->apply(er7({kMsh, "OBR|1|A1", "OBX|1|NM|GLU^Glucose||5.6|mmol/L",
                           "OBX|2|ST|NOTE^Ghi chú||Âm tính"}));
  ASSERT_TRUE(out) << out.error().reason;
  EXPECT_EQ(rows(*out), (std::vector<std::string>{"A1|GLU|c=GLU|Glucose|NM|mmol/L|5.6",
                                                  "A1|NOTE|c=NOTE|Ghi chú|ST|ST|Âm tính"}));
}

// A row's own fields under another repetition separator read as under `~`: a whole field's
// repetitions joined with `~`, components of the first repetition, escapes decoded.
TEST(EvaluatorValuesTest, RowFieldsReadTheSameUnderAnyRepetitionSeparator) {
  const auto m = compile(R"({"records": [{"table": "t", "for_each": "OBX", "key": ["code"],
      "columns": {"code": "OBX-3.1", "name": "OBX-3.2", "value": "OBX-5", "unit": "OBX-6",
                  "second": "OBX-5[2]"}}]})");
  ASSERT_NE(m, nullptr);
  for (const char repetition : {'~', '!'}) {
    std::string text = er7({"MSH|^~\\&|LIS|BV|HIS|BV|20260305081500+0700||ORU^R01|C1|P|2.5",
                            "OBX|1|ST|C1^T\\S\\n~C2^Other||x~y \\T\\ z|mmol/L",
                            "OBX|2|NM|C3^Ba~C4||5.6|g/L~mg/dL"});
    std::replace(text.begin(), text.end(), '~', repetition);
    auto out = m->apply(text);
    ASSERT_TRUE(out) << out.error().reason;
    EXPECT_EQ(rows(*out), (std::vector<std::string>{"C1|T^n|x~y & z|mmol/L|y & z",
                                                    "C3|Ba|5.6|g/L~mg/dL|<null>"}))
        << "repetitions by '" << repetition << "'";
  }
}

TEST(EvaluatorValuesTest, UseEvaluatesTheDefinitionWhereItIsUsed) {
  const auto m = compile(R"({"define": {"code": {"path": "OBX-3", "transform": ["lower"]},
      "label": {"concat": [{"use": "code"}, "OBX-5"], "separator": "="}},
      "records": [{"table": "t", "for_each": "OBX", "key": ["c"],
      "columns": {"c": {"use": "code"}, "l": {"use": "label"}}}]})");
  ASSERT_NE(m, nullptr);
  auto out = m->apply(er7({kMsh, "OBX|1|NM|NA||140", "OBX|2|NM|K||4.1"}));
  ASSERT_TRUE(out);
  EXPECT_EQ(rows(*out), (std::vector<std::string>{"na|na=140", "k|k=4.1"}));
}

// A definition read from outer segments is worked out once per set of segments found: each
// order's results must still get their own order's value, a second message its own, a
// definition that collects is never kept, and one read inside a collect reads where the collect
// stands.
TEST(EvaluatorValuesTest, RememberedDefinitionsFollowTheSegmentsTheyRead) {
  const auto m = compile(R"({"define": {
      "order": {"coalesce": ["ORC-2", "OBR-3"], "transform": ["lower"]},
      "patient": {"concat": ["PID-3", "PID-5"], "separator": "/"},
      "typed": {"when": {"message_type": "ORU"}, "then": "OBR-4", "else": "PID-3"},
      "notes": {"collect": {"for_each": "NTE", "value": {"use": "order"}}, "separator": ","}},
      "records": [{"table": "t", "for_each": ["ORC+OBR", "OBX"], "key": ["o", "c"],
      "columns": {"o": {"use": "order"}, "c": "OBX-3", "p": {"use": "patient"},
      "ty": {"use": "typed"}, "n": {"use": "notes"}}}]})");
  ASSERT_NE(m, nullptr);
  const Program& program = m->program();
  const auto define = [&](std::string_view name) -> const Define& {
    const auto it = std::find_if(program.defines.begin(), program.defines.end(),
                                 [&](const Define& d) { return d.name == name; });
    EXPECT_NE(it, program.defines.end()) << name;
    return *it;
  };
  EXPECT_TRUE(define("order").depends_on_segments_only);
  EXPECT_EQ(define("order").segments,
            (std::vector<std::uint32_t>{segment_key("ORC"), segment_key("OBR")}));
  EXPECT_EQ(define("patient").segments, (std::vector<std::uint32_t>{segment_key("PID")}));
  EXPECT_TRUE(define("typed").depends_on_segments_only);  // the message type is the message's
  EXPECT_EQ(define("typed").segments,
            (std::vector<std::uint32_t>{segment_key("OBR"), segment_key("PID")}));
  EXPECT_FALSE(define("notes").depends_on_segments_only);  // collects

  // Three orders (the second without an ORC, with an NTE after its result) for a patient; a
  // second message has its segments at the same places with other values.
  const auto message = [](std::string_view pid, char placer, char filler,
                          std::array<std::string_view, 3> codes) {
    const std::string p(1, placer);
    const std::string f(1, filler);
    return er7({kMsh, pid, "ORC|RE|" + p + "1", "OBR|1||" + f + "1|" + std::string(codes[0]),
                "OBX|1|NM|T1||1", "OBX|2|NM|T2||2", "OBR|2||" + f + "2|" + std::string(codes[1]),
                "OBX|1|NM|T3||3", "NTE|1||n", "ORC|RE|" + p + "3",
                "OBR|3||" + f + "3|" + std::string(codes[2]), "OBX|1|NM|T4||4"});
  };
  Evaluator evaluator(program);
  MappingOutput out;
  const std::string first_text = message("PID|1||P1||Hoa", 'A', 'F', {"X", "Y", "Z"});
  auto first = hl7::Message::parse(first_text);
  ASSERT_TRUE(first);
  ASSERT_TRUE(m->apply(*first, evaluator, out));
  EXPECT_EQ(rows(out), (std::vector<std::string>{
                           "a1|T1|P1/Hoa|X|<null>", "a1|T2|P1/Hoa|X|<null>",
                           "f2|T3|P1/Hoa|Y|f2", "a3|T4|P1/Hoa|Z|<null>"}));
  // The same evaluator: nothing is taken from the message before.
  const std::string second_text = message("PID|1||P2||Lan", 'B', 'G', {"U", "V", "W"});
  auto second = hl7::Message::parse(second_text);
  ASSERT_TRUE(second);
  ASSERT_TRUE(m->apply(*second, evaluator, out));
  EXPECT_EQ(rows(out), (std::vector<std::string>{
                           "b1|T1|P2/Lan|U|<null>", "b1|T2|P2/Lan|U|<null>",
                           "g2|T3|P2/Lan|V|g2", "b3|T4|P2/Lan|W|<null>"}));
}

// A definition read afresh for each row (it reads the row's OBX) is remembered by the text its
// paths give: rows with the same text share the value, and any other text, an HL7 null, an
// escape or another message is read and converted again.
// A definition reading an order's leading ORC (as the stock department does) is worked out
// for every order row: each order's own ORC, none for an order without one, the visit's
// department where there is one, escapes decoded, and the next message read afresh.
TEST(EvaluatorValuesTest, ADefinitionOfAnOrdersLeadingSegmentFollowsEachOrder) {
  const auto m = compile(R"({"define": {
      "department": {"coalesce": ["PV1-3.1.1", "ORC-17.1"]},
      "placer": {"coalesce": ["ORC-2.1", "OBR-2.1"], "transform": ["upper"]}},
      "records": [{"table": "t", "for_each": "ORC+OBR", "key": ["o"],
      "columns": {"o": "OBR-3", "department": {"use": "department"},
                  "placer": {"use": "placer"}}}]})");
  ASSERT_NE(m, nullptr);
  const auto message = [](std::string_view pv1_3) {
    return er7({kMsh, "PID|1||P1", seg("PV1", {{1, "1"}, {3, pv1_3}}),
                seg("ORC", {{1, "RE"}, {2, "a1"}, {17, "KHOA1"}}), "OBR|1||F1|X",
                seg("ORC", {{1, "RE"}, {2, "a2"}, {17, "KHOA1"}}), "OBR|2|b2|F2|Y",
                seg("ORC", {{1, "RE"}, {17, "KHOA\\T\\2"}}), "OBR|3|b3|F3|Z",
                "OBR|4|b4|F4|W",
                seg("ORC", {{1, "RE"}, {2, "a5"}, {17, "KHOA1"}}), "OBR|5||F5|V"});
  };
  // One evaluator for both messages: what it remembers of the first is not taken for the second.
  Evaluator evaluator(m->program());
  MappingOutput out;
  const auto map = [&](std::string_view pv1_3) {
    const std::string text = message(pv1_3);
    auto parsed = hl7::Message::parse(text);
    EXPECT_TRUE(parsed);
    EXPECT_TRUE(parsed && m->apply(*parsed, evaluator, out));
    return rows(out);
  };
  EXPECT_EQ(map(""), (std::vector<std::string>{"F1|KHOA1|A1", "F2|KHOA1|A2", "F3|KHOA&2|B3",
                                               "F4|<null>|B4", "F5|KHOA1|A5"}));
  EXPECT_EQ(map("NOI^P2^^BV"), (std::vector<std::string>{"F1|NOI|A1", "F2|NOI|A2", "F3|NOI|B3",
                                                         "F4|NOI|B4", "F5|NOI|A5"}));
}

TEST(EvaluatorValuesTest, DefinitionsReadForEachRowFollowTheTextTheyRead) {
  const auto m = compile(R"({"define": {
      "at": {"coalesce": ["OBX-14", "OBR-7"], "transform": ["datetime"]},
      "seq": {"path": "OBX-4", "transform": ["integer", {"default": 1}]},
      "name": {"path": "OBX-3.2", "transform": ["upper"]}},
      "records": [{"table": "t", "for_each": ["OBR", "OBX"], "key": ["c"],
      "columns": {"c": "OBX-3.1", "at": {"use": "at"}, "seq": {"use": "seq"},
      "name": {"use": "name"}}}]})");
  ASSERT_NE(m, nullptr);
  const auto message = [](std::string_view obr7, std::string_view last14) {
    return er7({kMsh, seg("OBR", {{1, "1"}, {7, obr7}}),
                seg("OBX", {{3, "A^gluc"}, {14, "20260305081500"}}),
                seg("OBX", {{3, "B^gluc"}, {4, "2"}, {14, "20260305081500"}}),
                seg("OBX", {{3, "C^a\\T\\b"}, {4, "2"}, {14, "\"\""}}),
                seg("OBX", {{3, "D^a\\T\\b"}, {4, "02"}}),
                seg("OBX", {{3, "E^a&b"}, {14, "20260305081500+0000"}}),
                seg("OBX", {{3, "F^x\\S\\y"}, {14, last14}}),
                seg("OBX", {{3, "G^gluc"}, {14, "20260305081500"}})});
  };
  Evaluator evaluator(m->program());
  MappingOutput out;
  const std::string first_text = message("20260305070000", "2026030509\\E\\");
  auto first = hl7::Message::parse(first_text);
  ASSERT_TRUE(first);
  const auto failed = m->apply(*first, evaluator, out);
  ASSERT_FALSE(failed);  // an escape in a time decodes to a text that is not one
  EXPECT_EQ(failed.error().reason,
            "t.at (segment 8, OBX): '2026030509\\' is not an HL7 date/time: characters after the "
            "date/time")
      << failed.error().reason;

  const std::string second_text = message("20260305070000", "20260305093000");
  auto second = hl7::Message::parse(second_text);
  ASSERT_TRUE(second);
  ASSERT_TRUE(m->apply(*second, evaluator, out));
  EXPECT_EQ(rows(out), (std::vector<std::string>{
                           "A|2026-03-05T08:15:00+07:00|1|GLUC",
                           "B|2026-03-05T08:15:00+07:00|2|GLUC",
                           "C|2026-03-05T07:00:00+07:00|2|A&B",  // OBX-14 "": OBR-7
                           "D|2026-03-05T07:00:00+07:00|2|A&B",  // empty: OBR-7 again
                           "E|2026-03-05T08:15:00+00:00|1|A&B",
                           "F|2026-03-05T09:30:00+07:00|1|X^Y",
                           "G|2026-03-05T08:15:00+07:00|1|GLUC"}));
  // The same evaluator, another OBR-7: the rows that take it read the new one.
  const std::string third_text = message("20260305064500", "20260305093000");
  auto third = hl7::Message::parse(third_text);
  ASSERT_TRUE(third);
  ASSERT_TRUE(m->apply(*third, evaluator, out));
  EXPECT_EQ(rows(out).at(2), "C|2026-03-05T06:45:00+07:00|2|A&B");
  EXPECT_EQ(rows(out).at(3), "D|2026-03-05T06:45:00+07:00|2|A&B");
}

TEST(EvaluatorValuesTest, CollectJoinsTheValuesOfItsGroupInOrder) {
  const auto m = compile(R"({"records": [{"table": "t", "for_each": "OBR", "key": ["o"],
      "columns": {"o": "OBR-3",
      "find": {"collect": {"for_each": "OBX", "when": {"not": {"value": "OBX-3.1",
               "ends_with": "IMP"}}, "value": "OBX-5"}},
      "imp": {"collect": {"for_each": "OBX", "when": {"value": "OBX-3.1", "ends_with": "IMP"},
              "value": "OBX-5"}, "separator": " / "},
      "after": "OBR-4", "note": "NTE-3"}}]})");
  ASSERT_NE(m, nullptr);
  auto out = m->apply(er7({kMsh, "OBR|1||F1|CT", "OBX|1|TX|&GDT||a", "OBX|2|TX|18782-3&IMP||b",
                           "OBX|3|TX|&GDT||", "OBX|4|TX|&GDT||c", "OBX|5|TX|IMP||d",
                           "OBR|2||F2|MR", "OBX|1|TX|&GDT||e", "NTE|1||ghi chú"}));
  ASSERT_TRUE(out) << out.error().reason;
  // The empty OBX is left out; the second order's OBX never join the first's. A column after
  // a collect still reads the whole of the row's own group (the NTE).
  EXPECT_EQ(rows(*out), (std::vector<std::string>{"F1|a\nc|b / d|CT|<null>",
                                                  "F2|e|<null>|MR|ghi chú"}));
}

TEST(EvaluatorValuesTest, EachRowFindsItsOwnGroupsSegmentsNotTheLastRowsOnes) {
  // Rows of one level share the segments of the groups around them; what a row found in its
  // own group (an OBX's NTE) is never read for the next, which finds the order's own NTE, or
  // none past the order.
  const auto m = compile(R"({"records": [{"table": "t", "for_each": ["OBR", "OBX"],
      "key": ["o", "v"], "columns": {"o": "OBR-3", "v": "OBX-5", "note": "NTE-3",
      "spm": "SPM-2"}}]})");
  ASSERT_NE(m, nullptr);
  // Between OBX without notes (b, b2; d, d2) what the rows found stands as it was.
  auto out = m->apply(er7({kMsh, "OBR|1||F1", "NTE|1||order note", "OBX|1|ST|A||a",
                           "NTE|1||n1", "OBX|2|ST|B||b", "OBX|3|ST|B2||b2", "OBX|4|ST|C||c",
                           "NTE|1||n3", "OBX|5|ST|D||d", "OBX|6|ST|D2||d2", "OBR|2||F2",
                           "OBX|1|ST|E||e", "SPM|1|S2", "OBX|2|ST|F||f", "OBX|3|ST|G||g"}));
  ASSERT_TRUE(out) << out.error().reason;
  EXPECT_EQ(rows(*out),
            (std::vector<std::string>{"F1|a|n1|<null>", "F1|b|order note|<null>",
                                      "F1|b2|order note|<null>", "F1|c|n3|<null>",
                                      "F1|d|order note|<null>", "F1|d2|order note|<null>",
                                      "F2|e|<null>|S2", "F2|f|<null>|<null>",
                                      "F2|g|<null>|<null>"}));
}

TEST(EvaluatorValuesTest, EscapesAreDecodedInTheSegmentsThatHoldThemAndNoOthers) {
  // Which segments hold the escape character is found once for the message: rows (on their
  // head) and other paths alike decode exactly there. Segments with several escapes, one
  // after a segment without any, CRLF and a blank line between segments, the last segment
  // without a terminator; a text that only looks escaped outside the escape character (`\T`
  // under `#` as escape) stays as sent.
  const auto m = compile(R"({"records": [{"table": "t", "for_each": ["OBR", "OBX"],
      "key": ["v"], "columns": {"o": "OBR-4.2", "v": "OBX-5", "u": "OBX-6.1", "p": "PID-5"}}]})");
  ASSERT_NE(m, nullptr);
  const std::string crlf = "MSH|^~\\&|LIS|BV|HIS|BV|20260305081500+0700||ORU^R01|C1|P|2.5\r\n"
                           "PID|1||P1||A\\T\\B\r\n\r\n"
                           "OBR|1||F1|X^Gan \\T\\ thận\r\n"
                           "OBX|1|ST|T1||plain|mg\r\n"
                           "OBX|2|ST|T2||a\\F\\b\\.br\\c|\\S\\u\r\n"
                           "OBX|3|ST|T3||d|e\r\n"
                           "OBX|4|ST|T4||\\E\\x|f";
  auto out = m->apply(crlf);
  ASSERT_TRUE(out) << out.error().reason;
  EXPECT_EQ(rows(*out), (std::vector<std::string>{"Gan & thận|plain|mg|A&B",
                                                  "Gan & thận|a|b\nc|^u|A&B",
                                                  "Gan & thận|d|e|A&B",
                                                  "Gan & thận|\\x|f|A&B"}));
  const std::string other_escape = "MSH|^~#&|LIS|BV|HIS|BV|20260305081500+0700||ORU^R01|C1|P|2.5\r"
                                   "OBR|1||F1|X^Y\\T\\Z\rOBX|1|ST|T1||#T#|\\F\\";
  out = m->apply(other_escape);
  ASSERT_TRUE(out) << out.error().reason;
  EXPECT_EQ(rows(*out), (std::vector<std::string>{"Y\\T\\Z|&|\\F\\|<null>"}));
}

TEST(EvaluatorValuesTest, RowsTakeDefinitionsOfTheirOwnOrderAndNotes) {
  // A definition of the segments around a row (the order's) is the same from one OBX to the
  // next; one that may read the row's own group (a note) is not: rows with and without notes,
  // a row a condition skips, and a second order must each read their own.
  const auto m = compile(R"({"define": {"order": {"coalesce": ["ORC-2", "OBR-2"],
      "transform": ["lower"]}, "note": {"coalesce": ["NTE-3", "OBR-3"]}},
      "records": [{"table": "t", "for_each": ["ORC+OBR", "OBX"],
      "when": {"value": "OBX-3", "in": ["A", "B", "D", "E", "F", "G"]},
      "key": ["v"], "columns": {"o": {"use": "order"}, "v": "OBX-5", "n": {"use": "note"}}}]})");
  ASSERT_NE(m, nullptr);
  auto out = m->apply(er7({kMsh, "ORC|NW|P1", "OBR|1|P1|F1", "OBX|1|ST|A||a", "NTE|1||n1",
                           "OBX|2|ST|B||b", "OBX|3|ST|C||c", "OBX|4|ST|D||d", "NTE|1||n4",
                           "ORC|NW|P2", "OBR|2|P2|F2", "OBX|1|ST|E||e", "OBX|2|ST|F||f",
                           "OBR|3|P3|F3", "OBX|1|ST|G||g"}));
  ASSERT_TRUE(out) << out.error().reason;
  EXPECT_EQ(rows(*out), (std::vector<std::string>{"p1|a|n1", "p1|b|F1", "p1|d|n4", "p2|e|F2",
                                                  "p2|f|F2", "p3|g|F3"}));
}

TEST(EvaluatorValuesTest, CollectAtTheTopCoversTheWholeMessage) {
  EXPECT_EQ(value_of(R"({"collect": {"for_each": "OBX", "value": "OBX-3"}, "separator": ","})",
                     er7({kMsh, "OBR|1", "OBX|1|NM|A", "OBR|2", "OBX|1|NM|B"})),
            "A,B");
  EXPECT_EQ(value_of(R"({"collect": {"for_each": "OBX", "value": "OBX-3"}})", er7({kMsh})),
            "<null>");
}

// --- transforms ----------------------------------------------------------------------------

std::string step(std::string_view input, std::string_view steps, std::string_view extra = "",
                 const fs::path& file = "t.json") {
  const std::string source = input == "null" ? std::string("null")
                                             : "\"" + std::string(input) + "\"";
  return value_of(R"({"const": )" + source + R"(, "transform": )" + std::string(steps) + "}",
                  er7({kMsh}), extra, file);
}

TEST(EvaluatorTransformsTest, TextSteps) {
  EXPECT_EQ(step("  Glucose  ", R"(["trim"])"), "Glucose");
  EXPECT_EQ(step("   ", R"(["trim"])"), "<null>");
  EXPECT_EQ(step("đường huyết glu", R"(["upper"])"), "đườNG HUYếT GLU");  // ASCII only
  EXPECT_EQ(step("GLU-Đ", R"(["lower"])"), "glu-Đ");
  EXPECT_EQ(step("5", R"([{"prefix": "BN"}, {"suffix": "/26"}])"), "BN5/26");
  EXPECT_EQ(step("null", R"([{"prefix": "BN"}, "trim", "upper", "datetime", "integer"])"),
            "<null>");
  EXPECT_EQ(step("12/04/1985", R"([{"replace": "^(\\d+)/(\\d+)/(\\d+)$", "with": "$3$2$1"}])"),
            "19850412");
  EXPECT_EQ(step("xyz", R"([{"replace": ".*", "with": ""}])"), "<null>");
  EXPECT_EQ(step("A^B^C", R"([{"split": "^", "index": 2}])"), "B");
  EXPECT_EQ(step("A^B^C", R"([{"split": "^"}])"), "A");
  EXPECT_EQ(step("A^B", R"([{"split": "^", "index": 5}])"), "<null>");
}

TEST(EvaluatorTransformsTest, DefaultAndMap) {
  EXPECT_EQ(step("null", R"([{"default": "R"}])"), "R");
  EXPECT_EQ(step("S", R"([{"default": "R"}])"), "S");
  EXPECT_EQ(step("null", R"([{"default": 1}])"), "1");
  EXPECT_EQ(step("A", R"([{"map": {"S": "S", "A": "S"}, "otherwise": "R"}])"), "S");
  EXPECT_EQ(step("X", R"([{"map": {"S": "S", "A": "S"}, "otherwise": "R"}])"), "R");
  EXPECT_EQ(step("null", R"([{"map": {"S": "S"}, "otherwise": "R"}])"), "R");  // null too
  EXPECT_EQ(step("X", R"([{"map": {"S": "S"}}])"), "X");       // passes through
  EXPECT_EQ(step("null", R"([{"map": {"S": "S"}}])"), "<null>");
  EXPECT_EQ(step("Nữ", R"([{"map": {"Nam": "M", "Nữ": "F"}}])"), "F");
  EXPECT_EQ(step("U", R"([{"map": {"U": ""}}])"), "<null>");
}

TEST(EvaluatorTransformsTest, DatesAndTimes) {
  EXPECT_EQ(step("20260305081500+0700", R"(["datetime"])"), "2026-03-05T08:15:00+07:00");
  EXPECT_EQ(step("202603050815", R"(["datetime"])"), "2026-03-05T08:15+07:00");  // zone applied
  EXPECT_EQ(step("20260305011500+0000", R"(["datetime"])"), "2026-03-05T01:15:00+00:00");
  EXPECT_EQ(step("2026030508", R"(["datetime"])", R"("timezone": "UTC", )"),
            "2026-03-05T08:00+00:00");
  EXPECT_EQ(step("19850412", R"(["date"])"), "1985-04-12");
  EXPECT_EQ(step("20260231", R"(["date_or_null"])"), "<null>");
  EXPECT_EQ(step("hôm qua", R"(["datetime_or_null"])"), "<null>");
  const std::string bad = step("05/03/2026", R"(["datetime"])");
  EXPECT_TRUE(bad.starts_with("<error: t.v: '05/03/2026' is not an HL7 date/time")) << bad;
  EXPECT_TRUE(step("1985-13-01", R"(["date"])").starts_with("<error: t.v: '1985-13-01' is not an HL7 date"));
}

TEST(EvaluatorTransformsTest, NumbersKeepTheirDigits) {
  EXPECT_EQ(step("5.10", R"(["number"])"), "5.10");
  EXPECT_EQ(step(" -0.5 ", R"(["number"])"), "-0.5");
  EXPECT_EQ(step("1.2e-3", R"(["number"])"), "1.2e-3");
  EXPECT_EQ(step("<0.5", R"(["number"])"), "<error: t.v: '<0.5' is not a number>");
  EXPECT_EQ(step("1,5", R"(["number_or_null"])"), "<null>");
  EXPECT_EQ(step("+007", R"(["integer"])"), "7");
  EXPECT_EQ(step("1^1^1", R"(["integer"])"), "<error: t.v: '1^1^1' is not a whole number>");
  EXPECT_EQ(step("2.5", R"(["integer_or_null", {"default": 1}])"), "1");
  const auto m = one_value(R"({"const": "7", "transform": ["integer"]})");
  ASSERT_NE(m, nullptr);
  auto out = m->apply(er7({kMsh}));
  ASSERT_TRUE(out);
  EXPECT_EQ(out->records[0].values[1].type, Value::Type::integer);
}

TEST(EvaluatorTransformsTest, MaxLengthCountsCodePoints) {
  // "Nguyễn Thị Hoa": 14 characters, 20 bytes in UTF-8.
  EXPECT_EQ(step("Nguyễn Thị Hoa", R"([{"max_length": 14}])"), "Nguyễn Thị Hoa");
  EXPECT_EQ(step("Nguyễn Thị Hoa", R"([{"max_length": 13}])"),
            "<error: t.v: value has 14 characters, more than the 13 allowed>");
}

// A folder with a lookup table, for mappings that name it.
class EvaluatorLookupTest : public testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(dir_ / "dv.csv") << "ma_lis,ma_his,ten\nAU-GLU,SH-GLU,Glucose máu\nAU-X,,\n";
  }

  std::string lookup(std::string_view input, std::string_view options) {
    return step(input, std::string(R"([{"lookup": "dv", )") + std::string(options) + "}]",
                R"("tables": {"dv": "dv.csv"}, )", dir_ / "m.json");
  }

  testing_support::TempDir temp_{"hisbridge-evaluator-lookup"};
  const fs::path& dir_ = temp_.path();
};

TEST_F(EvaluatorLookupTest, FoundAndMissingPolicies) {
  EXPECT_EQ(lookup("AU-GLU", R"("column": "ma_his")"), "SH-GLU");
  EXPECT_EQ(lookup("AU-GLU", R"("column": "ten")"), "Glucose máu");
  EXPECT_EQ(lookup("AU-X", R"("column": "ma_his")"), "<null>");  // an empty cell
  EXPECT_EQ(lookup("AU-Y", R"("column": "ma_his")"),
            "<error: t.v: 'AU-Y' is not in lookup table dv>");
  EXPECT_EQ(lookup("AU-Y", R"("column": "ma_his", "missing": "error")"),
            "<error: t.v: 'AU-Y' is not in lookup table dv>");
  EXPECT_EQ(lookup("AU-Y", R"("column": "ma_his", "missing": "keep")"), "AU-Y");
  EXPECT_EQ(lookup("AU-Y", R"("column": "ma_his", "missing": "null")"), "<null>");
  EXPECT_EQ(lookup("au-glu", R"("column": "ma_his", "missing": "null")"), "<null>");  // exact
  EXPECT_EQ(lookup("null", R"("column": "ma_his")"), "<null>");
}

// --- conditions ----------------------------------------------------------------------------

TEST(EvaluatorConditionsTest, EveryKind) {
  const auto test = [&](std::string_view condition) {
    return value_of(R"({"when": )" + std::string(condition) +
                        R"(, "then": {"const": "yes"}, "else": {"const": "no"}})",
                    kPatient);
  };
  EXPECT_EQ(test(R"({"message_type": ["ORU^R01"]})"), "yes");
  EXPECT_EQ(test(R"({"message_type": "ORU"})"), "yes");
  EXPECT_EQ(test(R"({"message_type": ["ORM", "ADT^A04"]})"), "no");
  EXPECT_EQ(test(R"({"exists": "PID-8"})"), "yes");
  EXPECT_EQ(test(R"({"exists": "PID-12"})"), "no");
  EXPECT_EQ(test(R"({"empty": "PID-9"})"), "yes");
  EXPECT_EQ(test(R"({"value": "PID-8", "equals": "F"})"), "yes");
  EXPECT_EQ(test(R"({"value": "PID-8", "in": ["M", "U"]})"), "no");
  EXPECT_EQ(test(R"({"value": "PID-5.1", "starts_with": ["Ng", "Tr"]})"), "yes");
  EXPECT_EQ(test(R"({"value": "PID-5.1", "ends_with": "ễn"})"), "yes");
  EXPECT_EQ(test(R"({"value": "PID-7", "matches": "^19[0-9]{6}$"})"), "yes");
  EXPECT_EQ(test(R"({"value": "PID-9", "matches": ".*"})"), "no");  // null matches nothing
  EXPECT_EQ(test(R"({"all": [{"exists": "PID-8"}, {"value": "PID-8", "equals": "F"}]})"), "yes");
  EXPECT_EQ(test(R"({"all": [{"exists": "PID-8"}, {"exists": "PID-9"}]})"), "no");
  EXPECT_EQ(test(R"({"any": [{"exists": "PID-9"}, {"exists": "PID-8"}]})"), "yes");
  EXPECT_EQ(test(R"({"not": {"exists": "PID-9"}})"), "yes");
}

TEST(EvaluatorConditionsTest, RuleWhenSkipsRows) {
  const auto m = compile(R"({"records": [{"table": "t", "for_each": "OBX", "key": ["c"],
      "when": {"value": "OBX-2", "equals": "NM"}, "columns": {"c": "OBX-3"}}]})");
  ASSERT_NE(m, nullptr);
  auto out = m->apply(er7({kMsh, "OBX|1|NM|A", "OBX|2|ST|B", "OBX|3|NM|C"}));
  ASSERT_TRUE(out);
  EXPECT_EQ(rows(*out), (std::vector<std::string>{"A", "C"}));
}

// A rule's condition on the message type is tested once per type by an Evaluator that maps
// message after message: each message still takes the rules of its own type.
TEST(EvaluatorConditionsTest, RulesForAMessageTypeFollowEachMessage) {
  const auto m = compile(R"({"records": [
      {"table": "t", "when": {"message_type": "ORU"}, "key": ["k"], "columns": {"k": "MSH-10"}},
      {"table": "t", "when": {"not": {"message_type": ["ORU^R01", "ADT^A01"]}}, "key": ["k"],
       "columns": {"k": {"const": "other"}}},
      {"table": "t", "when": {"message_type": "ADT^A08"}, "key": ["k"],
       "columns": {"k": "EVN-1"}}]})");
  ASSERT_NE(m, nullptr);
  Evaluator evaluator(m->program());
  MappingOutput out;
  const auto map = [&](std::string_view type, std::string_view control) {
    const std::string text = er7({"MSH|^~\\&|LIS|BV|HIS|BV|20260305081500||" + std::string(type) +
                                      "|" + std::string(control) + "|P|2.5",
                                  "EVN|A08"});
    auto message = hl7::Message::parse(text);
    EXPECT_TRUE(message);
    EXPECT_TRUE(m->apply(*message, evaluator, out)) << type;
    return rows(out);
  };
  using Rows = std::vector<std::string>;
  EXPECT_EQ(map("ORU^R01", "C1"), (Rows{"C1"}));
  EXPECT_EQ(map("ADT^A08", "C2"), (Rows{"other", "A08"}));
  EXPECT_EQ(map("ORU^R01", "C3"), (Rows{"C3"}));
  EXPECT_EQ(map("ORU^R30", "C4"), (Rows{"C4", "other"}));
  EXPECT_EQ(map("ADT^A01", "C5"), (Rows{}));
  EXPECT_EQ(map("ADT^A08", "C6"), (Rows{"other", "A08"}));
}

// --- records, keys, message types, events -------------------------------------------------

TEST(EvaluatorRecordsTest, EmptyKeyFailsUnlessSkipped) {
  const std::string rule = R"({"records": [{"table": "t", "for_each": "OBX", "key": ["c"],
      %s "columns": {"c": "OBX-3"}}]})";
  const std::string msg = er7({kMsh, "OBX|1|NM|A", "OBX|2|NM|"});
  auto failed = compile(with(rule, ""))->apply(msg);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().reason, "t (segment 3, OBX): key column c is empty");
  auto skipped = compile(with(rule, R"("skip_without_key": true,)"))->apply(msg);
  ASSERT_TRUE(skipped);
  EXPECT_EQ(rows(*skipped), std::vector<std::string>{"A"});
}

TEST(EvaluatorRecordsTest, AFailingValueNamesTableColumnAndSegment) {
  const auto m = compile(R"({"records": [{"table": "his_result", "for_each": ["OBR", "OBX"],
      "key": ["seq"], "columns": {"seq": {"path": "OBX-4", "transform": ["integer"]}}}]})");
  ASSERT_NE(m, nullptr);
  auto out = m->apply(er7({kMsh, "OBR|1", "OBX|1|NM|A|1", "OBX|2|NM|B|1^1^1"}));
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().reason,
            "his_result.seq (segment 4, OBX): '1^1^1' is not a whole number");
}

TEST(EvaluatorRecordsTest, MessageTypesAMappingDoesNotHandleAreRefused) {
  const auto m = compile(R"({"mapping": "lis", "messages": ["ORU^R01", "ADT"],
      "records": [{"table": "t", "key": ["k"], "columns": {"k": "MSH-10"}}]})");
  ASSERT_NE(m, nullptr);
  EXPECT_TRUE(m->apply(er7({kMsh})));
  EXPECT_TRUE(m->apply(er7({"MSH|^~\\&|A|B|C|D|20260305||ADT^A31|C9|P|2.5"})));
  auto refused = m->apply(er7({"MSH|^~\\&|A|B|C|D|20260305||ORM^O01|C9|P|2.5"}));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().reason, "mapping lis does not handle ORM^O01 messages");
}

TEST(EvaluatorEventsTest, OnlyWithATimeAndWhenTheConditionHolds) {
  const auto m = compile(R"({"discipline": "RAD", "records": [{"table": "his_order",
      "for_each": "ORC+OBR", "key": ["order_no"],
      "columns": {"order_no": "ORC-2", "priority": {"const": "S"}, "status": "OBR-25",
                  "started_at": {"path": "OBR-7", "transform": ["datetime"]},
                  "reported_at": {"path": "OBR-22", "transform": ["datetime"]}},
      "events": [{"kind": "started", "time": {"column": "started_at"}, "modality": "OBR-24"},
                 {"kind": "final", "time": {"column": "reported_at"},
                  "when": {"value": {"column": "status"}, "equals": "F"},
                  "department": {"const": "CDHA"}, "priority": {"const": "R"}}]}]})");
  ASSERT_NE(m, nullptr);
  auto out = m->apply(er7({kMsh, "ORC|RE|A1",
                           seg("OBR", {{1, "1"}, {4, "CT"}, {7, "202603050900"},
                                       {22, "202603051000"}, {24, "CT"}, {25, "F"}}),
                           "ORC|RE|A2", seg("OBR", {{1, "2"}, {22, "202603051100"}, {25, "P"}}),
                           "ORC|RE|A3", seg("OBR", {{1, "3"}, {25, "F"}})}));
  ASSERT_TRUE(out) << out.error().reason;
  ASSERT_EQ(out->events.size(), 2U);  // A2 has no start and is not final; A3 has no times
  const ClinicalEvent& started = out->events[0];
  EXPECT_EQ(started.kind, "started");
  EXPECT_EQ(started.time, "2026-03-05T09:00+07:00");
  EXPECT_EQ(started.discipline, "RAD");
  EXPECT_EQ(started.order_no, "A1");
  EXPECT_EQ(started.priority, "S");  // the record's column of the same name
  EXPECT_EQ(started.modality, "CT");
  const ClinicalEvent& final_event = out->events[1];
  EXPECT_EQ(final_event.kind, "final");
  EXPECT_EQ(final_event.time, "2026-03-05T10:00+07:00");
  EXPECT_EQ(final_event.department, "CDHA");
  EXPECT_EQ(final_event.priority, "R");  // the event's own value wins over the column
  EXPECT_EQ(final_event.modality, "");
}

TEST(EvaluatorEventsTest, EachFieldTakesTheRecordsColumnOfItsNameElseNothing) {
  // Every event field from the column of the same name (the discipline too), in a row whose
  // columns are in another order; a rule without such columns gives the mapping's discipline
  // and empty fields, also over the events an earlier message left in a reused output.
  const auto m = compile(R"({"discipline": "LAB", "records": [
      {"table": "a", "for_each": "OBR", "key": ["order_no"],
       "columns": {"modality": "OBR-24", "service_code": "OBR-4", "priority": "OBR-5",
                   "department": "OBR-6", "patient_id": "OBR-7", "visit_id": "OBR-8",
                   "order_no": "OBR-2", "discipline": "OBR-9", "at": "OBR-22"},
       "events": [{"kind": "final", "time": {"column": "at"}}]},
      {"table": "b", "for_each": "OBR", "key": ["k"], "columns": {"k": "OBR-3", "at": "OBR-22"},
       "events": [{"kind": "final", "time": {"column": "at"}}]}]})");
  ASSERT_NE(m, nullptr);
  const auto obr = [](std::string_view code) {
    return seg("OBR", {{1, "1"}, {2, "O1"}, {3, code}, {4, "SC"}, {5, "S"}, {6, "KHOA"}, {7, "P1"},
                       {8, "V1"}, {9, "RAD"}, {22, "202603051000"}, {24, "CT"}});
  };
  // The first message's second event (of rule a) sits where the second's event of rule b goes.
  const auto first = hl7::Message::parse_owned(er7({kMsh, obr("K1"), obr("K2")}));
  const auto second = hl7::Message::parse_owned(er7({kMsh, obr("K3")}));
  ASSERT_TRUE(first && second);
  Evaluator evaluator(m->program());
  MappingOutput out;
  ASSERT_TRUE(evaluator.map_into(*first, out)) << evaluator.error();
  ASSERT_EQ(out.events.size(), 4U);
  ASSERT_TRUE(evaluator.map_into(*second, out)) << evaluator.error();
  ASSERT_EQ(out.events.size(), 2U);
  const ClinicalEvent& a = out.events[0];
  EXPECT_EQ(a.discipline, "RAD");
  EXPECT_EQ(a.order_no, "O1");
  EXPECT_EQ(a.visit_id, "V1");
  EXPECT_EQ(a.patient_id, "P1");
  EXPECT_EQ(a.department, "KHOA");
  EXPECT_EQ(a.priority, "S");
  EXPECT_EQ(a.service_code, "SC");
  EXPECT_EQ(a.modality, "CT");
  const ClinicalEvent& b = out.events[1];
  EXPECT_EQ(b.kind, "final");
  ClinicalEvent expected;  // every other field empty
  expected.kind = b.kind;
  expected.time = b.time;
  expected.discipline = "LAB";
  EXPECT_EQ(b, expected);
}

TEST(EvaluatorEventsTest, AConditionOnAColumnTakesItAsItStandsAndAnyOfItsTexts) {
  // `equals` and `in` on a column of the row, a column with steps of its own, and the same
  // condition on a path and on a column with a step in the condition (those evaluated): each
  // event only where its condition holds, never for an empty status.
  const auto m = compile(R"({"records": [{"table": "his_order", "for_each": "OBR",
      "key": ["order_no"],
      "columns": {"order_no": "OBR-2", "status": "OBR-25",
                  "lowered": {"path": "OBR-25", "transform": ["lower"]},
                  "at": {"path": "OBR-22", "transform": ["datetime"]}},
      "events": [
        {"kind": "final", "time": {"column": "at"},
         "when": {"value": {"column": "status"}, "in": ["F", "C"]}},
        {"kind": "preliminary", "time": {"column": "at"},
         "when": {"value": {"column": "status"}, "equals": "P"}},
        {"kind": "corrected", "time": {"column": "at"},
         "when": {"value": {"column": "lowered"}, "equals": "c"}},
        {"kind": "collected", "time": {"path": "OBR-7", "transform": ["datetime"]},
         "when": {"value": "OBR-25", "equals": "F"}},
        {"kind": "received", "time": {"column": "at"},
         "when": {"value": {"column": "status", "transform": ["lower"]}, "in": ["p", "x"]}}]}]})");
  ASSERT_NE(m, nullptr);
  const auto obr = [](std::string_view order, std::string_view status) {
    return seg("OBR", {{1, "1"}, {2, order}, {7, "202603050900"}, {22, "202603051000"},
                       {25, status}});
  };
  auto out = m->apply(er7({kMsh, obr("A1", "F"), obr("A2", "P"), obr("A3", "C"), obr("A4", ""),
                           obr("A5", "FF")}));
  ASSERT_TRUE(out) << out.error().reason;
  std::vector<std::string> events;
  for (const ClinicalEvent& e : out->events) {
    events.push_back(std::string(e.order_no) + ":" + std::string(e.kind) + "@" +
                     std::string(e.time));
  }
  EXPECT_EQ(events, (std::vector<std::string>{
                        "A1:final@2026-03-05T10:00+07:00", "A1:collected@2026-03-05T09:00+07:00",
                        "A2:preliminary@2026-03-05T10:00+07:00", "A2:received@2026-03-05T10:00+07:00",
                        "A3:final@2026-03-05T10:00+07:00", "A3:corrected@2026-03-05T10:00+07:00"}));
}

// --- XML input -----------------------------------------------------------------------------

TEST(EvaluatorXmlTest, XPathsReadFromEachNodeAndTheRootNameIsTheType) {
  const auto m = compile(R"({"input": "xml", "messages": ["KetQua"], "records": [{"table": "t",
      "for_each": "/KetQua/ChiDinh/Dong", "key": ["o", "c"],
      "columns": {"o": "../@so", "c": "@ma", "v": "GiaTri", "bn": "/KetQua/BenhNhan/Ma",
      "all": {"collect": {"for_each": "../Dong", "value": "@ma"}, "separator": ","}}}]})");
  ASSERT_NE(m, nullptr);
  auto out = m->apply(R"(<?xml version="1.0" encoding="UTF-8"?>
<v:KetQua xmlns:v="urn:vendor"><BenhNhan><Ma>BN1</Ma></BenhNhan>
  <ChiDinh so="XN1"><Dong ma="GLU"><GiaTri>7,8</GiaTri></Dong><Dong ma="NA"><GiaTri/></Dong></ChiDinh>
</v:KetQua>)");
  // A namespace prefix is not part of the message type, but XPath matches names as written:
  // a file with prefixes needs them in its XPaths (/v:KetQua/...).
  ASSERT_TRUE(out) << out.error().reason;
  EXPECT_TRUE(out->records.empty());
  out = m->apply(R"(<KetQua><BenhNhan><Ma>BN1</Ma></BenhNhan>
  <ChiDinh so="XN1"><Dong ma="GLU"><GiaTri>7,8</GiaTri></Dong><Dong ma="NA"><GiaTri/></Dong></ChiDinh>
</KetQua>)");
  ASSERT_TRUE(out) << out.error().reason;
  EXPECT_EQ(rows(*out), (std::vector<std::string>{"XN1|GLU|7,8|BN1|GLU,NA",
                                                  "XN1|NA|<null>|BN1|GLU,NA"}));
}

TEST(EvaluatorXmlTest, BadXmlAndDoctypeAreRefused) {
  const auto m = compile(R"({"input": "xml", "records": [{"table": "t", "key": ["k"],
      "columns": {"k": "/a"}}]})");
  ASSERT_NE(m, nullptr);
  auto broken = m->apply("<a><b></a>");
  ASSERT_FALSE(broken);
  EXPECT_TRUE(broken.error().reason.starts_with("not well-formed XML at byte ")) << broken.error().reason;
  auto doctype = m->apply("<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>");
  EXPECT_FALSE(doctype);
  const std::string message = er7({kMsh});
  auto parsed = hl7::read_message(message, "");
  ASSERT_TRUE(parsed);
  auto wrong = m->apply(*parsed);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().reason, "mapping t reads XML, not HL7 v2");
}

TEST(EvaluatorCoverageTest, ARowSegmentOutsideEveryGroupIsReportedNotDropped) {
  auto m = compile(R"({"records": [{"table": "t", "for_each": ["ORC+OBR", "OBX"],
    "key": ["o", "c"], "columns": {"o": "OBR-3", "c": "OBX-3"}}]})");
  ASSERT_TRUE(m);
  auto out = m->apply(er7({kMsh, "PID|1||P1", "OBX|1|NM|STRAY||9", "ORC|RE|A1", "OBR|1||F1",
                           "OBX|1|NM|T1||1"}));
  ASSERT_TRUE(out) << out.error().reason;
  EXPECT_EQ(rows(*out), std::vector<std::string>{"F1|T1"});
  ASSERT_EQ(out->warnings.size(), 1U);
  EXPECT_EQ(out->warnings[0], "t: OBX at segment 3 is outside every ORC+OBR > OBX group: not mapped");
}

TEST(EvaluatorCoverageTest, ARowSkippedByItsConditionIsNotReported) {
  auto m = compile(R"({"records": [{"table": "t", "for_each": "OBX", "key": ["c"],
    "when": {"value": "OBX-11", "equals": "F"}, "columns": {"c": "OBX-3"}}]})");
  ASSERT_TRUE(m);
  auto out = m->apply(er7({kMsh, "OBX|1|NM|A||1||||||F", "OBX|2|NM|B||2||||||P"}));
  ASSERT_TRUE(out) << out.error().reason;
  EXPECT_EQ(rows(*out), std::vector<std::string>{"A"});
  EXPECT_TRUE(out->warnings.empty());
}

TEST(EvaluatorCoverageTest, ARuleForAnotherMessageTypeIsNotWalked) {
  // The OUL rule's groups do not exist in an ORU: without the message-level skip its OBX would
  // all be reported as outside every group.
  auto m = compile(R"({"records": [
    {"table": "oru", "when": {"message_type": "ORU"}, "for_each": "OBX", "key": ["c"],
     "columns": {"c": "OBX-3"}},
    {"table": "oul", "when": {"message_type": "OUL"}, "for_each": ["SPM", "OBR", "OBX"],
     "key": ["c"], "columns": {"c": "OBX-3"}}]})");
  ASSERT_TRUE(m);
  auto out = m->apply(er7({kMsh, "OBR|1||F1", "OBX|1|NM|A||1"}));
  ASSERT_TRUE(out) << out.error().reason;
  EXPECT_EQ(rows(*out, "oru"), std::vector<std::string>{"A"});
  EXPECT_TRUE(rows(*out, "oul").empty());
  EXPECT_TRUE(out->warnings.empty());
}

}  // namespace
}  // namespace hisbridge::mapping

#include "engine/hl7/batch.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "engine/hl7/message.hpp"
#include "tests/support/read_file.hpp"

namespace hisbridge::hl7 {
namespace {

namespace fs = std::filesystem;

using testing_support::read_file;

std::string fixture(std::string_view name) {
  const fs::path path = fs::path(HISBRIDGE_FIXTURES_DIR) / "hl7" / "batch" / name;
  EXPECT_TRUE(fs::exists(path)) << path;
  return read_file(path);
}

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

// Every message parses, and writing it back gives the view's bytes: the view holds the whole
// message with its own terminators. Returns the control ids (MSH-10) in order.
std::vector<std::string> parse_all(const Batch& batch) {
  std::vector<std::string> ids;
  for (std::string_view view : batch.messages) {
    auto m = Message::parse(view);
    EXPECT_TRUE(m) << m.error().message() << "\n" << view;
    if (m) {
      EXPECT_EQ(m->to_er7(), view);
      ids.push_back(m->header().control_id);
    }
  }
  return ids;
}

const std::vector<std::string> kThreeIds = {"LIS-B-0001", "LIS-B-0002", "LIS-B-0003"};

TEST(BatchTest, SplitsFhsBhsBatch) {
  const std::string file = fixture("fhs-bhs-batch.hl7");
  const Batch batch = split_messages(file);
  ASSERT_EQ(batch.messages.size(), 3u);
  EXPECT_EQ(parse_all(batch), kThreeIds);
  EXPECT_EQ(batch.message_lines, (std::vector<std::size_t>{3, 7, 11}));
  EXPECT_TRUE(batch.file_header.starts_with("FHS|^~\\&|LIS|"));
  EXPECT_TRUE(batch.file_header.ends_with("|FILE-0305"));
  EXPECT_EQ(batch.file_trailer, "FTS|1");
  EXPECT_EQ(batch.declared_batch_count, 1u);
  ASSERT_EQ(batch.batches.size(), 1u);
  const BatchEnvelope& envelope = batch.batches[0];
  EXPECT_TRUE(envelope.header.ends_with("|BATCH-0305-1"));
  EXPECT_EQ(envelope.header_line, 2u);
  EXPECT_EQ(envelope.trailer, "BTS|3|Ba kết quả");
  EXPECT_EQ(envelope.declared_count, 3u);
  EXPECT_EQ(envelope.message_count, 3u);
  EXPECT_TRUE(batch.skipped.empty());
  EXPECT_TRUE(batch.problems.empty()) << batch.problems[0].message();
  // The last message ends with its own CR, before the BTS.
  EXPECT_TRUE(batch.messages[2].ends_with("|F\r"));
}

TEST(BatchTest, ReportsBtsCountMismatch) {
  const std::string file = fixture("bts-count-mismatch.hl7");
  const Batch batch = split_messages(file);
  EXPECT_EQ(batch.messages.size(), 2u);
  ASSERT_EQ(batch.batches.size(), 1u);
  EXPECT_EQ(batch.batches[0].declared_count, 3u);
  EXPECT_EQ(batch.batches[0].message_count, 2u);
  ASSERT_EQ(batch.problems.size(), 1u);
  const ParseError& problem = batch.problems[0];
  EXPECT_EQ(problem.code, Error::batch_malformed);
  EXPECT_EQ(problem.offset, file.find("BTS|3"));
  EXPECT_EQ(problem.field, 1u);
  EXPECT_NE(problem.detail.find("line 11: BTS-1 declares 3 messages"), std::string::npos)
      << problem.detail;
  EXPECT_NE(problem.detail.find("holds 2"), std::string::npos) << problem.detail;
}

TEST(BatchTest, SplitsBlankLineSeparatedFileAndCountsComments) {
  const std::string file = fixture("blank-line-separated.hl7");
  const Batch batch = split_messages(file);
  ASSERT_EQ(batch.messages.size(), 3u);
  EXPECT_EQ(parse_all(batch), kThreeIds);
  EXPECT_EQ(batch.message_lines, (std::vector<std::size_t>{3, 9, 15}));
  ASSERT_EQ(batch.skipped.size(), 2u);
  EXPECT_EQ(batch.skipped[0].line, 1u);
  EXPECT_EQ(batch.skipped[0].text, "// Kết quả sinh hóa, xuất từ LIS ngày 05/03/2026");
  EXPECT_EQ(batch.skipped[1].line, 14u);
  EXPECT_EQ(batch.skipped[1].text, "/* Tin nhắn cuối */");
  EXPECT_TRUE(batch.problems.empty());
  for (std::string_view m : batch.messages) {
    EXPECT_TRUE(m.ends_with("|F\n"));
  }
}

TEST(BatchTest, SplitsMshSeparatedCrlfFile) {
  const std::string file = fixture("msh-separated-crlf.hl7");
  const Batch batch = split_messages(file);
  ASSERT_EQ(batch.messages.size(), 3u);
  EXPECT_EQ(parse_all(batch), kThreeIds);
  EXPECT_EQ(batch.message_lines, (std::vector<std::size_t>{1, 5, 9}));
  for (std::string_view m : batch.messages) {
    EXPECT_TRUE(m.ends_with("|F\r\n"));
  }
  EXPECT_TRUE(batch.skipped.empty());
}

TEST(BatchTest, AcceptsEveryTerminator) {
  const std::string cr = fixture("fhs-bhs-batch.hl7");
  for (std::string_view terminator : {"\n", "\r\n", "\r\r\n"}) {
    SCOPED_TRACE(testing::PrintToString(std::string(terminator)));
    const std::string file = replace_all(cr, "\r", terminator);
    const Batch batch = split_messages(file);
    ASSERT_EQ(batch.messages.size(), 3u);
    EXPECT_EQ(parse_all(batch), kThreeIds);
    EXPECT_EQ(batch.message_lines, (std::vector<std::size_t>{3, 7, 11}));
    EXPECT_TRUE(batch.messages[0].ends_with(std::string("|F") + std::string(terminator)));
    EXPECT_TRUE(batch.problems.empty());
    EXPECT_TRUE(batch.skipped.empty());
  }
}

TEST(BatchTest, SkipsByteOrderMarks) {
  const std::string one = "MSH|^~\\&|A|B|C|D|20260305||ADT^A04|1|P|2.5\rPID|1||X\r";
  const std::string two = replace_all(one, "|1|P|", "|2|P|");
  const std::string file = "\xEF\xBB\xBF" + one + "\xEF\xBB\xBF" + two;
  const Batch batch = split_messages(file);
  ASSERT_EQ(batch.messages.size(), 2u);
  EXPECT_EQ(batch.messages[0], one);
  EXPECT_EQ(batch.messages[1], two);
  EXPECT_EQ(parse_all(batch), (std::vector<std::string>{"1", "2"}));
}

// Segments after a blank line that no MSH starts belong to no message: they are reported, not
// glued to the message before (which may be another patient's).
TEST(BatchTest, BlankLineEndsMessage) {
  const std::string file =
      "MSH|^~\\&|A|B|C|D|20260305||ORU^R01|1|P|2.5\nPID|1||P1\n\nPID|1||P2\nOBX|1|NM|GLU||9\n";
  const Batch batch = split_messages(file);
  ASSERT_EQ(batch.messages.size(), 1u);
  EXPECT_TRUE(batch.messages[0].ends_with("PID|1||P1\n"));
  ASSERT_EQ(batch.skipped.size(), 2u);
  EXPECT_EQ(batch.skipped[0].line, 4u);
  EXPECT_EQ(batch.skipped[0].text, "PID|1||P2");
  EXPECT_EQ(batch.skipped[1].line, 5u);
}

// A line inside a message stays in it, so the message fails to parse rather than losing the
// segments after that line.
TEST(BatchTest, StrayLineInsideMessageStaysInIt) {
  const std::string file =
      "MSH|^~\\&|A|B|C|D|20260305||ORU^R01|1|P|2.5\rPID|1||P1\rnot a segment\rOBX|1|NM|GLU||9\r";
  const Batch batch = split_messages(file);
  ASSERT_EQ(batch.messages.size(), 1u);
  EXPECT_EQ(batch.messages[0], file);
  EXPECT_TRUE(batch.skipped.empty());
  auto m = Message::parse(batch.messages[0]);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, Error::bad_segment_id);
}

TEST(BatchTest, ReportsEnvelopeProblems) {
  const std::string msh = "MSH|^~\\&|A|B|C|D|20260305||ADT^A04|1|P|2.5\r";
  auto details = [](const Batch& b) {
    std::string all;
    for (const ParseError& e : b.problems) {
      EXPECT_EQ(e.code, Error::batch_malformed);
      all += e.detail + "\n";
    }
    return all;
  };
  const Batch no_bts = split_messages("BHS|^~\\&\r" + msh + msh);
  EXPECT_EQ(no_bts.messages.size(), 2u);
  EXPECT_EQ(no_bts.batches.at(0).message_count, 2u);
  EXPECT_EQ(details(no_bts), "end of file: the BHS on line 1 has no BTS\n");

  const Batch no_bhs = split_messages(msh + "BTS|1\r");
  EXPECT_EQ(details(no_bhs), "line 2: BTS without a BHS: BTS|1\n");

  const Batch no_fhs = split_messages("BHS|^~\\&\r" + msh + "BTS|1\rFTS|1\r");
  EXPECT_EQ(details(no_fhs), "line 4: FTS without an FHS\n");

  const Batch no_fts = split_messages("FHS|^~\\&\rBHS|^~\\&\r" + msh + "BTS|1\r");
  EXPECT_EQ(details(no_fts), "end of file: the FHS on line 1 has no FTS\n");

  const Batch batch_count = split_messages("FHS|^~\\&\rBHS|^~\\&\r" + msh + "BTS|1\rFTS|2\r");
  EXPECT_EQ(batch_count.declared_batch_count, 2u);
  EXPECT_EQ(details(batch_count), "line 5: FTS-1 declares 2 batches, but the file holds 1\n");

  // Without BHS, senders often count messages in FTS-1: accepted.
  const Batch message_count = split_messages("FHS|^~\\&\r" + msh + msh + "FTS|2\r");
  EXPECT_EQ(message_count.messages.size(), 2u);
  EXPECT_TRUE(message_count.problems.empty()) << details(message_count);

  const Batch not_a_number = split_messages("BHS|^~\\&\r" + msh + "BTS|three\r");
  EXPECT_EQ(details(not_a_number), "line 3: BTS-1 (batch message count) is not a number\n");

  const Batch empty_count = split_messages("BHS|^~\\&\r" + msh + "BTS||no count\r");
  EXPECT_FALSE(empty_count.batches.at(0).declared_count);
  EXPECT_TRUE(empty_count.problems.empty()) << details(empty_count);

  const std::string two_files = "FHS|^~\\&|A\r" + msh + "FHS|^~\\&|B\r" + msh + "FTS|2\r";
  const Batch two_fhs = split_messages(two_files);
  EXPECT_EQ(two_fhs.messages.size(), 2u);
  EXPECT_EQ(two_fhs.file_header, "FHS|^~\\&|A");
  EXPECT_EQ(details(two_fhs), "line 3: a second FHS (the first is on line 1): FHS|^~\\&|B\n");
}

TEST(BatchTest, EmptyAndCommentOnlyFilesHaveNoMessages) {
  EXPECT_TRUE(split_messages("").messages.empty());
  const Batch comments = split_messages("\n\n// nothing here\r\n");
  EXPECT_TRUE(comments.messages.empty());
  ASSERT_EQ(comments.skipped.size(), 1u);
  EXPECT_EQ(comments.skipped[0].line, 3u);
  // `MSHX` and `MSH` alone do not start a message.
  EXPECT_TRUE(split_messages("MSHX|^~\\&\nMSH\n").messages.empty());
}

fs::path samples_dir() { return HISBRIDGE_SAMPLES_DIR; }

// HAPI's multi-message file: messages separated by blank lines, with C-style comments between
// them and two messages that send only three encoding characters (`^~\}`, `^~}`).
TEST(BatchTest, SplitsHapiMessagesTxt) {
  const fs::path path = samples_dir() / "hapi" / "messages.txt";
  if (!fs::exists(path)) {
    GTEST_SKIP() << "shared samples are absent";
  }
  const std::string file = read_file(path);
  const Batch batch = split_messages(file);
  ASSERT_EQ(batch.messages.size(), 18u);
  EXPECT_EQ(batch.message_lines, (std::vector<std::size_t>{4, 13, 22, 26, 36, 46, 52, 56, 65, 72,
                                                           80, 88, 97, 105, 111, 117, 123, 127}));
  EXPECT_EQ(batch.skipped.size(), 16u);  // 3 + 10 + 3 comment lines
  for (const SkippedLine& line : batch.skipped) {
    EXPECT_TRUE(line.text.starts_with("/*") || line.text.starts_with(" *") ||
                line.text.starts_with("//"))
        << "line " << line.line << ": " << line.text;
  }
  EXPECT_EQ(batch.skipped.front().line, 1u);
  EXPECT_EQ(batch.skipped.back().line, 133u);
  EXPECT_TRUE(batch.problems.empty());

  std::string failures;
  for (std::size_t i = 0; i < batch.messages.size(); ++i) {
    auto m = Message::parse(batch.messages[i]);
    if (!m) {
      failures += "message " + std::to_string(i + 1) + " (line " +
                  std::to_string(batch.message_lines[i]) + "): " + m.error().message() + "\n";
    } else if (m->to_er7() != batch.messages[i]) {
      failures += "message " + std::to_string(i + 1) + ": round trip differs\n";
    }
  }
  EXPECT_EQ(failures, "");
}

// Each sample file holds one message, whatever its BOM and terminators.
TEST(BatchTest, EverySampleFileIsOneMessage) {
  if (!fs::exists(samples_dir())) {
    GTEST_SKIP() << "shared samples are absent";
  }
  std::size_t files = 0;
  for (const char* dir : {"fhir-converter/hl7v2", "corpus"}) {
    for (const auto& entry : fs::directory_iterator(samples_dir() / dir)) {
      SCOPED_TRACE(entry.path().string());
      const std::string file = read_file(entry.path());
      const Batch batch = split_messages(file);
      ASSERT_EQ(batch.messages.size(), 1u);
      EXPECT_TRUE(batch.skipped.empty());
      EXPECT_TRUE(batch.problems.empty());
      auto m = Message::parse(batch.messages[0]);
      ASSERT_TRUE(m) << m.error().message();
      EXPECT_EQ(m->to_er7(), batch.messages[0]);
      ++files;
    }
  }
  EXPECT_EQ(files, 149u);  // 139 + 10
}

}  // namespace
}  // namespace hisbridge::hl7

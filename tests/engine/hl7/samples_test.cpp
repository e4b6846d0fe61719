// Every ER7 message in the shared samples and in the project's own fixtures: it parses, writes
// back byte for byte, and the large embedded documents survive escaping both ways.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "engine/hl7/batch.hpp"
#include "engine/hl7/charset.hpp"
#include "engine/hl7/escape.hpp"
#include "engine/hl7/message.hpp"
#include "engine/hl7/message_builder.hpp"
#include "tests/support/read_file.hpp"

namespace hisbridge::hl7 {
namespace {

namespace fs = std::filesystem;

using testing_support::read_file;

bool is_er7_file(const fs::path& path) {
  const auto ext = path.extension();
  const auto name = path.filename().string();
  return (ext == ".hl7" || ext == ".txt") && !name.starts_with("uuencoded");
}

std::vector<fs::path> er7_files(const std::vector<fs::path>& dirs) {
  std::vector<fs::path> files;
  for (const auto& dir : dirs) {
    if (!fs::is_directory(dir)) {
      continue;
    }
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
      if (entry.is_regular_file() && is_er7_file(entry.path())) {
        files.push_back(entry.path());
      }
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Parses every message of every file and checks the round trips; returns how many messages.
std::size_t check_files(const std::vector<fs::path>& files) {
  std::size_t messages = 0;
  for (const auto& path : files) {
    SCOPED_TRACE(path.string());
    const std::string bytes = read_file(path);
    const Batch batch = split_messages(bytes);
    EXPECT_FALSE(batch.messages.empty());
    for (std::string_view text : batch.messages) {
      ++messages;
      auto decoded = decode(text);
      auto plain = Message::parse(text);
      if (!decoded || !plain) {
        ADD_FAILURE() << (decoded ? plain.error() : decoded.error()).message();
        continue;
      }
      const std::string_view without_bom =
          text.starts_with("\xEF\xBB\xBF") ? text.substr(3) : text;
      EXPECT_EQ(plain->to_er7(), without_bom);
      EXPECT_EQ(MessageBuilder::from(*plain).to_er7(), without_bom);
      EXPECT_EQ(MessageBuilder::from(*decoded).to_er7(), decoded->raw());
      EXPECT_FALSE(decoded->header().message_code.empty());
    }
  }
  return messages;
}

TEST(SamplesTest, EverySharedSampleParsesAndRoundTrips) {
  const fs::path samples = HISBRIDGE_SAMPLES_DIR;
  if (!fs::is_directory(samples)) {
    GTEST_SKIP() << "shared samples not present";
  }
  const auto files = er7_files({samples / "fhir-converter" / "hl7v2", samples / "corpus",
                                samples / "hapi"});
  ASSERT_GE(files.size(), 150u);
  const std::size_t messages = check_files(files);
  EXPECT_GE(messages, files.size());
  std::cout << "[ samples  ] " << files.size() << " files, " << messages << " messages\n";
}

TEST(SamplesTest, EveryOwnFixtureParsesAndRoundTrips) {
  const auto files = er7_files({fs::path(HISBRIDGE_FIXTURES_DIR) / "hl7"});
  ASSERT_GE(files.size(), 10u);
  const std::size_t messages = check_files(files);
  std::cout << "[ fixtures ] " << files.size() << " files, " << messages << " messages\n";
}

TEST(SamplesTest, LargeEmbeddedDocumentsSurviveEscaping) {
  const fs::path hapi = fs::path(HISBRIDGE_SAMPLES_DIR) / "hapi";
  if (!fs::exists(hapi / "uuencoded.txt")) {
    GTEST_SKIP() << "shared samples not present";
  }
  const std::string document = read_file(hapi / "uuencoded.txt");
  MessageBuilder b;
  ASSERT_TRUE(b.add_segment("MSH"));
  ASSERT_TRUE(b.set("MSH-9", "ORU"));
  ASSERT_TRUE(b.set("OBX-2", "ED"));
  ASSERT_TRUE(b.set("OBX-5.5", document));
  auto m = b.build();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->get("OBX-5.5").value(), document);

  // The same document as a sender escaped it: \X0D\\X0A\ for each line break.
  const std::string escaped = read_file(hapi / "uuencoded_escaped.txt");
  const std::string decoded = decode_escapes(escaped, Delimiters{});
  EXPECT_GT(decoded.size(), 60'000u);
  EXPECT_EQ(decoded.find("\\X0D\\"), std::string::npos);
  EXPECT_TRUE(decoded.starts_with("begin 644 WAV.DAT\r\n"));
}

}  // namespace
}  // namespace hisbridge::hl7

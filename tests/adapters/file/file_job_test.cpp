#include "adapters/file/file_job.hpp"

#include <gtest/gtest.h>

#include <string>

#include "engine/hl7/ack.hpp"
#include "engine/hl7/message.hpp"
#include "tests/adapters/adapter_test_support.hpp"

namespace hisbridge::file {
namespace {

const std::string kMsg1 = "MSH|^~\\&|LIS|LAB|HIS|HOSP|20260305||ORU^R01|C1|P|2.5\rPID|1||1\r";
const std::string kMsg2 = "MSH|^~\\&|LIS|LAB|HIS|HOSP|20260305||ORU^R01|C2|P|2.5\rPID|1||2\r";
const std::string kBad = "MSH|^~\\&|LIS|LAB|HIS|HOSP|20260305||ORU^R01|C3|P|2.5\rzz|bad\r";

router::Reply reply_to(std::string_view message, std::int64_t id) {
  return testing::ingest_like(router::Envelope{std::string(message), "lis", "f", 0}, id);
}

TEST(FileJobTest, OneMessageIsTheWholeFile) {
  const std::string bytes = "\xEF\xBB\xBF" + kMsg1 + "\r\n\r\n";
  const FileJob job = FileJob::from_bytes("a.hl7", bytes, {});
  ASSERT_FALSE(job.failed());
  ASSERT_EQ(job.message_count(), 1u);
  EXPECT_EQ(job.message(0), bytes);
}

TEST(FileJobTest, BatchFileGivesEveryMessage) {
  const std::string bytes = "FHS|^~\\&|LIS\rBHS|^~\\&|LIS\r" + kMsg1 + kMsg2 + "BTS|2\rFTS|1\r";
  const FileJob job = FileJob::from_bytes("batch.hl7", bytes, {});
  ASSERT_FALSE(job.failed());
  ASSERT_EQ(job.message_count(), 2u);
  EXPECT_EQ(job.message(0), kMsg1);
  EXPECT_EQ(job.message(1), kMsg2);
  EXPECT_EQ(job.reason().find("batch envelope"), std::string::npos);
}

TEST(FileJobTest, MessagesOneAfterAnotherWithBlankLines) {
  // A blank line between the two.
  const FileJob job = FileJob::from_bytes("m.hl7", kMsg1 + "\r" + kMsg2, {});
  ASSERT_EQ(job.message_count(), 2u);
  EXPECT_EQ(job.message(0), kMsg1);
  EXPECT_EQ(job.message(1), kMsg2);
}

TEST(FileJobTest, XmlAndWideFilesAreOneMessage) {
  const std::string xml = "\n  <ORU_R01 xmlns=\"urn:hl7-org:v2xml\"><MSH/></ORU_R01>\n";
  FileJob job = FileJob::from_bytes("x.xml", xml, {});
  ASSERT_EQ(job.message_count(), 1u);
  EXPECT_EQ(job.message(0), xml);

  const std::string utf16 = std::string("\xFF\xFEM\0S\0H\0", 8);
  job = FileJob::from_bytes("w.hl7", utf16, {});
  ASSERT_EQ(job.message_count(), 1u);
  EXPECT_EQ(job.message(0), utf16);

  job = FileJob::from_bytes("b.hl7", kMsg1 + kMsg2, {.max_file_bytes = 1024, .whole_file = true});
  ASSERT_EQ(job.message_count(), 1u);
}

TEST(FileJobTest, EmptyOrMessagelessFilesFail) {
  EXPECT_EQ(FileJob::from_bytes("e.hl7", "", {}).failure(), "the file is empty");
  EXPECT_TRUE(FileJob::from_bytes("s.hl7", " \r\n", {}).failed());
  const FileJob text = FileJob::from_bytes("t.hl7", "hello\r\nworld\r\n", {});
  EXPECT_TRUE(text.failed());
  EXPECT_NE(text.reason().find("t.hl7: the file holds no HL7 message"), std::string::npos);
}

TEST(FileJobTest, MissingOrTooLargeFileFails) {
  testing::TempDir dir;
  EXPECT_TRUE(FileJob::load(dir.path() / "none.hl7", "none.hl7", {}).failed());
  testing::write_file(dir.path() / "big.hl7", kMsg1);
  const FileJob big = FileJob::load(dir.path() / "big.hl7", "big.hl7", {.max_file_bytes = 10});
  EXPECT_TRUE(big.failed());
  EXPECT_NE(big.failure().find("more than the 10"), std::string::npos) << big.failure();
  const FileJob fits = FileJob::load(dir.path() / "big.hl7", "big.hl7", {});
  ASSERT_FALSE(fits.failed());
  EXPECT_EQ(fits.message(0), kMsg1);
}

TEST(FileJobTest, TracksRepliesAndWritesTheReason) {
  // Lines: 1 MSH, 2 PID, 3 blank, 4 junk, 5 blank, 6 MSH.
  FileJob job = FileJob::from_bytes("mix.hl7", kMsg1 + "\rjunk line\r\r" + kBad, {});
  ASSERT_EQ(job.message_count(), 2u);
  EXPECT_FALSE(job.complete());
  EXPECT_FALSE(job.record(1, reply_to(job.message(1), 8)));
  EXPECT_FALSE(job.record(1, reply_to(job.message(1), 8)));  // a second reply changes nothing
  EXPECT_TRUE(job.record(0, reply_to(job.message(0), 7)));
  EXPECT_TRUE(job.complete());
  EXPECT_FALSE(job.all_accepted());
  EXPECT_FALSE(job.any_not_stored());

  const std::string reason = job.reason();
  EXPECT_NE(reason.find("mix.hl7: 1 of 2 messages accepted\n"), std::string::npos) << reason;
  EXPECT_NE(reason.find("message 1 (line 1, control id C1): AA, stored as message 7\n"),
            std::string::npos)
      << reason;
  EXPECT_NE(reason.find("message 2 (line 6, control id C3): AR, stored as message 8: "),
            std::string::npos)
      << reason;
  EXPECT_NE(reason.find("line 4 belongs to no message: junk line\n"), std::string::npos) << reason;
}

TEST(FileJobTest, AllAcceptedAndNotStored) {
  FileJob job = FileJob::from_bytes("ok.hl7", kMsg1 + kMsg2, {});
  job.record(0, reply_to(job.message(0), 1));
  EXPECT_FALSE(job.all_accepted());  // not complete yet
  job.record(1, reply_to(job.message(1), 2));
  EXPECT_TRUE(job.all_accepted());

  FileJob failed = FileJob::from_bytes("f.hl7", kMsg1, {});
  failed.record(0, testing::store_failure(router::Envelope{kMsg1, "lis", "f", 0}, 1));
  EXPECT_TRUE(failed.any_not_stored());
  EXPECT_NE(failed.reason().find("AR, not stored: 207 "), std::string::npos) << failed.reason();
}

}  // namespace
}  // namespace hisbridge::file

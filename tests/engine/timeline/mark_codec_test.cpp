#include "engine/timeline/mark_codec.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <iterator>
#include <limits>
#include <set>
#include <span>
#include <string>
#include <vector>

namespace hisbridge::timeline {
namespace {

constexpr std::int64_t kT = 1772673300LL * 1'000'000;  // 2026-03-05T01:15:00Z

// Mark has no operator== of its own: compare every field, naming the first that differs.
testing::AssertionResult same_mark(const Mark& a, const Mark& b) {
  const auto differ = [](const char* field) {
    return testing::AssertionFailure() << "marks differ in " << field;
  };
  if (a.scope != b.scope) {
    return differ("scope");
  }
  if (a.at_us != b.at_us) {
    return differ("at_us") << ": " << a.at_us << " vs " << b.at_us;
  }
  if (a.subject != b.subject) {
    return differ("subject") << ": '" << a.subject << "' vs '" << b.subject << "'";
  }
  if (a.kind != b.kind) {
    return differ("kind") << ": '" << a.kind << "' vs '" << b.kind << "'";
  }
  const SubjectInfo& i = a.info;
  const SubjectInfo& j = b.info;
  if (i.discipline != j.discipline) {
    return differ("info.discipline");
  }
  if (i.visit_id != j.visit_id) {
    return differ("info.visit_id");
  }
  if (i.patient_id != j.patient_id) {
    return differ("info.patient_id");
  }
  if (i.department != j.department) {
    return differ("info.department");
  }
  if (i.priority != j.priority) {
    return differ("info.priority");
  }
  if (i.service_code != j.service_code) {
    return differ("info.service_code");
  }
  if (i.modality != j.modality) {
    return differ("info.modality");
  }
  return testing::AssertionSuccess();
}

testing::AssertionResult same_marks(std::span<const Mark> a, std::span<const Mark> b) {
  if (a.size() != b.size()) {
    return testing::AssertionFailure() << a.size() << " marks vs " << b.size();
  }
  for (std::size_t k = 0; k < a.size(); ++k) {
    if (auto same = same_mark(a[k], b[k]); !same) {
      return same << " (mark " << k << ")";
    }
  }
  return testing::AssertionSuccess();
}

Mark mark(Scope scope, std::string subject, std::string kind, std::int64_t at_us) {
  Mark m;
  m.scope = scope;
  m.subject = std::move(subject);
  m.kind = std::move(kind);
  m.at_us = at_us;
  m.info = {"LAB", "V0001", "BN-042", "Khoa Nội tổng hợp", "S", "GLU", ""};
  return m;
}

// One mark of each scope, with Vietnamese text in several fields.
std::vector<Mark> every_scope() {
  std::vector<Mark> marks = {mark(Scope::order, "ĐH-2026-0001", "collected", kT),
                             mark(Scope::visit, "V0001", "registered", kT - 60'000'000),
                             mark(Scope::message, "18446744073709551615", "accepted", kT + 1)};
  marks[1].info.department = "Khoa Chẩn đoán hình ảnh";
  marks[1].info.patient_id = "Nguyễn Thị Hồng Nhung";
  marks[2].info.service_code = "XN_ĐƯỜNG_HUYẾT";
  marks[2].info.discipline = "RAD";
  marks[2].info.modality = "CT";
  return marks;
}

// Encodes and decodes `marks` into an empty vector, expecting success.
std::vector<Mark> round_trip(std::span<const Mark> marks) {
  std::string bytes;
  encode_marks(marks, bytes);
  std::vector<Mark> decoded;
  std::string error;
  EXPECT_TRUE(decode_marks(bytes, decoded, error)) << error;
  return decoded;
}

std::string header_plus(std::string_view rest) { return std::string("HBM1").append(rest); }

// One order mark at time 0 up to its first length: header, scope, eight time bytes.
std::string up_to_first_length(unsigned char scope = 0) {
  std::string bytes = header_plus("");
  bytes.push_back(static_cast<char>(scope));
  bytes.append(8, '\0');
  return bytes;
}

// The nine zero-length fields that complete the mark up_to_first_length() starts.
std::string nine_empty_fields() { return std::string(9, '\0'); }

// Decodes `bytes` into a vector that already holds a mark, expecting a refusal that leaves it.
void expect_refused(std::string_view bytes) {
  const std::vector<Mark> before = {mark(Scope::visit, "V9", "registered", kT)};
  std::vector<Mark> out = before;
  std::string error;
  EXPECT_FALSE(decode_marks(bytes, out, error));
  EXPECT_FALSE(error.empty());
  EXPECT_TRUE(same_marks(out, before));
}

TEST(MarkCodecTest, RoundTripsEveryScopeWithVietnameseText) {
  const std::vector<Mark> marks = every_scope();
  EXPECT_TRUE(same_marks(round_trip(marks), marks));
}

TEST(MarkCodecTest, EncodesTheDocumentedLayout) {
  Mark m;
  m.scope = Scope::message;
  m.at_us = 0x0102030405060708;
  m.subject = "7";
  m.kind = "đã";  // four UTF-8 bytes
  std::string bytes;
  encode_marks(std::span<const Mark>(&m, 1), bytes);
  std::string expected = "HBM1";
  expected += '\x02';
  expected += std::string("\x08\x07\x06\x05\x04\x03\x02\x01", 8);  // little-endian
  expected += '\x01';
  expected += '7';
  expected += '\x04';
  expected += "đã";
  expected.append(7, '\0');  // the seven empty info fields
  EXPECT_EQ(bytes, expected);
}

TEST(MarkCodecTest, RoundTripsEmptyFields) {
  std::vector<Mark> marks(2);
  marks[1].scope = Scope::visit;
  marks[1].kind = "registered";  // the others empty beside a set one
  EXPECT_TRUE(same_marks(round_trip(marks), marks));
}

TEST(MarkCodecTest, LongFieldsTakeMultiByteLengths) {
  Mark m = mark(Scope::order, std::string(200, 'x'), "final", kT);
  m.info.department = std::string(20'000, 'y');
  m.info.modality = std::string(16'384, 'z');  // exactly 2^14: the first three-byte length
  const std::vector<Mark> marks = {m};
  std::string bytes;
  encode_marks(marks, bytes);
  // 200 = 0b1'1001000: low seven bits with the continuation bit, then 1.
  EXPECT_EQ(bytes.substr(4 + 1 + 8, 2), "\xc8\x01");
  // 20000 = 0x4e20: 0x20, 0x1c (both continued) and 1.
  EXPECT_NE(bytes.find(std::string("\xa0\x9c\x01") + "yyy"), std::string::npos);
  EXPECT_NE(bytes.find(std::string("\x80\x80\x01") + "zzz"), std::string::npos);
  EXPECT_TRUE(same_marks(round_trip(marks), marks));
}

TEST(MarkCodecTest, RoundTripsExtremeTimes) {
  std::vector<Mark> marks;
  for (const std::int64_t at : {std::int64_t{0}, std::int64_t{-1}, -kT, std::int64_t{1},
                                std::numeric_limits<std::int64_t>::min(),
                                std::numeric_limits<std::int64_t>::max()}) {
    marks.push_back(mark(Scope::order, "O1", "ordered", at));
  }
  EXPECT_TRUE(same_marks(round_trip(marks), marks));
}

TEST(MarkCodecTest, ZeroMarksAreTheHeaderAlone) {
  std::string bytes;
  encode_marks({}, bytes);
  EXPECT_EQ(bytes, "HBM1");
  std::vector<Mark> out;
  std::string error;
  EXPECT_TRUE(decode_marks(bytes, out, error)) << error;
  EXPECT_TRUE(out.empty());
}

TEST(MarkCodecTest, EncodeAndDecodeAppend) {
  const std::vector<Mark> marks = every_scope();
  std::string bytes = "prefix";
  encode_marks(marks, bytes);
  ASSERT_TRUE(bytes.starts_with("prefixHBM1"));

  const Mark kept = mark(Scope::visit, "V9", "registered", kT);
  std::vector<Mark> out = {kept};
  std::string error;
  ASSERT_TRUE(decode_marks(std::string_view(bytes).substr(6), out, error)) << error;
  ASSERT_EQ(out.size(), 1 + marks.size());
  EXPECT_TRUE(same_mark(out[0], kept));
  EXPECT_TRUE(same_marks(std::span<const Mark>(out).subspan(1), marks));
}

// The format holds no count of marks, so a cut that falls between two marks reads as the
// marks before it; every other cut must be refused.
TEST(MarkCodecTest, EveryTruncationIsRefusedOrEndsBetweenMarks) {
  std::vector<Mark> marks = every_scope();
  marks.push_back(mark(Scope::order, std::string(300, 'o'), "final", -1));
  marks.back().info.department = std::string(17'000, 'd');
  marks.push_back(Mark{});
  std::string bytes;
  encode_marks(marks, bytes);

  // The lengths at which a mark ends, and the header-only prefix.
  std::set<std::size_t> boundaries = {4};
  for (std::size_t k = 1; k <= marks.size(); ++k) {
    std::string head;
    encode_marks(std::span<const Mark>(marks).first(k), head);
    ASSERT_TRUE(bytes.starts_with(head));
    boundaries.insert(head.size());
  }
  ASSERT_TRUE(boundaries.contains(bytes.size()));

  std::size_t refused = 0;
  for (std::size_t n = 0; n <= bytes.size(); ++n) {
    const std::string_view prefix = std::string_view(bytes).substr(0, n);
    if (!boundaries.contains(n)) {
      SCOPED_TRACE(n);
      expect_refused(prefix);
      ++refused;
      continue;
    }
    std::vector<Mark> out;
    std::string error;
    ASSERT_TRUE(decode_marks(prefix, out, error)) << n << ": " << error;
    const auto count =
        static_cast<std::size_t>(std::distance(boundaries.begin(), boundaries.find(n)));
    EXPECT_TRUE(same_marks(out, std::span<const Mark>(marks).first(count))) << n;
  }
  EXPECT_EQ(refused, bytes.size() + 1 - boundaries.size());
}

TEST(MarkCodecTest, WrongHeaderIsRefused) {
  std::string valid;
  encode_marks(every_scope(), valid);
  for (std::string_view header :
       {std::string_view("HBM2"), std::string_view("hbm1"), std::string_view("MBH1"),
        std::string_view("\0HBM", 4)}) {
    SCOPED_TRACE(header);
    expect_refused(std::string(header) + valid.substr(4));
  }
  expect_refused("");
  expect_refused("HBM");
  expect_refused(" HBM1");
}

TEST(MarkCodecTest, UnknownScopeIsRefused) {
  expect_refused(up_to_first_length(3) + nine_empty_fields());
  expect_refused(up_to_first_length(0xff) + nine_empty_fields());
  // The same mark with a known scope reads, so the scope byte is what the refusals above see.
  std::vector<Mark> out;
  std::string error;
  EXPECT_TRUE(decode_marks(up_to_first_length(2) + nine_empty_fields(), out, error)) << error;

  // A good first mark is not kept when the second is refused.
  std::string two;
  encode_marks(every_scope(), two);
  two.push_back('\x03');
  two += std::string(8, '\0') + nine_empty_fields();
  expect_refused(two);
}

TEST(MarkCodecTest, LengthOfMoreThanTenBytesIsRefused) {
  // Ten continued groups and a last one of zero: the value is 0, but no length takes 11 bytes.
  std::string eleven = up_to_first_length() + std::string(10, '\x80') + '\0';
  expect_refused(eleven + std::string(8, '\0'));
  expect_refused(up_to_first_length() + std::string(64, '\x80'));
}

TEST(MarkCodecTest, LengthBeyondSixtyFourBitsIsRefused) {
  // The tenth group holds bit 63 only; 2^64 must not wrap round to a length of 0.
  std::string wraps = up_to_first_length() + std::string(9, '\x80') + '\x02';
  expect_refused(wraps + std::string(8, '\0'));
  std::string high = up_to_first_length() + std::string(9, '\x80') + '\x7e';
  expect_refused(high + std::string(8, '\0'));
}

// Lengths with more groups than needed are read (the decoder does not insist on the shortest
// form), and encoding what they give writes the shortest form again: the reason the fuzz target
// checks that re-encoding decodes to the same marks rather than that it gives the input back.
TEST(MarkCodecTest, PaddedLengthsAreReadAndWrittenShortest) {
  const std::string padded =
      up_to_first_length() + std::string("\x81\x80\x00", 3) + "s" + std::string(8, '\0');
  std::vector<Mark> out;
  std::string error;
  ASSERT_TRUE(decode_marks(padded, out, error)) << error;
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].subject, "s");

  const std::string zero_in_ten = up_to_first_length() + std::string(9, '\x80') + '\0' +
                                  std::string(8, '\0');
  ASSERT_TRUE(decode_marks(zero_in_ten, out, error)) << error;
  ASSERT_EQ(out.size(), 2u);

  std::string again;
  encode_marks(out, again);
  // Header, then each mark with one-byte lengths: scope, time, nine lengths and the "s".
  EXPECT_EQ(again.size(), 4u + (1 + 8 + 9 + 1) + (1 + 8 + 9));
}

TEST(MarkCodecTest, LengthPastTheEndIsRefused) {
  expect_refused(up_to_first_length() + '\x05' + "abcd");
  // 200 bytes announced, 199 there.
  expect_refused(up_to_first_length() + "\xc8\x01" + std::string(199, 'a'));
  // The last field (modality) announces a byte that is not there.
  expect_refused(up_to_first_length() + std::string(8, '\0') + '\x01');
  // A length near 2^64 does not overflow the bounds check.
  expect_refused(up_to_first_length() + std::string(9, '\xff') + '\x01' + "abc");
  expect_refused(up_to_first_length() + std::string(8, '\xff') + '\x7f' + "abc");
}

}  // namespace
}  // namespace hisbridge::timeline

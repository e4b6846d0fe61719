#include "engine/hl7/charset.hpp"

#include <gtest/gtest.h>
#include <iconv.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

#include "engine/hl7/utf8.hpp"
#include "tests/support/read_file.hpp"

namespace hisbridge::hl7 {
namespace {

namespace fs = std::filesystem;

using testing_support::read_file;

std::string fixture(std::string_view name) {
  const fs::path path = fs::path(HISBRIDGE_FIXTURES_DIR) / "hl7" / "charset" / name;
  EXPECT_TRUE(fs::exists(path)) << path;
  return read_file(path);
}

// The fixtures end MSH with MSH-18; this puts `value` there.
std::string with_msh18(std::string bytes, std::string_view value) {
  const std::size_t end = bytes.find('\r');
  const std::size_t begin = bytes.rfind('|', end) + 1;
  return bytes.replace(begin, end - begin, value);
}

// UTF-8 text in another character set, for the encodings no fixture is kept in.
std::string encode(std::string_view utf8, const char* to) {
  iconv_t cd = iconv_open(to, "UTF-8");
  EXPECT_NE(cd, reinterpret_cast<iconv_t>(-1)) << to;
  std::string out(utf8.size() * 4 + 16, '\0');
  char* in = const_cast<char*>(utf8.data());
  std::size_t in_left = utf8.size();
  char* out_ptr = out.data();
  std::size_t out_left = out.size();
  EXPECT_NE(iconv(cd, &in, &in_left, &out_ptr, &out_left), static_cast<std::size_t>(-1));
  iconv(cd, nullptr, nullptr, &out_ptr, &out_left);
  iconv_close(cd);
  out.resize(out.size() - out_left);
  return out;
}

std::string value(const Message& m, std::string_view path) { return m.get(path).value(); }

// What the Vietnamese ORU says, in UTF-8 (NFC), whatever it was sent in.
void expect_vietnamese_values(const Message& m) {
  EXPECT_EQ(value(m, "PID-5.1"), "Nguyễn");
  EXPECT_EQ(value(m, "PID-5.2"), "Thị Hoa");
  EXPECT_EQ(value(m, "PID-11.1"), "Số 12 đường Tô Hiệu");
  EXPECT_EQ(value(m, "PID-11.3"), "Thành phố Sơn La");
  EXPECT_EQ(value(m, "NK1-2.1"), "Lò");
  EXPECT_EQ(value(m, "NK1-2.2"), "Văn Pao");
  EXPECT_EQ(value(m, "NK1-3.2"), "Chồng");
  EXPECT_EQ(value(m, "PV1-3.4"), "KHOA HỒI SỨC TÍCH CỰC");
  EXPECT_EQ(value(m, "OBR-4.2"), "Sinh hóa máu");
  EXPECT_EQ(value(m, "OBR-16.2"), "Đặng");
  EXPECT_EQ(value(m, "OBR-16.3"), "Hữu Ước");
  EXPECT_EQ(value(m, "OBX-3.2"), "Glucose máu");
  EXPECT_EQ(value(m, "OBX[2]-3.2"), "Urê máu");
  EXPECT_EQ(value(m, "OBX[3]-5"), "Đường huyết tăng nhẹ, đề nghị kiểm tra lại lúc đói");
  EXPECT_EQ(value(m, "NTE-3"), "Bệnh nhân đã ăn sáng trước khi lấy máu");
}

TEST(CharsetTest, ResolvesTable0211Names) {
  struct Case {
    std::string_view name;
    std::string_view iconv_name;
    Charset::Form form;
  };
  using F = Charset::Form;
  const Case cases[] = {
      {"", "UTF-8", F::utf8},
      {"UNICODE UTF-8", "UTF-8", F::utf8},
      {"  unicode utf-8 ", "UTF-8", F::utf8},
      {"ISO IR192", "UTF-8", F::utf8},
      {"ASCII", "UTF-8", F::utf8},
      {"ISO IR6", "UTF-8", F::utf8},
      {"utf8", "utf8", F::utf8},
      {"8859/1", "ISO-8859-1", F::ascii_compatible},
      {"8859/2", "ISO-8859-2", F::ascii_compatible},
      {"8859/15", "ISO-8859-15", F::ascii_compatible},
      {"ISO IR100", "ISO-8859-1", F::ascii_compatible},
      {"ISO IR148", "ISO-IR-148", F::ascii_compatible},
      {"BIG-5", "BIG5", F::ascii_compatible},
      {"CNS 11643-1992", "EUC-TW", F::ascii_compatible},
      {"GB 18030-2000", "GB18030", F::ascii_compatible},
      {"KS X 1001", "EUC-KR", F::ascii_compatible},
      {"JAS2020", "ISO-2022-JP", F::ascii_compatible},
      {"JIS X 0202", "ISO-2022-JP", F::ascii_compatible},
      {"ISO IR87", "ISO-2022-JP", F::ascii_compatible},
      {"UNICODE UTF-16", "UTF-16", F::wide},
      {"UNICODE UTF-32", "UTF-32", F::wide},
      {"CP1258", "CP1258", F::ascii_compatible},
      {"WINDOWS-1258", "WINDOWS-1258", F::ascii_compatible},
      {"TCVN5712-1", "TCVN5712-1", F::ascii_compatible},
      {"VISCII", "VISCII", F::ascii_compatible},
  };
  for (const Case& c : cases) {
    auto charset = Charset::resolve(c.name);
    ASSERT_TRUE(charset) << "'" << c.name << "': " << charset.error().message();
    EXPECT_EQ(charset->iconv_name(), c.iconv_name) << c.name;
    EXPECT_EQ(charset->form(), c.form) << c.name;
  }
}

TEST(CharsetTest, UnknownCharsetNamesIt) {
  for (std::string_view name : {"KLINGON-1", "8859/12", "UTF-8//IGNORE", "x;rm -rf"}) {
    auto charset = Charset::resolve(name);
    ASSERT_FALSE(charset) << name;
    EXPECT_EQ(charset.error().code, Error::unknown_charset);
    EXPECT_NE(charset.error().detail.find(std::string(name).substr(0, 5)), std::string::npos)
        << charset.error().detail;
  }

  const std::string bytes = with_msh18(fixture("oru-r01-vi-utf8.hl7"), "KLINGON-1");
  auto decoded = decode(bytes);
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().code, Error::unknown_charset);
  EXPECT_EQ(decoded.error().segment, 1u);
  EXPECT_EQ(decoded.error().field, 18u);
  EXPECT_EQ(decoded.error().offset, bytes.find("KLINGON-1"));
  EXPECT_NE(decoded.error().message().find("KLINGON-1"), std::string::npos);

  DecodeOptions options;
  options.charset_override = "EBCDIC-KLINGON";
  auto overridden = decode(fixture("oru-r01-vi-utf8.hl7"), options);
  ASSERT_FALSE(overridden);
  EXPECT_EQ(overridden.error().code, Error::unknown_charset);
  EXPECT_NE(overridden.error().message().find("EBCDIC-KLINGON"), std::string::npos);
}

TEST(CharsetTest, Utf8MessageIsCheckedAndNotCopied) {
  const std::string bytes = fixture("oru-r01-vi-utf8.hl7");
  auto m = decode(bytes);
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(static_cast<const void*>(m->raw().data()), bytes.data());
  expect_vietnamese_values(*m);

  // An empty MSH-18 is read as UTF-8 as well.
  const std::string empty = with_msh18(bytes, "");
  auto unlabelled = decode(empty);
  ASSERT_TRUE(unlabelled) << unlabelled.error().message();
  EXPECT_EQ(static_cast<const void*>(unlabelled->raw().data()), empty.data());
  expect_vietnamese_values(*unlabelled);
}

// The same message in UTF-8, CP1258 and TCVN5712-1 decodes to byte-identical UTF-8: every
// segment but MSH-18 equals the UTF-8 fixture, so CP1258's base letter + combining tone mark
// comes out precomposed (NFC), as glibc's CP1258 converter composes.
TEST(CharsetTest, EveryVietnameseEncodingDecodesToTheSameUtf8) {
  const std::string reference = fixture("oru-r01-vi-utf8.hl7");
  const struct {
    std::string_view file;
    std::string_view msh18;
  } files[] = {
      {"oru-r01-vi-utf8.hl7", "UNICODE UTF-8"},
      {"oru-r01-vi-cp1258.hl7", "CP1258"},
      {"oru-r01-vi-tcvn5712.hl7", "TCVN5712-1"},
  };
  for (const auto& f : files) {
    SCOPED_TRACE(f.file);
    const std::string bytes = fixture(f.file);
    auto m = decode(bytes);
    ASSERT_TRUE(m) << m.error().message();
    EXPECT_EQ(m->header().charset, f.msh18);
    expect_vietnamese_values(*m);
    EXPECT_EQ(m->to_er7(), with_msh18(reference, f.msh18));
    EXPECT_EQ(m->segment_count(), 10u);
  }
}

TEST(CharsetTest, Cp1258CombiningMarksComposeToNfc) {
  auto cp1258 = Charset::resolve("CP1258");
  ASSERT_TRUE(cp1258);
  // `ê` 0xEA + combining tilde 0xDE: one precomposed letter, U+1EC5.
  EXPECT_EQ(*cp1258->to_utf8("Nguy\xEA\xDEn"), "Nguy\xE1\xBB\x85n");
  // `i` + combining dot below 0xF2: U+1ECB.
  EXPECT_EQ(*cp1258->to_utf8("Th\x69\xF2"), "Th\xE1\xBB\x8B");
  // A mark with no precomposed letter for its base stays a combining mark (U+0303).
  EXPECT_EQ(*cp1258->to_utf8("q\xDE"), "q\xCC\x83");
  // glibc holds back the last letter in case a mark follows; the flush at the end emits it.
  EXPECT_EQ(*cp1258->to_utf8("Hoa"), "Hoa");
  EXPECT_EQ(*cp1258->to_utf8("L\x6F\xCC"), "L\xC3\xB2");  // o + grave: ò
}

TEST(CharsetTest, Latin1MessageDecodes) {
  const std::string bytes = fixture("oru-r01-fr-8859-1.hl7");
  auto m = decode(bytes);
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_NE(static_cast<const void*>(m->raw().data()), bytes.data());
  EXPECT_EQ(m->header().charset, "8859/1");
  EXPECT_EQ(value(*m, "PID-5.1"), "Lefèvre");
  EXPECT_EQ(value(*m, "PID-5.2"), "Françoise Hélène");
  EXPECT_EQ(value(*m, "PID-11.1"), "12 rue de la Forêt");
  EXPECT_EQ(value(*m, "NK1-2.1"), "Müller");
  EXPECT_EQ(value(*m, "NK1-2.2"), "Jürgen");
  EXPECT_EQ(value(*m, "NK1-3.2"), "Époux");
  EXPECT_EQ(value(*m, "OBR-16.2"), "Weiß");
  EXPECT_EQ(value(*m, "OBX-3.2"), "Glycémie à jeun");
  EXPECT_NE(value(*m, "NTE-3").find("Größe 1,68 m"), std::string::npos);
  EXPECT_TRUE(is_valid_utf8(m->raw()));
}

TEST(CharsetTest, OverrideBeatsMsh18) {
  const std::string cp1258 = fixture("oru-r01-vi-cp1258.hl7");
  DecodeOptions options;
  options.charset_override = "CP1258";

  // A sender that declares Latin-1 but sends CP1258: read as declared, the name is mojibake.
  const std::string lying = with_msh18(cp1258, "8859/1");
  auto as_declared = decode(lying);
  ASSERT_TRUE(as_declared) << as_declared.error().message();
  EXPECT_NE(value(*as_declared, "PID-5.1"), "Nguyễn");
  auto overridden = decode(lying, options);
  ASSERT_TRUE(overridden) << overridden.error().message();
  expect_vietnamese_values(*overridden);

  // A sender that leaves MSH-18 empty: UTF-8 is assumed, and CP1258 bytes are not UTF-8.
  const std::string unlabelled = with_msh18(cp1258, "");
  auto assumed = decode(unlabelled);
  ASSERT_FALSE(assumed);
  EXPECT_EQ(assumed.error().code, Error::bad_encoding);
  EXPECT_EQ(assumed.error().offset, unlabelled.find("Nguy") + 4);
  overridden = decode(unlabelled, options);
  ASSERT_TRUE(overridden) << overridden.error().message();
  expect_vietnamese_values(*overridden);

  // The override also wins over a truthful MSH-18 when it names the same bytes differently.
  options.charset_override = "WINDOWS-1258";
  overridden = decode(cp1258, options);
  ASSERT_TRUE(overridden) << overridden.error().message();
  expect_vietnamese_values(*overridden);
}

TEST(CharsetTest, InvalidUtf8GivesOffsetSegmentAndField) {
  const std::string good = fixture("oru-r01-vi-utf8.hl7");
  const std::size_t at = good.find("Lò");  // NK1-2
  for (std::string_view bad : {"\xFF", "\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\x80"}) {
    std::string bytes = good;
    bytes.insert(at, bad);
    auto m = decode(bytes);
    ASSERT_FALSE(m);
    EXPECT_EQ(m.error().code, Error::bad_encoding);
    EXPECT_EQ(m.error().offset, at);
    EXPECT_EQ(m.error().segment, 3u);
    EXPECT_EQ(m.error().field, 2u);
    EXPECT_NE(m.error().message().find("segment 3, field 2 (byte " + std::to_string(at) + ")"),
              std::string::npos)
        << m.error().message();
  }

  // A sequence cut short by the end of the message.
  auto truncated = decode(good + "ZZZ|\xE1\xBB");
  ASSERT_FALSE(truncated);
  EXPECT_EQ(truncated.error().offset, good.size() + 4);
  EXPECT_EQ(truncated.error().segment, 11u);
  EXPECT_EQ(truncated.error().field, 1u);

  // In MSH itself the field count starts at MSH-1, and a BOM is not counted.
  std::string in_msh = good;
  in_msh.insert(good.find("BV_DK_SONLA"), "\xFE");
  auto msh = decode("\xEF\xBB\xBF" + in_msh);
  ASSERT_FALSE(msh);
  EXPECT_EQ(msh.error().offset, good.find("BV_DK_SONLA"));
  EXPECT_EQ(msh.error().segment, 1u);
  EXPECT_EQ(msh.error().field, 4u);
}

TEST(CharsetTest, InvalidLegacyBytesGiveOffset) {
  std::string bytes = fixture("oru-r01-vi-cp1258.hl7");
  const std::size_t at = bytes.find("Pao");
  bytes.insert(at, "\x81");  // unassigned in Windows-1258
  auto m = decode(bytes);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, Error::bad_encoding);
  EXPECT_EQ(m.error().offset, at);
  EXPECT_EQ(m.error().segment, 3u);
  EXPECT_EQ(m.error().field, 2u);
  EXPECT_NE(m.error().detail.find("0x81"), std::string::npos) << m.error().detail;
}

TEST(CharsetTest, Utf8Validator) {
  const std::string ascii(100, 'a');
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8(ascii));
  EXPECT_TRUE(is_valid_utf8("Nguyễn Thị Hoa 山田 \xF0\x9F\xA9\xB8 \xF4\x8F\xBF\xBF \xEF\xBF\xBF"));
  // Where the first bad byte is, past the sixteen-byte ASCII steps and inside them.
  for (std::size_t at : {0u, 15u, 16u, 37u, 99u}) {
    std::string s = ascii;
    s[at] = '\xC3';
    s.insert(at + 1, "\xA9");  // é: valid
    EXPECT_TRUE(is_valid_utf8(s)) << at;
    s[at + 1] = 'x';  // lead byte without its continuation
    EXPECT_EQ(find_invalid_utf8(s), at);
  }
  for (std::string_view bad : {"\xC1\xBF", "\xE0\x9F\xBF", "\xED\xBF\xBF", "\xF0\x8F\xBF\xBF",
                               "\xF5\x80\x80\x80", "\xBF", "\xE1\xBB", "\xF0\x9F\xA9"}) {
    EXPECT_EQ(find_invalid_utf8(std::string("ok ") + std::string(bad)), 3u);
  }
}

TEST(CharsetTest, Utf16MessagesAreRecognised) {
  const std::string utf8 = with_msh18(fixture("oru-r01-vi-utf8.hl7"), "UNICODE UTF-16");
  for (const char* form : {"UTF-16LE", "UTF-16BE", "UTF-16", "UTF-32LE"}) {
    SCOPED_TRACE(form);
    auto m = decode(encode(utf8, form));  // "UTF-16" writes a byte order mark
    ASSERT_TRUE(m) << m.error().message();
    expect_vietnamese_values(*m);
  }
  DecodeOptions options;
  options.charset_override = "UNICODE UTF-16";
  auto overridden = decode(encode(utf8, "UTF-16LE"), options);
  ASSERT_TRUE(overridden) << overridden.error().message();
  expect_vietnamese_values(*overridden);

  // An 8-bit message that claims to be UTF-16 cannot be.
  auto lying = decode(utf8);
  ASSERT_FALSE(lying);
  EXPECT_EQ(lying.error().code, Error::bad_encoding);
  EXPECT_EQ(lying.error().field, 18u);
}

// Big5 trail bytes include '\', '|' and '^': the message is converted before its fields are
// read, so they never act as delimiters.
TEST(CharsetTest, Big5TrailBytesAreNotDelimiters) {
  const std::string utf8 =
      "MSH|^~\\&|LIS|TPE|HIS|TPE|20260305||ORU^R01|1|P|2.5|||||TWN|BIG-5\r"
      "PID|1||A123||陳^許功蓋弋乞||19800101|F\r";
  auto m = decode(encode(utf8, "BIG5"));
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(value(*m, "PID-5.1"), "陳");
  EXPECT_EQ(value(*m, "PID-5.2"), "許功蓋弋乞");
  EXPECT_EQ(value(*m, "PID-7"), "19800101");
}

// v2.5.1 §2.15.9.18 with MSH-20: `~ISO IR87` declares ASCII plus JIS X 0208 reached by ISO 2022
// escape sequences.
TEST(CharsetTest, JapaneseCodeExtensionIsDecoded) {
  const std::string utf8 =
      "MSH|^~\\&|LIS|TKY|HIS|TKY|20260305||ADT^A04|1|P|2.5|||||JPN|~ISO IR87||ISO 2022-1994\r"
      "PID|1||J0001||山田^太郎||19800101|M\r";
  const std::string jis = encode(utf8, "ISO-2022-JP");
  ASSERT_NE(jis.find("\x1B$B"), std::string::npos);
  auto m = decode(jis);
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(value(*m, "PID-5.1"), "山田");
  EXPECT_EQ(value(*m, "PID-5.2"), "太郎");
}

TEST(CharsetTest, SamplesDeclaringLatin1AndAsciiDecode) {
  const fs::path samples = HISBRIDGE_SAMPLES_DIR;
  if (!fs::exists(samples)) {
    GTEST_SKIP() << "shared samples are absent";
  }
  const std::string latin1 = read_file(samples / "hapi" / "cv.04_001_chem.hl7");
  auto chem = decode(latin1);
  ASSERT_TRUE(chem) << chem.error().message();
  EXPECT_EQ(chem->header().charset, "8859/1");
  EXPECT_NE(static_cast<const void*>(chem->raw().data()), latin1.data());
  EXPECT_GT(chem->segment_count(), 1u);
  EXPECT_TRUE(is_valid_utf8(chem->raw()));

  const std::string ascii = read_file(samples / "fhir-converter" / "hl7v2" / "MDM-T02-03.hl7");
  auto mdm = decode(ascii);
  ASSERT_TRUE(mdm) << mdm.error().message();
  EXPECT_EQ(mdm->header().charset, "ASCII");
  EXPECT_EQ(mdm->to_er7(), mdm->raw());
  EXPECT_GT(mdm->segment_count(), 1u);

  // The corpus is UTF-8 and declares it: every file decodes without a copy.
  std::size_t corpus = 0;
  for (const auto& entry : fs::directory_iterator(samples / "corpus")) {
    const std::string bytes = read_file(entry.path());
    auto m = decode(bytes);
    ASSERT_TRUE(m) << entry.path() << ": " << m.error().message();
    EXPECT_EQ(m->header().charset, "UNICODE UTF-8");
    EXPECT_LE(static_cast<std::size_t>(m->raw().data() - bytes.data()), 3u);  // after a BOM
    ++corpus;
  }
  EXPECT_EQ(corpus, 10u);
}

}  // namespace
}  // namespace hisbridge::hl7

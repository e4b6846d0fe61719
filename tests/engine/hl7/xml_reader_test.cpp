#include "engine/hl7/xml_reader.hpp"
#include "tests/support/read_file.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace hisbridge::hl7 {
namespace {

namespace fs = std::filesystem;

using testing_support::read_file;

const fs::path kFixtures = fs::path(HISBRIDGE_FIXTURES_DIR) / "hl7" / "xml";
const fs::path kHapi = fs::path(HISBRIDGE_SAMPLES_DIR) / "hapi";

constexpr std::string_view kMsh =
    "<MSH><MSH.1>|</MSH.1><MSH.2>^~\\&amp;</MSH.2>"
    "<MSH.9><MSG.1>ORU</MSG.1><MSG.2>R01</MSG.2></MSH.9><MSH.10>X1</MSH.10>"
    "<MSH.12><VID.1>2.5</VID.1></MSH.12></MSH>";
constexpr std::string_view kMshEr7 = "MSH|^~\\&|||||||ORU^R01|X1||2.5";

// A v2.xml ORU_R01 with the MSH above and `body` after it.
std::string v2xml(std::string_view body) {
  return "<ORU_R01 xmlns=\"urn:hl7-org:v2xml\">" + std::string(kMsh) + std::string(body) +
         "</ORU_R01>";
}

Message read_ok(std::string_view xml) {
  auto m = read_v2xml(xml);
  EXPECT_TRUE(m.has_value()) << (m ? "" : m.error().message());
  return m ? *m : Message();
}

// The ER7 of the second segment of a message read from v2xml(body).
std::string second_segment(std::string_view body) {
  const Message m = read_ok(v2xml(body));
  return std::string(m.segment(2).raw());
}

ParseError read_error(std::string_view xml, const ParseOptions& options = {}) {
  auto m = read_v2xml(xml, options);
  EXPECT_FALSE(m.has_value()) << "read: " << (m ? m->to_er7() : "");
  return m ? ParseError{} : m.error();
}

// Walks both messages with the Element API down to sub-components and compares every
// position; returns how many sub-component values were compared.
std::size_t expect_same_content(const Message& a, const Message& b) {
  std::size_t compared = 0;
  EXPECT_EQ(a.delimiters(), b.delimiters());
  EXPECT_EQ(a.segment_count(), b.segment_count());
  const std::size_t segments = std::min(a.segment_count(), b.segment_count());
  for (std::size_t s = 1; s <= segments; ++s) {
    const Segment sa = a.segment(s);
    const Segment sb = b.segment(s);
    SCOPED_TRACE("segment " + std::to_string(s) + " " + std::string(sa.id()));
    EXPECT_EQ(sa.id(), sb.id());
    EXPECT_EQ(sa.field_count(), sb.field_count());
    for (std::size_t f = 1; f <= std::max(sa.field_count(), sb.field_count()); ++f) {
      SCOPED_TRACE("field " + std::to_string(f));
      const Element fa = sa.field(f);
      const Element fb = sb.field(f);
      EXPECT_EQ(fa.exists(), fb.exists());
      EXPECT_EQ(fa.is_null(), fb.is_null());
      EXPECT_EQ(fa.repetition_count(), fb.repetition_count());
      for (std::size_t r = 1; r <= fa.repetition_count(); ++r) {
        const Element ra = fa.repetition(r);
        const Element rb = fb.repetition(r);
        EXPECT_EQ(ra.component_count(), rb.component_count()) << "repetition " << r;
        for (std::size_t c = 1; c <= ra.component_count(); ++c) {
          const Element ca = ra.component(c);
          const Element cb = rb.component(c);
          EXPECT_EQ(ca.subcomponent_count(), cb.subcomponent_count()) << "component " << c;
          for (std::size_t sc = 1; sc <= ca.subcomponent_count(); ++sc) {
            EXPECT_EQ(ca.subcomponent(sc).value(), cb.subcomponent(sc).value())
                << "repetition " << r << ", component " << c << ", sub-component " << sc;
            ++compared;
          }
        }
      }
    }
  }
  return compared;
}

// ---------------------------------------------------------------------------------------------
// Own twin fixtures: the same message in ER7 (LF between segments for reading; CR once
// loaded) and in v2.xml.

struct Twin {
  Message er7;
  Message xml;
  std::string canonical;  // the ER7 file with CR terminators
};

std::optional<Twin> load_twin(std::string_view name) {
  std::string er7 = read_file(kFixtures / (std::string(name) + ".hl7"));
  const std::string xml = read_file(kFixtures / (std::string(name) + ".xml"));
  EXPECT_FALSE(er7.empty() || xml.empty()) << name;
  std::replace(er7.begin(), er7.end(), '\n', '\r');
  auto from_er7 = Message::parse_owned(er7);
  auto from_xml = read_v2xml(xml);
  EXPECT_TRUE(from_er7) << (from_er7 ? "" : from_er7.error().message());
  EXPECT_TRUE(from_xml) << (from_xml ? "" : from_xml.error().message());
  if (!from_er7 || !from_xml) {
    return std::nullopt;
  }
  return Twin{*from_er7, *from_xml, er7};
}

TEST(XmlReaderTwinTest, VietnameseOruMatchesItsEr7TwinEverywhere) {
  const auto twin = load_twin("oru_r01_vi");
  ASSERT_TRUE(twin);
  EXPECT_GT(expect_same_content(twin->er7, twin->xml), 150u);
  // The ER7 twin is written canonically, so the whole text is the same, byte for byte.
  EXPECT_EQ(twin->xml.to_er7(), twin->canonical);
  EXPECT_EQ(twin->xml.to_er7(), twin->er7.to_er7());
}

TEST(XmlReaderTwinTest, VietnameseOruValues) {
  const auto twin = load_twin("oru_r01_vi");
  ASSERT_TRUE(twin);
  const Message& m = twin->xml;
  EXPECT_EQ(m.get("PID-5.1").value(), "Nguyễn");
  EXPECT_EQ(m.get("PID-5.2").value(), "Thị Hồng Nhung");
  EXPECT_EQ(m.get("PID-5.5").value(), "Bà");
  EXPECT_EQ(m.get("PID-3").repetition_count(), 2u);
  EXPECT_EQ(m.get("PID-3[1].4.2").value(), "2.16.840.1.113883.3.9999");
  EXPECT_EQ(m.get("PID-3[2].1").value(), "079088001234");
  EXPECT_EQ(m.get("PID-3[2].5").value(), "NI");
  EXPECT_EQ(m.get("PID-11.1.1").value(), "123 Đường Trần Hưng Đạo");
  EXPECT_EQ(m.get("PID-11.1.3").value(), "123");
  EXPECT_EQ(m.get("PID-11.4").value(), "Thành phố Hồ Chí Minh");
  EXPECT_EQ(m.get("PID-7").value(), "19880412") << "PID.8 came first in the XML";
  // Written empty, left out, and the null "": three different things in v2.5.1 §2.5.3.
  const Element race = m.get("PID-10");
  EXPECT_TRUE(race.exists() && race.empty() && !race.is_null());
  const Element county = m.get("PID-12");
  EXPECT_TRUE(county.exists() && county.empty() && !county.is_null());
  EXPECT_TRUE(m.get("PID-14").is_null());
  EXPECT_EQ(m.get("OBR-4").raw(), "HH001^Tổng phân tích tế bào máu ngoại vi (máy laser)^L");
  EXPECT_EQ(m.get("OBX[3]-5").value(), "Mẫu: tán huyết nhẹ & đông dây; tỉ lệ A^B | C ~ D \\ E");
  EXPECT_EQ(m.get("OBX[3]-5").raw(),
            "Mẫu: tán huyết nhẹ \\T\\ đông dây; tỉ lệ A\\S\\B \\F\\ C \\R\\ D \\E\\ E");
  EXPECT_EQ(m.get("OBX[4]-5").repetition_count(), 2u);
  EXPECT_EQ(m.get("OBX[4]-5[2].2").value(), "Rh dương");
  EXPECT_EQ(
      m.get("NTE-3").value(),
      "Kết quả đã được bác sĩ Trần Thị Bích Ngọc duyệt.\nLiên hệ khoa Xét nghiệm: 028 3855 4137");
  const MessageHeader h = m.header();
  EXPECT_EQ(h.sending_application, "LIS_ROCHE");
  EXPECT_EQ(h.message_structure, "ORU_R01");
  EXPECT_EQ(h.control_id, "LIS260305000123");
  EXPECT_EQ(h.version, "2.5.1");
  EXPECT_EQ(h.charset, "UNICODE UTF-8");
}

TEST(XmlReaderTwinTest, CustomDelimitersMatchTheirEr7Twin) {
  const auto twin = load_twin("adt_a01_custom_delimiters");
  ASSERT_TRUE(twin);
  EXPECT_GT(expect_same_content(twin->er7, twin->xml), 40u);
  EXPECT_EQ(twin->xml.to_er7(), twin->canonical);
  const Message& m = twin->xml;
  EXPECT_EQ(m.delimiters(), (Delimiters{'*', '$', '~', '\\', '%', '#'}));
  EXPECT_EQ(m.get("ZPV-1").value(), "Giường 2* cạnh cửa sổ # có người nhà");
  EXPECT_EQ(m.get("ZPV-1").raw(), "Giường 2\\F\\ cạnh cửa sổ \\P\\ có người nhà");
  EXPECT_EQ(m.get("ZPV-3").raw(), "a|b^c") << "not delimiters in this message";
  EXPECT_EQ(m.get("ZPV-2").repetition_count(), 2u);
  EXPECT_EQ(m.get("PR1-3.2").value(), "Phẫu thuật nội soi cắt túi mật (Lap^Chole)");
  EXPECT_EQ(m.get("PID-3.4.3").value(), "ISO");
  EXPECT_EQ(m.get("PID-5").component_count(), 2u) << "the empty XPN.3 is dropped";
  EXPECT_EQ(m.find("PV1")->field_count(), 19u) << "the empty PV1.45 is dropped";
  EXPECT_EQ(m.get("IN1-36").value(), "DN4797912345678");
}

// ---------------------------------------------------------------------------------------------
// The shared HAPI samples.

// What each HAPI sample must give; a file not listed must still read or fail with a typed error.
const std::map<std::string, std::optional<Error>, std::less<>> kHapiExpected = {
    {"OMD_O03.xml", std::nullopt},
    {"adt_a17.xml", std::nullopt},
    {"critical_response_data.xml", std::nullopt},
    {"ed_issue.xml", std::nullopt},
    {"extracmp_xml.xml", std::nullopt},
    {"parse_and_encode.xml", std::nullopt},
    {"parse_and_encode_with_ns.xml", std::nullopt},
    {"weird_message.xml", std::nullopt},
    // Both declare an external DTD and use no namespace; get_ack_id.xml also breaks off in
    // the middle of an element. The DOCTYPE is what they are refused for.
    {"get_ack_id.xml", Error::xml_doctype_refused},
    {"get_version.xml", Error::xml_doctype_refused},
    {"xml-with-xxe.xml", Error::xml_doctype_refused},
};

std::optional<Message> read_hapi(std::string_view name) {
  const std::string xml = read_file(kHapi / name);
  auto m = read_v2xml(xml);
  EXPECT_TRUE(m) << name << ": " << (m ? "" : m.error().message());
  return m ? std::optional<Message>(*m) : std::nullopt;
}

#define SKIP_WITHOUT_SAMPLES()                             \
  if (!fs::is_directory(kHapi)) {                          \
    GTEST_SKIP() << "shared samples not found: " << kHapi; \
  }

TEST(XmlReaderSamplesTest, EveryHapiXmlSampleReadsOrFailsWithATypedError) {
  SKIP_WITHOUT_SAMPLES();
  std::size_t files = 0;
  std::size_t read = 0;
  std::size_t listed_read = 0;
  for (const auto& entry : fs::directory_iterator(kHapi)) {
    if (entry.path().extension() != ".xml") {
      continue;
    }
    ++files;
    const std::string name = entry.path().filename().string();
    SCOPED_TRACE(name);
    auto m = read_v2xml(read_file(entry.path()));
    const auto expected = kHapiExpected.find(name);
    if (m) {
      ++read;
      EXPECT_EQ(m->segment(1).id(), "MSH");
      EXPECT_EQ(Message::parse(m->to_er7())->segment_count(), m->segment_count());
    } else {
      const Error code = m.error().code;
      EXPECT_TRUE(code == Error::xml_malformed || code == Error::xml_doctype_refused ||
                  code == Error::xml_not_v2xml || code == Error::unknown_charset ||
                  code == Error::bad_delimiters)
          << m.error().message();
      EXPECT_FALSE(m.error().detail.empty());
    }
    if (expected == kHapiExpected.end()) {
      continue;
    }
    if (!expected->second) {
      EXPECT_TRUE(m) << m.error().message();
      listed_read += m ? 1u : 0u;
    } else {
      ASSERT_FALSE(m);
      EXPECT_EQ(m.error().code, *expected->second) << m.error().message();
    }
  }
  EXPECT_GE(files, kHapiExpected.size());
  EXPECT_EQ(listed_read, 8u);
  EXPECT_GE(read, 8u);
}

TEST(XmlReaderSamplesTest, XxeSampleIsRefusedAndNeverResolved) {
  SKIP_WITHOUT_SAMPLES();
  const std::string xml = read_file(kHapi / "xml-with-xxe.xml");
  const ParseError e = read_error(xml);
  EXPECT_EQ(e.code, Error::xml_doctype_refused);
  EXPECT_NE(e.message().find("DOCTYPE"), std::string::npos);
  EXPECT_EQ(e.message().find("root:"), std::string::npos);
}

TEST(XmlReaderSamplesTest, HapiSampleValues) {
  SKIP_WITHOUT_SAMPLES();
  if (auto m = read_hapi("adt_a17.xml")) {
    EXPECT_EQ(m->all("PID").size(), 2u);
    EXPECT_EQ(m->get("PID-3").repetition_count(), 3u);
    EXPECT_EQ(m->get("PID-3[2].1").value(), "AST12345679");
    EXPECT_EQ(m->get("PID-3[1].4.1").value(), "MI");
    EXPECT_EQ(m->get("PID-3[1].9.3").value(), "ISO3166");
    EXPECT_EQ(m->get("PID-11.1.2").value(), "NiNa Bonita");
    EXPECT_EQ(m->get("PID[2]-1").value(), "2");
    EXPECT_EQ(m->header().application_ack_type, "ER");
  }
  if (auto m = read_hapi("parse_and_encode_with_ns.xml")) {
    EXPECT_EQ(m->get("MSH-3").value(), "LABMI1");
    EXPECT_EQ(m->get("MSH-9.2").value(), "R01");
    auto plain = read_hapi("parse_and_encode.xml");
    ASSERT_TRUE(plain);
    EXPECT_EQ(m->to_er7(), plain->to_er7()) << "a prefix changes nothing";
  }
  if (auto m = read_hapi("weird_message.xml")) {
    EXPECT_EQ(m->segment_count(), 26u);
    EXPECT_EQ(m->segment(2).raw(), "SFT") << "an empty segment element is a bare segment id";
    EXPECT_EQ(m->get("PID-1").value(), "fdsfdf");
  }
  if (auto m = read_hapi("extracmp_xml.xml")) {
    EXPECT_EQ(m->get("MSH-3").raw(), "^OLIS^X500^HD.4^HD.5");
    EXPECT_EQ(m->get("MSH-18").value(), "8859/1");
  }
  if (auto m = read_hapi("ed_issue.xml")) {
    const std::string pdf = m->get("OBX[2]-5.5").value();
    EXPECT_TRUE(pdf.starts_with("JVBERi0xLjMKJeLjz9MK")) << pdf.substr(0, 40);
    EXPECT_TRUE(pdf.ends_with("T0YK"));
    EXPECT_EQ(pdf.find('\n'), std::string::npos) << "line breaks of the layout are not data";
    EXPECT_EQ(m->get("OBX[3]-5.2").value(), "GALLBLADDER");
  }
}

// OMD_O03.xml and omd_o03.txt are not content twins (different MSH-3, patients and diets);
// what they share is the message type, version and shape, and that is what is compared.
TEST(XmlReaderSamplesTest, OmdO03SharesTypeVersionAndShapeWithItsEr7Sample) {
  SKIP_WITHOUT_SAMPLES();
  const auto xml = read_hapi("OMD_O03.xml");
  ASSERT_TRUE(xml);
  std::string er7_text = read_file(kHapi / "omd_o03.txt");
  auto er7 = Message::parse_owned(er7_text);
  ASSERT_TRUE(er7) << er7.error().message();
  for (std::string_view path : {"MSH-1", "MSH-2", "MSH-9.1", "MSH-9.2", "MSH-9.3", "MSH-12"}) {
    EXPECT_EQ(xml->get(path).value(), er7->get(path).value()) << path;
  }
  EXPECT_EQ(xml->header().message_structure, "OMD_O03");
  EXPECT_EQ(xml->header().version, "2.5");
  EXPECT_FALSE(xml->get("PID-3.5").empty());
  EXPECT_FALSE(er7->get("PID-3.5").empty());
  EXPECT_TRUE(xml->find("ODS") && er7->find("ODS"));
  EXPECT_EQ(xml->get("PID-3.4.1").value(), "hellin");
  // A delimiter inside an XML value is data: it is escaped, and reads back as written.
  EXPECT_EQ(xml->get("ODS-3.2").value(), "320^1/2 HAM SANDWICH^99FD8");
  EXPECT_EQ(xml->get("ODS-3.2").raw(), "320\\S\\1/2 HAM SANDWICH\\S\\99FD8");
}

// ---------------------------------------------------------------------------------------------
// How the XML becomes ER7.

TEST(XmlReaderTest, WritesTheMshDelimitersAndHeader) {
  const Message m = read_ok(v2xml(""));
  EXPECT_EQ(m.to_er7(), std::string(kMshEr7) + "\r");
  EXPECT_EQ(m.header().message_code, "ORU");
  EXPECT_EQ(m.header().control_id, "X1");
}

TEST(XmlReaderTest, DefaultDelimitersWhenMsh1AndMsh2AreLeftOut) {
  const Message m = read_ok(
      "<ADT_A01 xmlns='urn:hl7-org:v2xml'><MSH><MSH.9><MSG.1>ADT</MSG.1></MSH.9></MSH>"
      "</ADT_A01>");
  EXPECT_EQ(m.to_er7(), "MSH|^~\\&|||||||ADT\r");
}

TEST(XmlReaderTest, PositionsGoByNumberNotDocumentOrder) {
  EXPECT_EQ(second_segment("<PID><PID.5><XPN.2>Hoa</XPN.2><XPN.1><FN.1>Lê</FN.1></XPN.1></PID.5>"
                           "<PID.3><CX.5>PI</CX.5><CX.1>BN1</CX.1></PID.3></PID>"),
            "PID|||BN1^^^^PI||Lê^Hoa");
}

TEST(XmlReaderTest, FillsGapsAndDropsTrailingEmptyPositions) {
  EXPECT_EQ(second_segment("<PID><PID.2/><PID.4><CX.1>a</CX.1><CX.3></CX.3></PID.4><PID.9/></PID>"),
            "PID||||a");
  EXPECT_EQ(second_segment("<PID><PID.3><CX.4><HD.1></HD.1><HD.3/></CX.4></PID.3></PID>"), "PID");
}

TEST(XmlReaderTest, RepeatedFieldElementsAreRepetitionsInDocumentOrder) {
  EXPECT_EQ(second_segment("<PID><PID.3>A</PID.3><PID.2>x</PID.2><PID.3/><PID.3>C</PID.3></PID>"),
            "PID||x|A~~C");
  EXPECT_EQ(second_segment("<PID><PID.3>A</PID.3><PID.3/><PID.4>B</PID.4></PID>"), "PID|||A|B");
}

TEST(XmlReaderTest, ComponentElementChildrenAreSubComponents) {
  const Message m = read_ok(v2xml(
      "<PID><PID.3><CX.1>BN1</CX.1><CX.4><HD.1>BV</HD.1><HD.3>ISO</HD.3></CX.4></PID.3></PID>"));
  EXPECT_EQ(m.get("PID-3").raw(), "BN1^^^BV&&ISO");
  EXPECT_EQ(m.get("PID-3.4.3").value(), "ISO");
  EXPECT_EQ(m.get("PID-3.4").subcomponent_count(), 3u);
}

TEST(XmlReaderTest, DelimitersInValuesAreEscaped) {
  const Message m = read_ok(v2xml("<NTE><NTE.3>a|b^c&amp;d~e\\f</NTE.3></NTE>"));
  EXPECT_EQ(m.get("NTE-3").raw(), "a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f");
  EXPECT_EQ(m.get("NTE-3").value(), "a|b^c&d~e\\f");
  EXPECT_EQ(m.get("NTE-3").repetition_count(), 1u);
  EXPECT_EQ(m.get("NTE-3").component_count(), 1u);
}

TEST(XmlReaderTest, EscapeElementsBecomeEscapeSequences) {
  const Message m = read_ok(v2xml(
      "<NTE><NTE.3>dòng 1<escape V=\".br\"/>dòng 2 <escape V=\"H\"/>đậm<escape V=\"N\"/></NTE.3>"
      "</NTE>"));
  EXPECT_EQ(m.get("NTE-3").raw(), "dòng 1\\.br\\dòng 2 \\H\\đậm\\N\\");
  EXPECT_EQ(m.get("NTE-3").value(), "dòng 1\ndòng 2 \\H\\đậm\\N\\");
  EXPECT_EQ(read_error(v2xml("<NTE><NTE.3><escape V=\"|\"/></NTE.3></NTE>")).code,
            Error::xml_not_v2xml);
  EXPECT_EQ(read_error(v2xml("<NTE><NTE.3><escape/></NTE.3></NTE>")).code, Error::xml_not_v2xml);
}

TEST(XmlReaderTest, LayoutWhiteSpaceIsNotData) {
  EXPECT_EQ(second_segment("<NTE><NTE.3>\n      first line\n      second  line\n    </NTE.3>"
                           "<NTE.4>  padded\t </NTE.4></NTE>"),
            "NTE|||first line second  line|padded");
  EXPECT_EQ(second_segment("<NTE><NTE.3><![CDATA[  keep  <this> & that ]]></NTE.3></NTE>"),
            "NTE|||  keep  <this> \\T\\ that ");
  EXPECT_EQ(second_segment("<NTE><NTE.3>   </NTE.3></NTE>"), "NTE");
}

TEST(XmlReaderTest, DecodesPredefinedEntitiesAndCharacterReferences) {
  const Message m =
      read_ok(v2xml("<NTE><NTE.3>&#x1EA1;&#7841;&lt;&gt;&quot;&apos;&#10;x</NTE.3></NTE>"));
  EXPECT_EQ(m.get("NTE-3").value(), "ạạ<>\"'\nx");
  EXPECT_EQ(m.get("NTE-3").raw(), "ạạ<>\"'\\.br\\x") << "a line feed stays inside its segment";
}

TEST(XmlReaderTest, NullIsKeptApartFromEmpty) {
  const Message m = read_ok(v2xml("<PID><PID.8>\"\"</PID.8><PID.9/><PID.10>x</PID.10></PID>"));
  EXPECT_TRUE(m.get("PID-8").is_null());
  EXPECT_TRUE(m.get("PID-9").exists() && m.get("PID-9").empty() && !m.get("PID-9").is_null());
}

TEST(XmlReaderTest, GroupsAreWalkedInDocumentOrder) {
  const Message m = read_ok(v2xml(
      "<ORU_R01.PATIENT_RESULT><ORU_R01.PATIENT><PID><PID.1>1</PID.1></PID></ORU_R01.PATIENT>"
      "<ORU_R01.ORDER_OBSERVATION><OBR><OBR.1>1</OBR.1></OBR><ORU_R01.OBSERVATION>"
      "<OBX><OBX.1>1</OBX.1></OBX></ORU_R01.OBSERVATION><ORU_R01.OBSERVATION><OBX><OBX.1>2</OBX.1>"
      "</OBX><NTE/></ORU_R01.OBSERVATION></ORU_R01.ORDER_OBSERVATION></ORU_R01.PATIENT_RESULT>"
      "<ZZ1><ZZ1.1>z</ZZ1.1></ZZ1>"));
  ASSERT_EQ(m.segment_count(), 7u);
  std::string ids;
  for (std::size_t s = 1; s <= m.segment_count(); ++s) {
    ids += std::string(m.segment(s).id()) + " ";
  }
  EXPECT_EQ(ids, "MSH PID OBR OBX OBX NTE ZZ1 ");
}

TEST(XmlReaderTest, ReadsLatin1AndUtf16IntoUtf8) {
  const std::string latin1 =
      "<?xml version='1.0' encoding='ISO-8859-1'?>" + v2xml("<NTE><NTE.3>caf\xE9</NTE.3></NTE>");
  EXPECT_EQ(read_ok(latin1).get("NTE-3").value(), "café");
  const std::string utf8 = v2xml("<NTE><NTE.3>Hà Nội</NTE.3></NTE>");
  std::string utf16 = "\xFF\xFE";  // little-endian BOM; the text is ASCII except "à" and "ộ"
  const std::u16string text =
      u"<ORU_R01 xmlns='urn:hl7-org:v2xml'><MSH/><NTE><NTE.3>Hà Nội</NTE.3></NTE></ORU_R01>";
  for (char16_t c : text) {
    utf16 += static_cast<char>(c & 0xFF);
    utf16 += static_cast<char>(c >> 8);
  }
  EXPECT_EQ(read_ok(utf16).get("NTE-3").value(), "Hà Nội");
  EXPECT_EQ(read_ok(utf8).get("NTE-3").value(), "Hà Nội");
}

// ---------------------------------------------------------------------------------------------
// What is refused.

TEST(XmlReaderRefusalTest, DoctypeIsRefusedWhateverItHolds) {
  const std::string xxe =
      "<?xml version=\"1.0\"?>\n<!DOCTYPE foo [ <!ENTITY xxe SYSTEM \"file:///etc/passwd\"> ]>\n" +
      v2xml("<NTE><NTE.3>&xxe;</NTE.3></NTE>");
  EXPECT_EQ(read_error(xxe).code, Error::xml_doctype_refused);
  const std::string external =
      "<!DOCTYPE ORU_R01 SYSTEM \"http://example.invalid/v2.dtd\">" + v2xml("");
  EXPECT_EQ(read_error(external).code, Error::xml_doctype_refused);
  const std::string laughs =
      "<!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>" +
      v2xml("<NTE><NTE.3>&b;</NTE.3></NTE>");
  EXPECT_EQ(read_error(laughs).code, Error::xml_doctype_refused);
  EXPECT_EQ(read_error(v2xml("<!DOCTYPE x>")).code, Error::xml_doctype_refused);
  EXPECT_EQ(read_error("<!DOCTYPE x SYSTEM 'x.dtd'><ORU_R01><MSH>").code,
            Error::xml_doctype_refused)
      << "even when the document breaks off later";
}

TEST(XmlReaderRefusalTest, EntityReferenceWithoutDtdIsRefusedWhereItIs) {
  const std::string xml = v2xml("<PID><PID.5><XPN.1>Lê &xxe; Văn</XPN.1></PID.5></PID>");
  const ParseError e = read_error(xml);
  EXPECT_EQ(e.code, Error::xml_doctype_refused);
  EXPECT_EQ(xml.substr(e.offset, 5), "&xxe;");
  EXPECT_EQ(e.segment, 2u);
  EXPECT_EQ(e.field, 5u);
  EXPECT_EQ(read_error(v2xml("<PID LongName=\"&xxe;\"/>")).code, Error::xml_doctype_refused);
  EXPECT_EQ(read_error(v2xml("<PID><PID.3><CX.1>1</CX.1>&xxe;</PID.3></PID>")).code,
            Error::xml_doctype_refused);
}

TEST(XmlReaderRefusalTest, MalformedXmlGivesWhereTheParserStopped) {
  const std::string unclosed = v2xml("<PID><PID.3>x</PID.3>");
  const ParseError e = read_error(unclosed);
  EXPECT_EQ(e.code, Error::xml_malformed);
  EXPECT_LE(e.offset, unclosed.size());
  EXPECT_FALSE(e.detail.empty());
  EXPECT_EQ(read_error("<a><b></a>").offset, 8u);
  EXPECT_EQ(read_error("<a><b></a>").code, Error::xml_malformed);
  EXPECT_EQ(read_error(v2xml("<NTE><NTE.3>a & b</NTE.3></NTE>")).code, Error::xml_malformed);
  EXPECT_EQ(read_error(v2xml("<NTE><NTE.3>&#0;</NTE.3></NTE>")).code, Error::xml_malformed);
  EXPECT_EQ(read_error(v2xml("<NTE><NTE.3>&#xD800;</NTE.3></NTE>")).code, Error::xml_malformed);
  EXPECT_EQ(read_error("not xml at all").code, Error::xml_malformed);
  EXPECT_EQ(read_error("").code, Error::empty_input);
  EXPECT_EQ(read_error(" \r\n\t").code, Error::empty_input);
}

TEST(XmlReaderRefusalTest, WellFormedXmlThatIsNotV2xml) {
  EXPECT_EQ(read_error("<ORU_R01>" + std::string(kMsh) + "</ORU_R01>").code, Error::xml_not_v2xml);
  EXPECT_EQ(read_error("<ORU_R01 xmlns='urn:hl7-org:v3'>" + std::string(kMsh) + "</ORU_R01>").code,
            Error::xml_not_v2xml);
  EXPECT_EQ(read_error("<ORU_R01 xmlns='urn:hl7-org:v2xml'><PID/></ORU_R01>").code,
            Error::xml_not_v2xml);
  EXPECT_EQ(read_error("<ORU_R01 xmlns='urn:hl7-org:v2xml'/>").code, Error::xml_not_v2xml);
  EXPECT_EQ(read_error(v2xml("<MSH/>")).code, Error::xml_not_v2xml);
  EXPECT_EQ(read_error(v2xml("<x:PID xmlns:x='urn:example'/>")).code, Error::xml_not_v2xml);
  EXPECT_EQ(read_error(v2xml("<PID><name>Lê</name></PID>")).code, Error::xml_not_v2xml);
  EXPECT_EQ(read_error(v2xml("<PID><PID.0>x</PID.0></PID>")).code, Error::xml_not_v2xml);
  EXPECT_EQ(read_error(v2xml("<PID>loose text</PID>")).code, Error::xml_not_v2xml);
  EXPECT_EQ(read_error(v2xml("loose text")).code, Error::xml_not_v2xml);
  EXPECT_EQ(read_error(v2xml("<PID><PID.3>a<CX.1>b</CX.1></PID.3></PID>")).code,
            Error::xml_not_v2xml);
  EXPECT_EQ(
      read_error(v2xml("<PID><PID.3><CX.1><HD.1><X.1>deep</X.1></HD.1></CX.1></PID.3></PID>")).code,
      Error::xml_not_v2xml);
}

TEST(XmlReaderRefusalTest, ErrorsPointAtTheElementAtFault) {
  const std::string xml = v2xml("<PID><PID.1>1</PID.1></PID><Patient/>");
  const ParseError e = read_error(xml);
  EXPECT_EQ(e.code, Error::xml_not_v2xml);
  EXPECT_EQ(xml.substr(e.offset, 8), "<Patient");
  const std::string twice = v2xml("<PID><PID.3><CX.1>a</CX.1><CX.1>b</CX.1></PID.3></PID>");
  const ParseError dup = read_error(twice);
  EXPECT_EQ(dup.code, Error::xml_not_v2xml);
  EXPECT_EQ(twice.substr(dup.offset, 14), "<CX.1>b</CX.1>");
  EXPECT_EQ(dup.segment, 2u);
  EXPECT_EQ(dup.field, 3u);
  EXPECT_NE(dup.message().find("segment 2, field 3"), std::string::npos) << dup.message();
}

TEST(XmlReaderRefusalTest, BadDelimiters) {
  const auto with_msh = [](std::string_view msh1, std::string_view msh2) {
    return "<ORU_R01 xmlns='urn:hl7-org:v2xml'><MSH><MSH.1>" + std::string(msh1) +
           "</MSH.1><MSH.2>" + std::string(msh2) + "</MSH.2></MSH></ORU_R01>";
  };
  EXPECT_EQ(read_error(with_msh("ab", "^~\\&amp;")).code, Error::bad_delimiters);
  EXPECT_EQ(read_error(with_msh("A", "^~\\&amp;")).code, Error::bad_delimiters);
  EXPECT_EQ(read_error(with_msh("|", "^~|&amp;")).code, Error::bad_delimiters);
  EXPECT_EQ(read_error(with_msh("|", "^^")).code, Error::bad_delimiters);
  EXPECT_EQ(read_error(with_msh("|", "")).code, Error::bad_delimiters);
  EXPECT_EQ(read_error(with_msh("|", "^~\\&amp;#!")).code, Error::bad_delimiters);
  // Without a sub-component separator, sub-components cannot be written.
  const std::string no_subcomponents =
      "<ORU_R01 xmlns='urn:hl7-org:v2xml'><MSH><MSH.2>^~\\</MSH.2></MSH><PID><PID.3><CX.4>"
      "<HD.1>a</HD.1><HD.2>b</HD.2></CX.4></PID.3></PID></ORU_R01>";
  EXPECT_EQ(read_error(no_subcomponents).code, Error::bad_delimiters);
  // Without an escape character a delimiter in a value could only be lost.
  const std::string no_escape =
      "<ORU_R01 xmlns='urn:hl7-org:v2xml'><MSH><MSH.2>^~</MSH.2></MSH><NTE><NTE.3>a^b</NTE.3>"
      "</NTE></ORU_R01>";
  EXPECT_EQ(read_error(no_escape).code, Error::bad_delimiters);
  EXPECT_EQ(
      read_ok("<ORU_R01 xmlns='urn:hl7-org:v2xml'><MSH><MSH.2>^~</MSH.2></MSH><NTE><NTE.3>a&amp;b"
              "</NTE.3></NTE></ORU_R01>")
          .get("NTE-3")
          .value(),
      "a&b");
  const std::string repeated = with_msh("|", "^^");
  const ParseError e = read_error(repeated);
  EXPECT_EQ(repeated.substr(e.offset, 7), "<MSH.2>") << "the error points at MSH.2";
}

TEST(XmlReaderRefusalTest, DeclaredEncodingsPugixmlCannotReadAreRefused) {
  const std::string xml = "<?xml version='1.0' encoding='windows-1258'?>" + v2xml("");
  EXPECT_EQ(read_error(xml).code, Error::unknown_charset);
}

TEST(XmlReaderRefusalTest, LimitsHold) {
  ParseOptions small;
  small.max_message_bytes = 64;
  const std::string big = v2xml("<NTE><NTE.3>" + std::string(100, 'x') + "</NTE.3></NTE>");
  EXPECT_EQ(read_error(big, small).code, Error::too_large);
  // A few bytes of XML that would ask for tens of thousands of delimiters.
  ParseOptions medium;
  medium.max_message_bytes = 4096;
  const std::string flood =
      v2xml("<PID><PID.9999><CX.9999><HD.9999>x</HD.9999></CX.9999></PID.9999></PID>");
  ASSERT_LT(flood.size(), medium.max_message_bytes);
  EXPECT_EQ(read_error(flood, medium).code, Error::too_large);
  EXPECT_EQ(read_error(v2xml("<PID><PID.10000>x</PID.10000></PID>")).code, Error::xml_not_v2xml);
  ParseOptions few;
  few.max_segments = 3;
  EXPECT_EQ(read_error(v2xml("<NTE/><NTE/><NTE/>"), few).code, Error::too_many_segments);
}

TEST(XmlReaderRefusalTest, DeepNestingIsRefusedWithoutRecursingIntoIt) {
  std::string open;
  std::string close;
  for (int i = 0; i < 100'000; ++i) {
    open += "<G.A>";
    close += "</G.A>";
  }
  EXPECT_EQ(read_error(v2xml(open + close)).code, Error::xml_not_v2xml);
  std::string groups;
  for (int i = 0; i < 20; ++i) {
    groups += "<G.A>";
  }
  groups += "<NTE/>";
  for (int i = 0; i < 20; ++i) {
    groups += "</G.A>";
  }
  EXPECT_EQ(read_ok(v2xml(groups)).segment_count(), 2u);
}

}  // namespace
}  // namespace hisbridge::hl7

#include "adapters/http/v2xml_ack.hpp"

#include <gtest/gtest.h>

#include <pugixml.hpp>
#include <string>

namespace hisbridge::http {
namespace {

TEST(V2xmlAckTest, WritesMshMsaErrWithComponentsByDataType) {
  const std::string ack =
      "MSH|^~\\&|HIS|HOSP|LIS|LAB|20260305081500+0000||ACK^R01^ACK|HB7|P|2.5\r"
      "MSA|AR|MSG0001|bad <thing> & more\r"
      "ERR||PID^1^3|102^Data type error^HL70357|E|||value \\T\\ here\r";
  auto xml = ack_to_v2xml(ack);
  ASSERT_TRUE(xml) << xml.error().message();
  EXPECT_EQ(*xml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<ACK xmlns=\"urn:hl7-org:v2xml\">\n"
            "  <MSH><MSH.1>|</MSH.1><MSH.2>^~\\&amp;</MSH.2><MSH.3><HD.1>HIS</HD.1></MSH.3>"
            "<MSH.4><HD.1>HOSP</HD.1></MSH.4><MSH.5><HD.1>LIS</HD.1></MSH.5>"
            "<MSH.6><HD.1>LAB</HD.1></MSH.6><MSH.7><TS.1>20260305081500+0000</TS.1></MSH.7>"
            "<MSH.9><MSG.1>ACK</MSG.1><MSG.2>R01</MSG.2><MSG.3>ACK</MSG.3></MSH.9>"
            "<MSH.10>HB7</MSH.10><MSH.11><PT.1>P</PT.1></MSH.11>"
            "<MSH.12><VID.1>2.5</VID.1></MSH.12></MSH>\n"
            "  <MSA><MSA.1>AR</MSA.1><MSA.2>MSG0001</MSA.2>"
            "<MSA.3>bad &lt;thing&gt; &amp; more</MSA.3></MSA>\n"
            "  <ERR><ERR.2><ERL.1>PID</ERL.1><ERL.2>1</ERL.2><ERL.3>3</ERL.3></ERR.2>"
            "<ERR.3><CWE.1>102</CWE.1><CWE.2>Data type error</CWE.2><CWE.3>HL70357</CWE.3>"
            "</ERR.3><ERR.4>E</ERR.4><ERR.7>value &amp; here</ERR.7></ERR>\n"
            "</ACK>\n");
}

TEST(V2xmlAckTest, SubComponentsRepetitionsAndUnknownFields) {
  const std::string ack =
      "MSH|^~\\&|HIS|HOSP|||20260305||ACK|1|P|2.5^VNM&Viet Nam&ISO3166\r"
      "MSA|AA|C1\r"
      "ERR||||W||||||||~^^^^^^^^^^^a@b.vn\r"
      "ZZZ|1|a^b\r";
  auto xml = ack_to_v2xml(ack);
  ASSERT_TRUE(xml) << xml.error().message();
  EXPECT_NE(xml->find("<MSH.12><VID.1>2.5</VID.1><VID.2><CE.1>VNM</CE.1><CE.2>Viet Nam</CE.2>"
                      "<CE.3>ISO3166</CE.3></VID.2></MSH.12>"),
            std::string::npos)
      << *xml;
  // An empty repetition before a valued one keeps its place.
  EXPECT_NE(xml->find("<ERR.12></ERR.12><ERR.12><XTN.12>a@b.vn</XTN.12></ERR.12>"),
            std::string::npos)
      << *xml;
  EXPECT_NE(xml->find("<ZZZ><ZZZ.1>1</ZZZ.1><ZZZ.2><varies.1>a</varies.1><varies.2>b</varies.2>"
                      "</ZZZ.2></ZZZ>"),
            std::string::npos)
      << *xml;
}

TEST(V2xmlAckTest, BytesXmlCannotHoldBecomeReplacementCharacters) {
  const std::string ack = "MSH|^~\\&|H\xFFS|HOSP\x01|||1||ACK|1|P|2.5\rMSA|AA|Nguy\xE1\xBB\x85n\r";
  auto xml = ack_to_v2xml(ack);
  ASSERT_TRUE(xml);
  EXPECT_NE(xml->find("<HD.1>H\xEF\xBF\xBDS</HD.1>"), std::string::npos) << *xml;
  EXPECT_NE(xml->find("<HD.1>HOSP\xEF\xBF\xBD</HD.1>"), std::string::npos) << *xml;
  EXPECT_NE(xml->find("<MSA.2>Nguy\xE1\xBB\x85n</MSA.2>"), std::string::npos) << *xml;
  pugi::xml_document doc;
  EXPECT_TRUE(doc.load_string(xml->c_str()));
}

TEST(V2xmlAckTest, OutputIsWellFormedV2Xml) {
  auto xml = ack_to_v2xml("MSH|^~\\&|A|B|C|D|1||ACK^O01^ACK|9|P|2.3\rMSA|CE|X<1>\r");
  ASSERT_TRUE(xml);
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(xml->c_str()));
  const pugi::xml_node root = doc.document_element();
  EXPECT_STREQ(root.name(), "ACK");
  EXPECT_STREQ(root.attribute("xmlns").value(), "urn:hl7-org:v2xml");
  EXPECT_STREQ(root.child("MSA").child("MSA.1").text().get(), "CE");
  EXPECT_STREQ(root.child("MSA").child("MSA.2").text().get(), "X<1>");
  EXPECT_STREQ(root.child("MSH").child("MSH.2").text().get(), "^~\\&");
}

TEST(V2xmlAckTest, RefusesWhatIsNotAMessage) {
  EXPECT_FALSE(ack_to_v2xml(""));
  EXPECT_FALSE(ack_to_v2xml("PID|1\r"));
}

}  // namespace
}  // namespace hisbridge::http

#include "engine/router/vendor_xml.hpp"

#include <gtest/gtest.h>

#include "engine/hl7/message.hpp"

namespace hisbridge::router {
namespace {

TEST(VendorXmlTest, NamesTheRootWithoutItsPrefix) {
  EXPECT_EQ(vendor_xml_root("<KetQuaXetNghiem><BenhNhan/></KetQuaXetNghiem>"), "KetQuaXetNghiem");
  EXPECT_EQ(vendor_xml_root("<?xml version=\"1.0\"?>\n<lis:Result xmlns:lis=\"urn:x\"/>"),
            "Result");
}

TEST(VendorXmlTest, RefusesWhatIsNotWellFormedOrHasADoctype) {
  EXPECT_FALSE(vendor_xml_root("<KetQua><open></KetQua>"));
  EXPECT_FALSE(vendor_xml_root("not xml at all"));
  EXPECT_FALSE(vendor_xml_root(""));
  EXPECT_FALSE(vendor_xml_root("<!DOCTYPE r [<!ENTITY x \"y\">]><r>&x;</r>"));
}

TEST(VendorXmlTest, HeaderReadsAsAnMshWithTheRootAsMessageType) {
  const std::string line = vendor_xml_header("KetQuaXetNghiem");
  auto msh = hl7::Message::parse(line);
  ASSERT_TRUE(msh) << msh.error().message();
  const hl7::MessageHeader h = msh->header();
  EXPECT_EQ(h.message_code, "KetQuaXetNghiem");
  EXPECT_EQ(h.control_id, "");
  EXPECT_EQ(h.processing_id, "P");
  EXPECT_EQ(h.version, "2.5");
}

}  // namespace
}  // namespace hisbridge::router

#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace hisbridge::router {

// The name of the root element (without a namespace prefix) of a well-formed XML document that
// is not HL7: a vendor's own result format, which a channel maps with an `xml` mapping. nullopt
// when the bytes are not well-formed XML or carry a DOCTYPE (refused, as for HL7 v2.xml).
std::optional<std::string> vendor_xml_root(std::string_view raw);

// An MSH line an ACK can be built from for a message that has none: the root element as the
// message type, processing id P, version 2.5. Senders of vendor XML over HTTP get the ACK as
// HL7 v2.xml; what they look at is MSA-1.
std::string vendor_xml_header(const std::string& root);

}  // namespace hisbridge::router

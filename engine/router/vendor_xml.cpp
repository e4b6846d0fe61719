#include "engine/router/vendor_xml.hpp"

#include <pugixml.hpp>

namespace hisbridge::router {

std::optional<std::string> vendor_xml_root(std::string_view raw) {
  pugi::xml_document document;
  const unsigned options = pugi::parse_default | pugi::parse_doctype;
  if (!document.load_buffer(raw.data(), raw.size(), options)) {
    return std::nullopt;
  }
  for (const pugi::xml_node node : document.children()) {
    if (node.type() == pugi::node_doctype) {
      return std::nullopt;
    }
  }
  std::string name = document.document_element().name();
  if (const std::size_t colon = name.find(':'); colon != std::string::npos) {
    name.erase(0, colon + 1);
  }
  if (name.empty()) {
    return std::nullopt;
  }
  return name;
}

std::string vendor_xml_header(const std::string& root) {
  // Fields 3 to 8 empty, MSH-9 the root element, MSH-10 empty, MSH-11 P, MSH-12 2.5. An XML
  // name holds no HL7 delimiter, so it goes in as it is.
  return "MSH|^~\\&|||||||" + root + "||P|2.5";
}

}  // namespace hisbridge::router

#include "adapters/xml130/cls_document.hpp"

#include <pugixml.hpp>
#include <set>

namespace hisbridge::xml130 {
namespace {

class StringWriter final : public pugi::xml_writer {
 public:
  void write(const void* data, size_t size) override {
    out.append(static_cast<const char*>(data), size);
  }
  std::string out;
};

Xml130Failure corrupt(std::string_view file_label, const std::string& why) {
  return fail(Xml130Error::corrupt_file, std::string(file_label) + ": " + why);
}

// One CHI_TIET_CLS element as a row; the caller checks MA_LK and the key.
Xml130Result<ClsRow> read_row(const pugi::xml_node& node, std::string_view file_label) {
  ClsRow row;
  for (const pugi::xml_node child : node.children()) {
    if (child.type() != pugi::node_element) {
      continue;
    }
    const auto e = element_named(child.name());
    if (!e) {
      return corrupt(file_label, std::string("element ") + child.name() + " in " +
                                     std::string(kRowElement) + " is not in table 4");
    }
    const pugi::xml_node text = child.first_child();
    const bool plain = !text || (text == child.last_child() && (text.type() == pugi::node_pcdata ||
                                                                text.type() == pugi::node_cdata));
    if (!plain) {
      return corrupt(file_label, std::string(child.name()) + " holds more than text");
    }
    if (*e != Element::stt) {  // numbered again when the file is rendered
      row[*e] = child.text().get();
    }
  }
  return row;
}

Xml130Result<pugi::xml_node> find_list(const pugi::xml_document& doc, std::string_view label) {
  const pugi::xml_node root = doc.document_element();
  if (std::string_view(root.name()) != kRootElement) {
    return corrupt(label, "root element is " + std::string(root.name()) + ", not " +
                              std::string(kRootElement));
  }
  pugi::xml_node list;
  for (const pugi::xml_node child : root.children()) {
    if (child.type() != pugi::node_element) {
      continue;
    }
    if (std::string_view(child.name()) != kListElement || list) {
      return corrupt(
          label, std::string(kRootElement) + " must hold exactly one " + std::string(kListElement));
    }
    list = child;
  }
  if (!list) {
    return corrupt(label, std::string(kRootElement) + " has no " + std::string(kListElement));
  }
  return list;
}

}  // namespace

Xml130Result<std::vector<ClsRow>> parse_cls_file(std::string_view bytes, std::string_view ma_lk,
                                                 std::string_view file_label) {
  pugi::xml_document doc;
  // parse_ws_pcdata_single keeps a value made of spaces only; entities and DTDs are never
  // expanded by pugixml.
  const unsigned options = pugi::parse_default | pugi::parse_ws_pcdata_single;
  const pugi::xml_parse_result parsed =
      doc.load_buffer(bytes.data(), bytes.size(), options, pugi::encoding_utf8);
  if (!parsed) {
    return corrupt(file_label, std::string("not well-formed XML (") + parsed.description() +
                                   " at byte " + std::to_string(parsed.offset) + ")");
  }
  auto list = find_list(doc, file_label);
  if (!list) {
    return list.error();
  }
  std::vector<ClsRow> rows;
  std::set<RowKey> keys;
  for (const pugi::xml_node node : list->children()) {
    if (node.type() != pugi::node_element) {
      continue;
    }
    if (std::string_view(node.name()) != kRowElement) {
      return corrupt(file_label, std::string(kListElement) + " holds " + node.name());
    }
    auto row = read_row(node, file_label);
    if (!row) {
      return row.error();
    }
    if ((*row)[Element::ma_lk] != ma_lk) {
      return corrupt(file_label, "row " + std::to_string(rows.size() + 1) +
                                     " belongs to another episode (" + describe(*row) + ")");
    }
    if (!keys.insert(key_of(*row)).second) {
      return corrupt(file_label, "two rows for " + describe(*row));
    }
    rows.push_back(std::move(*row));
  }
  return rows;
}

std::string render_cls_file(std::span<const ClsRow> rows) {
  pugi::xml_document doc;
  pugi::xml_node declaration = doc.append_child(pugi::node_declaration);
  declaration.append_attribute("version") = "1.0";
  declaration.append_attribute("encoding") = "utf-8";
  // The names are string literals (cls_row.hpp), so data() is NUL-terminated.
  pugi::xml_node list = doc.append_child(kRootElement.data()).append_child(kListElement.data());
  for (std::size_t n = 0; n < rows.size(); ++n) {
    pugi::xml_node item = list.append_child(kRowElement.data());
    for (std::size_t i = 0; i < kElementCount; ++i) {
      const auto e = static_cast<Element>(i);
      pugi::xml_node child = item.append_child(kElements[i].name.data());
      const std::string value = e == Element::stt ? std::to_string(n + 1) : rows[n][e];
      if (!value.empty()) {
        child.text().set(value.c_str());
      }
    }
  }
  StringWriter writer;
  doc.save(writer, "  ", pugi::format_indent | pugi::format_no_empty_element_tags,
           pugi::encoding_utf8);
  if (writer.out.empty() || writer.out.back() != '\n') {
    writer.out += '\n';  // a text file ends with a line end
  }
  return std::move(writer.out);
}

}  // namespace hisbridge::xml130

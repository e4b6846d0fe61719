#include "adapters/fhir/resource_ids.hpp"

#include <array>
#include <boost/uuid/name_generator_sha1.hpp>
#include <boost/uuid/uuid_io.hpp>
#include <cstdio>

namespace hisbridge::fhir {
namespace {

// The namespace of every resource UUID hisbridge makes: itself a name-based UUID of a fixed
// URL in the RFC 4122 URL namespace, so it never changes between builds or sites.
const boost::uuids::uuid& uuid_namespace() {
  static const boost::uuids::uuid ns =
      boost::uuids::name_generator_sha1(boost::uuids::ns::url())("urn:hisbridge:fhir-resource");
  return ns;
}

// Length-prefixed parts, so that no choice of separator inside a value can make two
// different keys give the same name.
std::string uuid_name(const ResourceKey& key) {
  std::string name;
  for (const std::string_view part : {key.type, key.system, std::string_view(key.value)}) {
    name += std::to_string(part.size());
    name += ':';
    name += part;
  }
  return name;
}

// FHIR R4 search §3.1.1.1 (escaping search parameters): `\` protects `$ , |` and itself.
std::string search_escape(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '\\' || c == '|' || c == ',' || c == '$') {
      out += '\\';
    }
    out += c;
  }
  return out;
}

bool stays_literal(unsigned char c) {
  const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                          (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
  // RFC 3986 §3.4 lets a query hold ':' '@' '/' as they are; '|' is the FHIR token separator,
  // which servers read either way and is kept readable.
  return unreserved || c == ':' || c == '@' || c == '/' || c == '|';
}

std::string percent_encode(std::string_view text) {
  static constexpr std::array<char, 16> kHex = {'0', '1', '2', '3', '4', '5', '6', '7',
                                                '8', '9', 'A', 'B', 'C', 'D', 'E', 'F'};
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (stays_literal(c)) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4U];
      out += kHex[c & 0x0FU];
    }
  }
  return out;
}

}  // namespace

std::string resource_uuid(const ResourceKey& key) {
  const boost::uuids::name_generator_sha1 generate(uuid_namespace());
  return boost::uuids::to_string(generate(uuid_name(key)));
}

std::string full_url(const ResourceKey& key) { return "urn:uuid:" + resource_uuid(key); }

std::string conditional_url(const ResourceKey& key) {
  // The separating '|' stays literal; one inside the system or value arrives as "\|", whose
  // '\' is percent-encoded.
  const std::string token = search_escape(key.system) + "|" + search_escape(key.value);
  return std::string(key.type) + "?identifier=" + percent_encode(token);
}

}  // namespace hisbridge::fhir

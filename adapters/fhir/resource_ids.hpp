#pragma once

#include <string>
#include <string_view>

namespace hisbridge::fhir {

// The business identifier that names one resource: its type, and the identifier (system and
// value) the resource carries. Everything that identifies a resource in a bundle derives from
// it, so the same records always give the same bundle.
struct ResourceKey {
  std::string_view type;    // Patient, Encounter, ...
  std::string_view system;  // the identifier's system URI
  std::string value;        // the identifier's value
};

// A name-based UUID (RFC 4122 version 5, SHA-1) of the key, in a namespace of hisbridge's own.
std::string resource_uuid(const ResourceKey& key);

// `urn:uuid:<resource_uuid>`: the entry's fullUrl, and what references inside the bundle use.
std::string full_url(const ResourceKey& key);

// `Type?identifier=system|value`, for the entry's conditional update (and for a conditional
// reference to a resource the bundle does not carry). FHIR search escapes (`\|`, `\,`, `\$`,
// `\\`) protect separators inside the system and value; the result is then percent-encoded
// except for the characters a URL query may hold as they are.
std::string conditional_url(const ResourceKey& key);

}  // namespace hisbridge::fhir

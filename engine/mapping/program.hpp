#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/regex.hpp>
#include <pugixml.hpp>

#include "engine/hl7/path.hpp"
#include "engine/mapping/lookup_table.hpp"
#include "engine/mapping/record.hpp"
#include "engine/mapping/time_zone.hpp"

namespace hisbridge::mapping {

// A mapping file compiled for evaluation: every path parsed, every table loaded, every name
// resolved, so that applying it to a message does no parsing and no lookups by name. Built by
// MappingLoader (mapping_loader.hpp), immutable afterwards and shared between threads.
// `where` below is the JSON pointer of the element in the mapping file, kept for the reasons
// a message's mapping error gives ("/records/3/columns/value: ...").

struct Condition;
struct Expr;

// A segment id as one number (its length and up to three bytes), so that finding a segment
// compares one word per segment. Longer texts name no segment and match none.
constexpr std::uint32_t segment_key(std::string_view id) {
  const auto byte = [&](std::size_t i) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(id[i])) << (8 * i);
  };
  if (id.size() == 3) {  // nearly every id: without the loop
    return (3U << 24) | byte(0) | byte(1) | byte(2);
  }
  if (id.size() > 3) {
    return 0xFFFFFFFFu;
  }
  auto key = static_cast<std::uint32_t>(id.size()) << 24;
  for (std::size_t i = 0; i < id.size(); ++i) {
    key |= byte(i);
  }
  return key;
}

// One level of a `for_each`: "OBX", or "ORC+OBR" where the ids before the last are leading
// segments: those directly before a head belong to its group (an ORC before its OBR).
struct GroupLevel {
  std::vector<std::string> leading;
  std::string head;
  // The same ids as segment_key()s, set with them.
  std::vector<std::uint32_t> leading_keys;
  std::uint32_t head_key = 0;
};

// One step of a value's `then` list.
struct Transform {
  enum class Kind : std::uint8_t {
    trim, upper, lower, default_to, map, lookup, replace, split, datetime, date, number,
    integer, max_length, prefix, suffix
  };
  enum class OnInvalid : std::uint8_t { error, null };

  Kind kind = Kind::trim;
  std::string text;                          // prefix, suffix; replace: `with`
  Literal fallback;                          // default_to
  std::map<std::string, std::string, std::less<>> table;  // map
  std::string otherwise;                     // map: value for a key not in `table`
  bool has_otherwise = false;                // map: without it an unknown key passes through
  const LookupTable* lookup = nullptr;       // lookup
  std::string lookup_column;                 // lookup
  enum class Missing : std::uint8_t { keep, null, error } missing = Missing::error;  // lookup
  std::shared_ptr<const boost::regex> pattern;  // replace
  std::string separator;                     // split
  std::size_t index = 1;                     // split: 1-based part
  std::size_t limit = 0;                     // max_length, in Unicode code points
  OnInvalid on_invalid = OnInvalid::error;   // datetime, date, number, integer
  std::string where;
};

// Picks one repetition of a repeating field: the first whose component `component` is one of
// `values` (PID-3 whose CX-5 is PI or MR).
struct RepetitionFilter {
  std::size_t component = 0;
  std::vector<std::string> values;
};

struct Expr {
  enum class Kind : std::uint8_t {
    hl7_path, xpath, constant, coalesce, concat, collect, when, column, use
  };
  // hl7_path: how field_reader.hpp's read_raw reads it, set at load by raw_read_of() once the
  // path and filter are known. `element` reads every path right, the others only theirs.
  enum class RawRead : std::uint8_t {
    element,    // through hl7::Element: MSH-1, MSH-2
    filtered,   // the repetition a filter picks, then `get`
    field,      // the whole field
    component,  // a component of the first repetition
    subcomponent,  // a sub-component of the first repetition (of its first component if none)
    narrow,     // anything else: a repetition, its component or sub-component
  };

  // What a row reads of an expression comes first, in its first two cache lines: a mapping's
  // expressions are read over and over for each message, and the rest of each (its place in
  // the file, what XPath and `collect` use) would otherwise share those lines.
  Kind kind = Kind::constant;
  RawRead raw_read = RawRead::element;
  bool has_filter = false;               // hl7_path
  std::uint32_t segment_key = 0;         // hl7_path: segment_key(path.segment), set with it
  // hl7_path: the index of the field among its segment's parts (Segment::part_text): the
  // field number, one less in MSH. Set with raw_read.
  std::size_t part_index = 0;
  hl7::Path path;                        // hl7_path
  std::size_t column = 0;                // column: index in the record being built
  std::size_t define = 0;                // use: index into Program::defines
  std::vector<Transform> transforms;     // applied in order to the value found
  std::vector<Expr> parts;               // coalesce, concat; when: [then, else]

  std::string where;
  RepetitionFilter filter;               // hl7_path
  std::size_t get_component = 0;         // hl7_path, after `where`: component of the repetition
  std::size_t get_subcomponent = 0;
  std::shared_ptr<const pugi::xpath_query> xpath;  // xpath, compiled at load
  Literal constant;                      // constant
  std::string separator;                 // concat, collect
  std::shared_ptr<const Condition> condition;  // when, collect
  std::vector<GroupLevel> for_each;      // collect: nested segment groups (hl7 input)
  std::shared_ptr<const pugi::xpath_query> for_each_xpath;  // collect: xml input
};

struct Condition {
  enum class Kind : std::uint8_t {
    message_type, exists, empty, equals, in, ends_with, starts_with, matches, all, any, negate
  };

  Kind kind = Kind::exists;
  std::string where;
  Expr value;                             // exists ... matches
  std::vector<std::string> texts;         // message_type, equals (one), in, ends_with, starts_with
  std::shared_ptr<const boost::regex> pattern;  // matches
  std::vector<Condition> children;        // all, any, negate (one)
};

struct EventRule {
  std::string kind;
  std::string where;
  Expr time;
  std::shared_ptr<const Condition> when;
  // Event fields other than kind and time, in ClinicalEvent's order (event_fields()); a field
  // the rule does not set takes the record's column of the same name when it has one.
  std::vector<std::pair<std::size_t, Expr>> fields;
  // For each event field: the record's column of the same name, or npos.
  std::vector<std::size_t> from_column;
};

struct RecordRule {
  std::string where;
  std::shared_ptr<RecordShape> shape;
  std::vector<GroupLevel> for_each;   // nested segment groups: ["ORC+OBR", "OBX"] (hl7 input)
  std::shared_ptr<const pugi::xpath_query> for_each_xpath;  // xml input: one node per row
  std::shared_ptr<const Condition> when;
  std::vector<Expr> columns;          // parallel to shape->columns
  bool skip_without_key = false;      // a row whose key is empty is skipped, not an error
  std::vector<EventRule> events;
};

struct Define {
  std::string name;
  Expr value;
  // Set by analyse_defines() (define_segments.hpp): whether the value depends on nothing but
  // the message and the segments its paths find (no `column`, `collect` or XPath), and which
  // segment ids those are. Such a value is worked out once per set of segments found: a
  // message's orders all read the same PID, an order's results the same ORC and OBR.
  bool depends_on_segments_only = false;
  std::vector<std::uint32_t> segments;  // segment_key()s
};

struct Program {
  enum class Input : std::uint8_t { hl7, xml };

  std::string name;
  std::string file;
  Input input = Input::hl7;
  std::string discipline;
  std::shared_ptr<const TimeZone> zone;
  std::vector<std::string> messages;  // message types handled: "ORU^R01" or "ORU"; empty: all
  std::vector<Define> defines;
  std::vector<RecordRule> records;
  std::map<std::string, std::shared_ptr<const LookupTable>, std::less<>> tables;
  // Every file the mapping was built from (itself and its tables), for hot reload.
  std::vector<std::string> files;
};

// ClinicalEvent's fields other than kind and time, by name, in a fixed order.
const std::vector<std::string>& event_fields();
// The same field as event_field_slots(event)[index] (record.hpp).
std::string_view* event_field(ClinicalEvent& event, std::size_t index);

}  // namespace hisbridge::mapping

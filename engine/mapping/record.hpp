#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/mapping/kept_rows.hpp"
#include "engine/mapping/text_store.hpp"

namespace hisbridge::mapping {

// `to` set to `from` when `from` is longer than `to` (assign_text's rare case): kept out of
// line so that the common case stays a few instructions in every caller.
void grow_text(std::string& to, std::string_view from);

// Sets `to` to `from` over its old text: a text no longer than the old one is copied in place,
// short ones in word moves rather than a call (values and event fields are rewritten
// message after message, mostly with short texts). `from` must not be part of `to`.
// Inlined by force: g++ kept it out of line in the evaluator's readers, a call per value.
[[gnu::always_inline]] inline void assign_text(std::string& to, std::string_view from) {
  const std::size_t n = from.size();
  if (n > to.size()) {
    grow_text(to, from);
    return;
  }
  to.resize(n);
  char* const at = to.data();
  const char* const source = from.data();
  if (n >= 8 && n <= 16) {
    std::memcpy(at, source, 8);
    std::memcpy(at + n - 8, source + n - 8, 8);
  } else if (n >= 4 && n < 8) {
    std::memcpy(at, source, 4);
    std::memcpy(at + n - 4, source + n - 4, 4);
  } else if (n < 4) {
    for (std::size_t i = 0; i < n; ++i) {
      at[i] = source[i];
    }
  } else {
    std::memcpy(at, source, n);
  }
}

// One column value of a HIS record. `null` means "not known from this message": an upsert
// keeps what the row already holds (stock-mapping.md: a known time is not erased by a
// message that lacks it). Integers and numbers keep their canonical decimal text, so a
// writer binds text or parses it, and printing never reformats a lab value.
// The text is a view: a mapping's values point into their MappingOutput's TextStore (the
// message's bytes as the output copied them, and the texts the mapping made), so a value the
// message holds as it is costs no copy. A Value made elsewhere views a text its maker keeps
// alive (a string literal, a test's own store).
struct Value {
  enum class Type : std::uint8_t { null, text, integer, number };

  Type type = Type::null;
  std::string_view text;

  static Value null() { return {}; }
  static Value of_text(std::string_view s) { return {Type::text, s}; }

  bool is_null() const { return type == Type::null; }
  void set(Type t, std::string_view s) {
    type = t;
    text = s;
  }
  void set_null() {
    type = Type::null;
    text = {};
  }
  friend bool operator==(const Value&, const Value&) = default;
};

// A value that holds its text: a mapping file's constants and defaults.
struct Literal {
  Value::Type type = Value::Type::null;
  std::string text;

  static Literal of_text(std::string s) {
    return s.empty() ? Literal{} : Literal{Value::Type::text, std::move(s)};
  }
  static Literal of_integer(std::int64_t n) { return {Value::Type::integer, std::to_string(n)}; }
};

// The table and column names a mapping's record rule writes, shared by every record the rule
// makes (a rule over 40 OBX segments makes 40 records of one shape).
struct RecordShape {
  std::string table;                 // e.g. his_result
  std::vector<std::string> columns;  // in the order the mapping file lists them
  std::vector<std::size_t> key;      // indexes into `columns`: the upsert key

  // Index of `column`, or columns.size() when the shape has no such column.
  std::size_t index_of(std::string_view column) const;
};

// One row for a destination: `values` parallel to `shape->columns`.
struct Record {
  std::shared_ptr<const RecordShape> shape;
  std::vector<Value> values;

  const std::string& table() const { return shape->table; }
  // The value of `column`; a null Value when the record has no such column.
  const Value& get(std::string_view column) const;
};

// A clinical event for the turnaround engine (stock-mapping.md, turnaround section). Kinds the
// stock mappings emit: registered, ordered, collected, received, started, completed,
// preliminary, final, corrected. `time` is ISO 8601 with offset; every other field may be
// empty when the message does not say. The texts are views, as a Value's: an event a mapping
// makes points into its MappingOutput's store.
struct ClinicalEvent {
  std::string_view kind;
  std::string_view time;
  std::string_view discipline;  // LAB or RAD
  std::string_view order_no;
  std::string_view visit_id;
  std::string_view patient_id;
  std::string_view department;
  std::string_view priority;  // S or R
  std::string_view service_code;
  std::string_view modality;

  friend bool operator==(const ClinicalEvent&, const ClinicalEvent&) = default;
};

// ClinicalEvent's fields other than kind and time as pointers into `event`, in the order
// event_fields() names them (program.hpp). Evaluator::fill_event writes them one by one in
// the same order: a field added here goes there too (EvaluatorEventsTest checks each).
inline std::array<std::string_view*, 8> event_field_slots(ClinicalEvent& event) {
  return {&event.discipline, &event.order_no,   &event.visit_id,     &event.patient_id,
          &event.department, &event.priority,   &event.service_code, &event.modality};
}

// What one message maps to. Filled again for every message by a caller that keeps it: the
// records and events of an earlier, longer message are kept past the sequences' ends and
// overwritten in place, and the texts of the values are kept in `texts` again.
struct MappingOutput {
  KeptRows<Record> records;
  KeptRows<ClinicalEvent> events;
  // What of the message the mapping left out and says so (a segment no group took). Names
  // segments by number, never by content: warnings are logged.
  std::vector<std::string> warnings;
  // What the records' values point into: the output's copy of the message and the texts the
  // mapping made,
  TextStore texts;
  // and the mapping's own texts (constants, defaults, table cells, `map` values, event kinds,
  // the discipline), viewed where the program holds them: the program is kept alive with the
  // output, which may outlive its mapping across a reload. Set by Mapping::apply; an output made
  // by an Evaluator directly must not outlive the Program it was made with.
  std::shared_ptr<const void> program;

  MappingOutput() = default;
  // A copy keeps its own texts: its values point into its own store.
  MappingOutput(const MappingOutput& other);
  MappingOutput& operator=(const MappingOutput& other);
  MappingOutput(MappingOutput&&) noexcept = default;
  MappingOutput& operator=(MappingOutput&&) noexcept = default;
  ~MappingOutput() = default;
};

}  // namespace hisbridge::mapping

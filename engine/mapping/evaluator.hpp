#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include <pugixml.hpp>

#include "engine/hl7/message.hpp"
#include "engine/mapping/field_reader.hpp"
#include "engine/mapping/program.hpp"
#include "engine/mapping/segment_groups.hpp"
#include "engine/mapping/value_sink.hpp"

namespace hisbridge::mapping {

// Runs a compiled mapping over one message (evaluator.cpp: rules, rows, events, expressions;
// evaluator_reads.cpp: segments, paths, definitions, times). Pure: no I/O, no clock. One Evaluator per thread;
// it keeps its buffers from message to message.
//
// Inside a `for_each`, a path names the segment of the innermost group that has one (the
// group's head, else the first such segment in the group), then of the groups around it, and
// last of the message's header part: the segments before the first group (MSH, PID, PV1...).
// So `OBR-2` read for an OBX is that OBX's OBR, and an order without an SPM never takes the
// SPM of another order. A group around the innermost one is searched only up to its first
// inner group: in OUL^R22 (SPM, then its orders) an order without an ORC or TQ1 never takes
// those of the next order under the same specimen.
class Evaluator {
 public:
  // Values made may view `program`'s own texts (its constants, table cells, event kinds): an
  // output must not outlive it unless MappingOutput::program keeps it (Mapping::apply sets it).
  explicit Evaluator(const Program& program);

  // Appends the records and events of `message` to `out`. False with error() set when the
  // mapping does not handle the message type or a value cannot be mapped; `out` then holds a
  // partial result the caller must discard.
  bool map(const hl7::Message& message, MappingOutput& out);
  bool map(const pugi::xml_document& document, MappingOutput& out);
  // Replaces what `out` holds with the records, events and warnings of `message`: the same
  // result as clearing `out` and calling map(), but the records, values and events `out` held
  // (from the last message) are overwritten in place and its store is filled again, so their
  // vectors, strings and blocks keep their capacity. A caller that keeps one MappingOutput per
  // thread allocates next to nothing.
  bool map_into(const hl7::Message& message, MappingOutput& out);

  const std::string& error() const { return error_; }

 private:
  struct Scope {
    SegmentGroup group;
    pugi::xml_node node;
    // Where the group's own segments end: the first segment of its first inner group while a
    // nested for_each or collect runs inside it, else group.end. Segments after it belong to
    // inner groups, and a sibling's are never read for another (as header_end_ at the top).
    std::size_t own_end = 0;
  };

  // How emit_row computes a rule's column, worked out once per rule (the shape of the column
  // and the rule's innermost group say it): most columns of a row read the row's own segment
  // (the OBX of a result) or a definition kept from an earlier row.
  enum class ColumnStep : std::uint8_t {
    head_path,       // a plain path on the innermost group's head: read from the row's segment
    path,            // another plain path
    remembered_use,  // a definition of segments other than the head: use_remembered
    memo_use,        // a definition remembered by the raw text it reads: use_raw_memo
    head_memo_use,   // the same, its first path on the head: tried in read_head first
    fresh_use,       // any other definition, worked out for the row
    constant,        // a constant without steps (an order's discipline): set as it is
    general,         // anything else: eval
  };
  // A plain path on the head, as read_head reads it: what of the Expr it needs, packed (a row
  // reads eight of them; the Exprs are 392 bytes apart). Or the first path of a head_memo_use's
  // definition (a result's `observed_at`, its `seq`): read_head compares its text with the
  // memo, and only when they differ does the row's step call use_raw_memo.
  struct HeadRead {
    static constexpr std::uint32_t kNoDefine = ~std::uint32_t{0};
    std::size_t column = 0;  // the row's column, and its Expr in the rule
    PackedPath path;
    std::uint32_t define = kNoDefine;  // a head_memo_use's definition
  };
  // A rule's columns as emit_row computes them: the plain paths on the innermost group's head
  // first, read from the row's segment before anything else (they read nothing else, and a
  // `column` reference can only name a column before its own), then the head memos (a loop of
  // their own keeps the first one tight), then every other column in order.
  struct RowPlan {
    // By how they are read, each kind in a loop of its own: whole fields, components of the
    // first repetition, every other path on the head (read_from).
    std::vector<HeadRead> head_fields;
    std::vector<HeadRead> head_components;
    std::vector<HeadRead> head_others;
    std::vector<HeadRead> head_memos;
    struct Step {
      ColumnStep kind;
      std::size_t column;
    };
    std::vector<Step> steps;
    // What every row of the rule asks, known at plan time: its number of columns, whether it
    // reads the head (any head_* above), its key columns, whether it has events.
    std::size_t columns = 0;
    bool reads_head = false;
    std::vector<std::size_t> key;
    bool has_events = false;
    // Per event of the rule, what emit_events reads of the row without evaluating anything.
    struct Event {
      static constexpr std::uint32_t kNone = ~std::uint32_t{0};
      std::uint32_t time_column = kNone;  // the time is this column of the row, as it stands
      // A `when` on one value that is a column of the row, as it stands: that column, which
      // test_value() tests. kNone: test() decides.
      std::uint32_t when_column = kNone;
    };
    std::vector<Event> events;
  };
  static RowPlan plan_row(const Program& program, const RecordRule& rule);
  // The position of `rule` (one of program_.records) there: its plan's and its taken_for_type_'s.
  std::size_t rule_index(const RecordRule& rule) const {
    return static_cast<std::size_t>(&rule - program_.records.data());
  }

  bool handles(std::string_view type, std::string_view code) const;
  void keep_message(const hl7::Message& message, MappingOutput& out);
  void start(const hl7::Message& message);
  bool run_rules(MappingOutput& out);
  void finish(MappingOutput& out);
  // The record (event) written next: one left in `out` by an earlier message, or a new one.
  // Every value in it is overwritten before it counts as written.
  Record& record_slot(MappingOutput& out) { return out.records.slot(records_used_); }
  ClinicalEvent& event_slot(MappingOutput& out) { return out.events.slot(events_used_); }
  bool convert_time(const Transform& step, Value& value);
  bool each_group(const RecordRule& rule, std::size_t depth, std::size_t begin, std::size_t end,
                  MappingOutput& out);
  bool each_row(const RecordRule& rule, std::size_t depth, MappingOutput& out);
  bool each_node(const RecordRule& rule, MappingOutput& out);
  bool report_unvisited(const RecordRule& rule, MappingOutput& out);
  bool emit_row(const RecordRule& rule, MappingOutput& out);
  // emit_row with the rule's plan at hand: inlined in each_row's loop over a rule's rows.
  [[gnu::always_inline]] inline bool emit_planned_row(const RecordRule& rule, const RowPlan& plan,
                                                      MappingOutput& out);
  bool emit_events(const RecordRule& rule, const RowPlan& plan, const std::vector<Value>& row,
                   MappingOutput& out);
  bool fill_event(const EventRule& er, const std::vector<Value>& row, const Value& time,
                  ClinicalEvent& event);
  const Value* column_of(const Expr& e) const;
  std::string where_am_i() const;
  // error_ prefixed with `what` (and `.column`) and where_am_i(); false.
  [[gnu::cold]] bool failed_in(std::string_view what, std::string_view column = {});
  // error_ set to say that the row's key column `key` is empty; false.
  [[gnu::cold]] bool key_missing(const RecordRule& rule, std::size_t key);

  bool eval(const Expr& e, Value& out);
  bool eval_source(const Expr& e, Value& out);
  // A part of a coalesce or a concat: a plain path (most are) read without eval's dispatch.
  bool eval_part(const Expr& part, Value& out) {
    if (part.kind == Expr::Kind::hl7_path && part.transforms.empty()) {
      path_value(part, out);
      return true;
    }
    return eval(part, out);
  }
  bool apply_steps(const std::vector<Transform>& steps, Value& out);  // a value's `then` list
  bool eval_collect(const Expr& e, Value& out);
  static constexpr std::size_t kJoinedInPlace = 8;  // concat_in_place's most parts
  bool concat_in_place(const Expr& e, Value& out);
  bool collect_groups(const Expr& e, std::size_t depth, std::size_t begin, std::size_t end,
                      std::string& joined);
  bool collect_one(const Expr& e, std::string& joined);
  bool test(const Condition& c, bool& result);
  bool test_value(const Condition& c, const Value& v) const;
  void path_value(const Expr& e, Value& out);
  // Segment n (1-based), made at its first read in the message; `may_escape` false when it
  // holds no escape character.
  const hl7::Segment& prepared_segment(std::size_t n, bool& may_escape);
  void read_from(const hl7::Segment& segment, bool may_escape, const Expr& e, Value& out);
  // The number of the segment a path reads in the current scopes; 0 when there is none.
  std::size_t path_segment_number(const Expr& e) {
    if (on_head(e)) {
      return head_number_;
    }
    return message_ == nullptr ? 0 : segment_for(e);
  }
  // Whether segment n may hold the escape character (segment_states_).
  bool may_escape_in(std::size_t n) const { return (segment_states_[n - 1] & kEscape) != 0; }
  // A row's plain paths on the innermost group's head (plan.head_*) read into `values`
  // (`exprs`: the rule's columns, for the paths read_head leaves to read_from), and its head
  // memos tried. Returns the columns (a bit each) of the head_memo_uses taken from their memo.
  [[gnu::always_inline]] inline std::uint64_t read_head(const Expr* exprs, Value* values,
                                                     const RowPlan& plan);
  // Whether the memo of `define` (a head_memo_use) holds the value for `text`, its first path's
  // raw text, as use_raw_memo would find it; if so `out` is set to it.
  [[gnu::always_inline]] inline bool head_memo_hit(std::uint32_t define, std::string_view text,
                                                  Value& out) const;
  std::size_t segment_for(const Expr& e);  // the segment a path expression reads; 0: none
  std::size_t segment_number(std::uint32_t key);  // occurrence 1, remembered per scopes
  std::size_t find_segment(std::uint32_t key) const;
  bool use_define(const Expr& e, Value& out);  // a `use`, without its steps
  bool use_remembered(std::size_t define, Value& out);
  bool evaluate_define(const Define& define, Value& out);  // worked out afresh
  // A definition that is not remembered: through its raw memo when it has one (raw_memos_),
  // else worked out afresh.
  bool use_fresh(std::size_t define, Value& out);
  bool use_raw_memo(std::size_t define, Value& out);
  // Whether `define` can be remembered by the raw text it takes (RawMemo).
  static bool has_raw_memo(const Define& define);
  // Whether `define` is remembered (use_remembered) inside a group whose head has id `head`.
  static bool remembered_under(const Define& define, std::uint32_t head);
  // Scopes, header_end_ and own_end decide which segment a path reads: every change to them
  // forgets the segments found.
  void push_scope(const Scope& scope);
  void pop_scope();
  // The innermost scope moved to the next row's `group`, a sibling of the group it held.
  void next_row_scope(const SegmentGroup& group);
  void forget_segments() { found_count_ = 0; }
  void note_head();  // after a scope change: the head, and no segments found
  const hl7::Segment& head_segment() {
    if (head_ == nullptr) {
      head_ = &prepared_segment(head_number_, head_may_escape_);
    }
    return *head_;
  }
  // Whether `e` (a path) reads the innermost group's head.
  bool on_head(const Expr& e) const {
    return e.segment_key == head_key_ && head_key_ != 0 && e.path.segment_occurrence <= 1;
  }

  // An item of `pool` lent for the time of one evaluation (a long concat's joined text), of the
  // first `used`: its capacity is kept from message to message. Evaluations nest, so the items
  // lent form a stack; a deque keeps their addresses.
  template <class T>
  class Lent {
   public:
    Lent(std::deque<T>& pool, std::size_t& used)
        : used_(used), item_(used == pool.size() ? pool.emplace_back() : pool[used]) {
      ++used_;
    }
    ~Lent() { --used_; }
    Lent(const Lent&) = delete;
    Lent& operator=(const Lent&) = delete;
    T& operator*() const { return item_; }

   private:
    std::size_t& used_;
    T& item_;
  };

  const Program& program_;
  const hl7::Message* message_ = nullptr;
  const char* readable_ = nullptr;  // the end of the message's bytes (read_raw's `readable`)
  const pugi::xml_document* document_ = nullptr;
  // The message's segments, [0] is segment 1, each made at its first read (kMade says so).
  std::vector<hl7::Segment> segments_;
  std::vector<std::uint32_t> keys_;  // segment_key() of each segment's id, [0] is segment 1
  // Per segment: kEscape when it holds the escape character (known for all at the start: one
  // search through the message, which holds a few), kMade once segments_ holds it.
  static constexpr std::uint8_t kEscape = 1;
  static constexpr std::uint8_t kMade = 2;
  std::vector<std::uint8_t> segment_states_;
  // The message's delimiters (every segment has them), and the finder of a component's end that
  // read_head uses for every row's head: made once per message, not once per row.
  hl7::Delimiters delimiters_;
  PairFinder components_;
  std::size_t header_end_ = 0;        // inside a for_each: the first segment of the first group
  std::string type_;                  // "ORU^R01", or the XML root's name
  std::string code_;                  // "ORU"
  // Per record rule whose `when` reads the message type only: whether it is taken for the type
  // tested_type_/tested_code_ (1, 0; -1: not tested yet), and whether the mapping handles that
  // type. A channel's messages mostly share one type.
  std::vector<std::int8_t> taken_for_type_;
  std::string tested_type_;
  std::string tested_code_;
  bool handles_type_ = false;
  std::vector<Scope> scopes_;
  struct Found {
    std::uint32_t key;
    std::uint32_t number;  // 0: the scopes have no such segment
  };
  std::array<Found, 16> found_{};  // segments found for the current scopes
  std::size_t found_count_ = 0;
  // The innermost scope's head and its id: a path on that id names it (find_segment looks there
  // first), without a search.
  std::uint32_t head_key_ = 0;
  std::size_t head_number_ = 0;
  // The head made ready at its first read in the scope (head_segment()): a row reads most of
  // its values there.
  const hl7::Segment* head_ = nullptr;
  bool head_may_escape_ = true;
  std::vector<RowPlan> plans_;  // per record rule
  std::vector<std::vector<SegmentGroup>> groups_;  // per depth, reused
  // What groups_[0] holds: the groups of the message's top level for `top_level_` found in
  // message `top_serial_` (0: not known). An order rule and a result rule of the same ORU both
  // group the whole message by ORC+OBR: the second takes the first's groups.
  std::uint64_t top_serial_ = 0;
  const GroupLevel* top_level_ = nullptr;
  const Condition* row_condition_ = nullptr;  // the rule's `when`, unless tested on the message
  std::vector<Value>* row_ = nullptr;              // the record being built
  std::size_t row_filled_ = 0;                     // columns of row_ computed so far
  // In each_row: the values of the last row whose columns were all computed, and, while this
  // row and every row since that one are groups of their heads alone, the same (emit_row takes
  // its remembered columns from there instead of looking up their segments again).
  const Value* last_row_ = nullptr;
  const Value* inherited_ = nullptr;
  std::size_t use_depth_ = 0;
  std::string error_;
  std::vector<char> visited_;  // per segment number: a row-level group was made of it
  std::size_t visited_count_ = 0;  // how many are set in visited_
  // Records and events of `out` written so far; those after them are left from an earlier
  // message (map_into), kept by `out` past its sequences' ends, and overwritten in place.
  std::size_t records_used_ = 0;
  std::size_t events_used_ = 0;
  Value event_time_;  // an event's time that is not a column of the row
  // HL7 times converted by `datetime` steps in this message and their ISO forms (a message
  // repeats its times in every OBX): the first times_used_ of times_, views of texts in the
  // output, good for that message only. One zone per program, one program per Evaluator, so
  // the same text always converts the same way.
  struct TimeMemo {
    std::string_view in;   // a value's text, in the output
    std::string_view out;  // kept in the output
    std::uint64_t tag = 0;  // time_tag(in)
  };
  static std::uint64_t time_tag(std::string_view text);
  std::vector<TimeMemo> times_;
  std::size_t times_used_ = 0;
  std::size_t next_time_ = 0;  // once all are used: the memo replaced next
  // Per Define that depends on segments only: its last value in this message and the segments
  // it was read from.
  struct Remembered {
    std::uint64_t message = 0;  // message_serial_ when it was worked out; 0: nothing kept
    std::vector<std::uint32_t> segments;
    Value value;
  };
  std::vector<Remembered> remembered_;
  // Per Define worked out for each row whose value is a path, or the first of several paths
  // that is not empty, put through its steps (`observed_at`: OBX-14, else OBR-7, as an ISO
  // time): its last value in this message and the part and raw text it was made from. The
  // rows of a message mostly give the same text, and the same text (without escapes, under the
  // message's delimiters) gives the same value, so it is not read, decoded and converted again.
  struct RawMemo {
    std::uint64_t message = 0;  // message_serial_ when it was made; 0: nothing kept
    std::size_t part = 0;       // the path the value came from; the number of paths: none
    std::string_view raw;       // in the message
    Value value;
    // The definition's paths, in order, each with its packed form.
    struct Path {
      const Expr* expr = nullptr;
      PackedPath packed;
    };
    std::vector<Path> paths;
  };
  std::vector<RawMemo> raw_memos_;  // per Define
  std::vector<char> has_raw_memo_;  // per Define: has_raw_memo()
  std::deque<std::string> joins_;
  std::size_t joins_used_ = 0;
  // Where the values of the message being mapped go: views of the output's copy of it, texts
  // kept in the output's store. Every Value the evaluator holds (its memos) points there
  // too, and is good for the message being mapped only.
  ValueSink sink_;
  std::uint64_t message_serial_ = 0;
};

// Inline: each_row calls it between every two rows.
inline void Evaluator::next_row_scope(const SegmentGroup& group) {
  Scope& scope = scopes_.back();
  const SegmentGroup previous = scope.group;
  scope.group = group;
  scope.own_end = group.end;
  head_number_ = group.head;
  head_key_ = keys_[group.head - 1];
  head_ = nullptr;
  // A group that is its head alone (an OBX without NTE) holds nothing another path could find
  // (the head's id is looked at first, never kept in found_): what the last row found in the
  // groups around it stands, what it found in its own group does not. Otherwise all is
  // forgotten, as at any other change of scopes.
  if (!group.head_alone()) {
    forget_segments();
    return;
  }
  if (previous.head_alone()) {
    return;  // its one segment, the head, is never kept in found_: all that is kept stands
  }
  std::size_t kept = 0;
  for (std::size_t i = 0; i < found_count_; ++i) {
    const std::size_t n = found_[i].number;
    if (n < previous.begin || n >= previous.end) {  // 0 (none) included
      found_[kept++] = found_[i];
    }
  }
  found_count_ = kept;
}

}  // namespace hisbridge::mapping

#include "engine/mapping/evaluator.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include "engine/hl7/escape.hpp"
#include "engine/mapping/field_reader.hpp"
#include "engine/mapping/transforms.hpp"

namespace hisbridge::mapping {
namespace {

// A condition on the message as a whole (its type), the same for every row of a rule.
bool message_level(const Condition& c) {
  switch (c.kind) {
    case Condition::Kind::message_type: return true;
    case Condition::Kind::all:
    case Condition::Kind::any:
    case Condition::Kind::negate:
      return std::all_of(c.children.begin(), c.children.end(), message_level);
    default: return false;
  }
}

// A condition on one value (`exists` ... `matches`), which test_value() decides: not one on the
// message type, nor one made of others.
bool tests_a_value(const Condition& c) {
  using Kind = Condition::Kind;
  return c.kind != Kind::message_type && c.kind != Kind::all && c.kind != Kind::any &&
         c.kind != Kind::negate;
}

// Texts compared by same_text (a status, a type: a few bytes each), not through memcmp calls.
bool contains(const std::vector<std::string>& list, std::string_view s) {
  return std::any_of(list.begin(), list.end(),
                     [&](const std::string& t) { return same_text(t, s); });
}

// The path a definition remembered by its raw text (has_raw_memo: a path, or a coalesce of
// paths) reads first.
const Expr& first_path_of(const Define& define) {
  return define.value.kind == Expr::Kind::coalesce ? define.value.parts.front() : define.value;
}

}  // namespace

Evaluator::Evaluator(const Program& program) : program_(program) {
  for (const Define& define : program.defines) {
    has_raw_memo_.push_back(has_raw_memo(define) ? 1 : 0);
  }
  raw_memos_.resize(program.defines.size());
  for (std::size_t d = 0; d < program.defines.size(); ++d) {
    if (has_raw_memo_[d] == 0) {
      continue;
    }
    const Expr& e = program.defines[d].value;
    if (e.kind == Expr::Kind::coalesce) {
      for (const Expr& part : e.parts) {
        raw_memos_[d].paths.push_back({&part, PackedPath::of(part)});
      }
    } else {
      raw_memos_[d].paths.push_back({&e, PackedPath::of(e)});
    }
  }
  taken_for_type_.assign(program.records.size(), -1);
  handles_type_ = handles(tested_type_, tested_code_);  // for the type not tested yet: ""
  plans_.reserve(program.records.size());
  for (const RecordRule& rule : program.records) {
    plans_.push_back(plan_row(program, rule));
  }
}

Evaluator::RowPlan Evaluator::plan_row(const Program& program, const RecordRule& rule) {
  // Only a for_each over segments has a head per row; it is what find_segment looks at first.
  const std::uint32_t head = rule.for_each.empty() ? 0 : rule.for_each.back().head_key;
  const auto step_of = [&](const Expr& column) {
    if (!column.transforms.empty()) {
      return ColumnStep::general;
    }
    if (column.kind == Expr::Kind::constant) {
      return ColumnStep::constant;
    }
    if (column.kind == Expr::Kind::hl7_path) {
      const bool on_head =
          head != 0 && column.segment_key == head && column.path.segment_occurrence <= 1;
      return on_head ? ColumnStep::head_path : ColumnStep::path;
    }
    if (column.kind == Expr::Kind::use) {
      const Define& define = program.defines[column.define];
      // A definition that reads a leading segment of the row's group (an order's ORC) is worked
      // out again for every row, each group having its own: remembered by its segments it
      // would never be found again, remembered by its text (the visit's department before the
      // ORC's) it mostly is.
      const bool reads_leading =
          !rule.for_each.empty() &&
          std::any_of(define.segments.begin(), define.segments.end(), [&](std::uint32_t key) {
            const auto& leading = rule.for_each.back().leading_keys;
            return std::find(leading.begin(), leading.end(), key) != leading.end();
          });
      if (remembered_under(define, head) && !(reads_leading && has_raw_memo(define))) {
        return ColumnStep::remembered_use;
      }
      if (!has_raw_memo(define)) {
        return ColumnStep::fresh_use;
      }
      const Expr& first = first_path_of(define);
      const bool first_on_head = head != 0 && first.segment_key == head &&
                                 first.path.segment_occurrence <= 1 &&
                                 (first.raw_read == Expr::RawRead::component ||
                                  first.raw_read == Expr::RawRead::field);
      return first_on_head ? ColumnStep::head_memo_use : ColumnStep::memo_use;
    }
    return ColumnStep::general;
  };
  RowPlan plan;
  for (std::size_t i = 0; i < rule.columns.size(); ++i) {
    const ColumnStep step = step_of(rule.columns[i]);
    if (step == ColumnStep::head_path) {
      const HeadRead read{i, PackedPath::of(rule.columns[i])};
      switch (read.path.how) {
        case Expr::RawRead::field: plan.head_fields.push_back(read); break;
        case Expr::RawRead::component: plan.head_components.push_back(read); break;
        default: plan.head_others.push_back(read); break;
      }
    } else if (step == ColumnStep::head_memo_use && i < 64) {
      const Expr& column = rule.columns[i];
      plan.head_memos.push_back({i, PackedPath::of(first_path_of(program.defines[column.define])),
                                 static_cast<std::uint32_t>(column.define)});
      plan.steps.push_back({step, i});
    } else if (step == ColumnStep::head_memo_use) {
      plan.steps.push_back({ColumnStep::memo_use, i});
    } else {
      plan.steps.push_back({step, i});
    }
  }
  plan.columns = rule.columns.size();
  plan.reads_head = !plan.head_fields.empty() || !plan.head_components.empty() ||
                    !plan.head_others.empty() || !plan.head_memos.empty();
  plan.key = rule.shape->key;
  plan.has_events = !rule.events.empty();
  // A row's own column (as column_of() takes it: a `column` and nothing more).
  const auto own_column = [&](const Expr& e) {
    return e.kind == Expr::Kind::column && e.transforms.empty() && e.column < plan.columns
               ? static_cast<std::uint32_t>(e.column)
               : RowPlan::Event::kNone;
  };
  for (const EventRule& er : rule.events) {
    RowPlan::Event event;
    event.time_column = own_column(er.time);
    if (er.when && tests_a_value(*er.when)) {
      event.when_column = own_column(er.when->value);
    }
    plan.events.push_back(event);
  }
  return plan;
}

bool Evaluator::handles(std::string_view type, std::string_view code) const {
  if (program_.messages.empty()) {
    return true;
  }
  return std::any_of(program_.messages.begin(), program_.messages.end(),
                     [&](const std::string& m) { return m == type || m == code; });
}

void Evaluator::start(const hl7::Message& message) {
  message_ = &message;
  readable_ = message.raw().data() + message.raw().size();
  document_ = nullptr;
  const std::size_t count = message.segment_count();
  keys_.resize(count);
  segment_states_.resize(count);
  // Each segment's key and whether it holds the escape character, in one walk: the escapes
  // are found in order (a message holds a few), and a segment found to hold one is not
  // searched further.
  const char escape = message.delimiters().escape;
  const char* const raw_end = readable_;
  const auto next_escape = [&](const char* from) -> const char* {
    return escape == '\0' ? nullptr
                          : static_cast<const char*>(std::memchr(
                                from, escape, static_cast<std::size_t>(raw_end - from)));
  };
  const char* escape_at = next_escape(message.raw().data());
  for (std::size_t n = 1; n <= count; ++n) {
    const std::string_view text = message.segment_text(n);
    keys_[n - 1] = segment_key(text.substr(0, 3));  // its id, as segment_id() gives it
    const char* const end = text.data() + text.size();
    std::uint8_t state = 0;
    if (escape_at != nullptr && escape_at < end) {
      if (escape_at < text.data()) {  // between segments (a BOM, blank lines): no segment's
        escape_at = next_escape(text.data());
      }
      if (escape_at != nullptr && escape_at < end) {
        state = kEscape;
        escape_at = next_escape(end);
      }
    }
    segment_states_[n - 1] = state;
  }
  segments_.resize(count);  // made when first read: a mapping reads a few of a message's segments
  delimiters_ = message.delimiters();
  components_ = component_finder(delimiters_);
  // MSH-9.1 and MSH-9.2 over the old texts, read as hl7::Element reads them: parts of the whole
  // field between `^`, decoded.
  const hl7::Segment msh = message.segment(1);
  const std::string_view field = msh.field_text(9);
  const hl7::Delimiters& d = msh.delimiters();
  const std::string_view code = nth_part(field, d.component, 1).value_or(std::string_view());
  const std::string_view event = nth_part(field, d.component, 2).value_or(std::string_view());
  if (d.escape != '\0' && (holds_byte(code, d.escape) || holds_byte(event, d.escape))) {
    code_.clear();
    hl7::append_decoded(code_, code, d);
    type_.assign(code_);
    type_ += '^';
    hl7::append_decoded(type_, event, d);
  } else {  // no escape: the texts are their own decoded form
    assign_text(code_, code);
    assign_text(type_, code);
    type_ += '^';
    type_.append(event);
  }
  times_used_ = 0;
  forget_segments();
  ++message_serial_;
}

// The output's store takes a copy of the message's bytes: the values the message holds as they
// are (nearly all) are views of it.
void Evaluator::keep_message(const hl7::Message& message, MappingOutput& out) {
  sink_.store = &out.texts;
  sink_.message = message.raw().data();
  sink_.copy = out.texts.keep(message.raw()).data();
}

bool Evaluator::map(const hl7::Message& message, MappingOutput& out) {
  start(message);
  keep_message(message, out);
  records_used_ = out.records.size();
  events_used_ = out.events.size();
  const bool ok = run_rules(out);
  finish(out);
  return ok;
}

bool Evaluator::map_into(const hl7::Message& message, MappingOutput& out) {
  start(message);
  out.texts.clear();
  keep_message(message, out);
  records_used_ = 0;
  events_used_ = 0;
  out.warnings.clear();
  const bool ok = run_rules(out);
  finish(out);
  return ok;
}

bool Evaluator::map(const pugi::xml_document& document, MappingOutput& out) {
  message_ = nullptr;
  document_ = &document;
  keys_.clear();
  type_ = document.document_element().name();
  if (const std::size_t colon = type_.find(':'); colon != std::string::npos) {
    type_.erase(0, colon + 1);  // a namespace prefix is not part of the message type
  }
  code_ = type_;
  sink_.store = &out.texts;
  sink_.message = nullptr;
  sink_.copy = nullptr;
  times_used_ = 0;  // what a message's evaluation remembers is for that message
  ++message_serial_;
  records_used_ = out.records.size();
  events_used_ = out.events.size();
  const bool ok = run_rules(out);
  finish(out);
  return ok;
}

// The records and events after those written belong to an earlier message (or to a row that
// failed): they stay in `out`, past its sequences' ends, and the next message's rows overwrite
// them in place.
void Evaluator::finish(MappingOutput& out) {
  constexpr std::size_t kMaxKept = 4096;
  out.records.set_size(records_used_, kMaxKept);
  out.events.set_size(events_used_, kMaxKept);
}

bool Evaluator::run_rules(MappingOutput& out) {
  error_.clear();
  if (type_ != tested_type_ || code_ != tested_code_) {
    tested_type_ = type_;
    tested_code_ = code_;
    handles_type_ = handles(type_, code_);
    taken_for_type_.assign(program_.records.size(), -1);
  }
  if (!handles_type_) {
    error_ = "mapping " + program_.name + " does not handle " + type_ + " messages";
    return false;
  }
  for (const RecordRule& rule : program_.records) {
    scopes_.clear();
    note_head();
    // A rule for other message types is skipped whole: not walked, and not reported. A
    // condition on the message is tested once for each message type (it reads nothing else),
    // one on the row's values for each row.
    const std::size_t index = rule_index(rule);
    row_condition_ = rule.when.get();
    if (rule.when && message_level(*rule.when)) {
      row_condition_ = nullptr;
      std::int8_t& known = taken_for_type_[index];
      if (known < 0) {
        bool taken = false;
        if (!test(*rule.when, taken)) {
          return false;
        }
        known = taken ? 1 : 0;
      }
      if (known == 0) {
        continue;
      }
    }
    bool ok = true;
    if (rule.for_each_xpath) {
      ok = each_node(rule, out);
    } else if (!rule.for_each.empty()) {
      visited_.assign(keys_.size() + 1, 0);
      visited_count_ = 0;
      ok = each_group(rule, 0, 1, keys_.size() + 1, out) && report_unvisited(rule, out);
    } else {
      ok = emit_row(rule, out);
    }
    if (!ok) {
      return false;
    }
  }
  return true;
}

std::uint64_t Evaluator::read_head(const Expr* exprs, Value* values, const RowPlan& plan) {
  // The head's parts read from the message's index (no Segment made for them), and copies of
  // what every read takes, so that the values' bytes written in between do not make the
  // compiler read them again for each column.
  // Whether it holds an escape was marked at the message's start; its Segment is made only if a
  // read below needs one (read_from).
  const hl7::Segment::Parts parts = message_->segment_parts(head_number_);
  const bool may_escape = (segment_states_[head_number_ - 1] & kEscape) != 0;
  const char* const readable = readable_;
  const hl7::Delimiters d = delimiters_;
  const PairFinder components = components_;
  // Whole fields and components of the first repetition (what nearly every column reads) as
  // narrowed_raw reads them, each kind in a tight loop; every other path through read_from.
  for (const HeadRead& r : plan.head_fields) {
    const std::string_view text = parts.text(r.path.part);
    if (d.repetition == '~' || !holds_byte(text, d.repetition)) {
      set_decoded(text, d, may_escape, sink_, values[r.column]);
    } else {
      read_from(head_segment(), may_escape, exprs[r.column], values[r.column]);
    }
  }
  for (const HeadRead& r : plan.head_components) {
    std::string_view text = parts.text(r.path.part);
    if (!part_within(text, components, r.path.component, readable)) {
      text = {};
    }
    set_decoded(text, d, may_escape, sink_, values[r.column]);
  }
  for (const HeadRead& r : plan.head_others) {
    read_from(head_segment(), may_escape, exprs[r.column], values[r.column]);
  }
  std::uint64_t from_memo = 0;
  for (const HeadRead& r : plan.head_memos) {
    std::string_view text;
    if (packed_raw(parts, components, r.path, readable, text) &&
        head_memo_hit(r.define, text, values[r.column])) {
      from_memo |= std::uint64_t{1} << r.column;
    }
  }
  return from_memo;
}

bool Evaluator::head_memo_hit(std::uint32_t define, std::string_view text, Value& out) const {
  const RawMemo& memo = raw_memos_[define];
  if (memo.message != message_serial_) {
    return false;
  }
  if (is_null_text(text)) {
    // Null: use_raw_memo would read the next path; with none, the memo of no value holds.
    if (memo.paths.size() != 1 || memo.part != 1) {
      return false;
    }
  } else if (memo.part != 0 || !same_text(memo.raw, text)) {
    return false;
  }
  out.set(memo.value.type, memo.value.text);
  return true;
}

bool Evaluator::each_group(const RecordRule& rule, std::size_t depth, std::size_t begin,
                           std::size_t end, MappingOutput& out) {
  if (depth == rule.for_each.size()) {
    return emit_row(rule, out);
  }
  if (groups_.size() <= depth) {
    groups_.resize(depth + 1);
  }
  const GroupLevel& level = rule.for_each[depth];
  if (depth != 0) {
    find_groups(keys_, level, begin, end, groups_[depth]);
  } else if (!(top_serial_ == message_serial_ && top_level_->head_key == level.head_key &&
               top_level_->leading_keys == level.leading_keys)) {
    find_groups(keys_, level, begin, end, groups_[0]);  // the whole message, [1, end of it]
    top_serial_ = message_serial_;
    top_level_ = &level;
  }
  if (depth == 0) {
    header_end_ = groups_[0].empty() ? keys_.size() + 1 : groups_[0].front().begin;
  } else if (!groups_[depth].empty()) {
    scopes_.back().own_end = groups_[depth].front().begin;
  }
  forget_segments();
  if (depth + 1 == rule.for_each.size()) {
    return each_row(rule, depth, out);
  }
  // Indexes, not iterators: a nested collect may grow groups_ (never this depth's vector).
  for (std::size_t i = 0; i < groups_[depth].size(); ++i) {
    const SegmentGroup group = groups_[depth][i];
    push_scope({group, {}, group.end});
    const bool ok = each_group(rule, depth + 1, group.head + 1, group.end, out);
    pop_scope();
    if (!ok) {
      return false;
    }
  }
  return true;
}

// The rows of the innermost level, one per group of groups_[depth], in one scope that each
// row's group replaces (next_row_scope): the segments found for a row are mostly those of the
// groups around it, which its siblings find again.
bool Evaluator::each_row(const RecordRule& rule, std::size_t depth, MappingOutput& out) {
  if (groups_[depth].empty()) {
    return true;
  }
  push_scope({groups_[depth][0], {}, groups_[depth][0].end});
  bool ok = true;
  last_row_ = nullptr;
  const RowPlan& plan = plans_[rule_index(rule)];
  // Indexes, not iterators: a collect in a row may grow groups_, never this depth's vector.
  const std::size_t count = groups_[depth].size();
  for (std::size_t i = 0; ok && i < count; ++i) {
    const SegmentGroup group = groups_[depth][i];
    const bool alone = group.head_alone();
    if (i > 0) {
      // Between groups that are their heads alone, every segment but the head is found where
      // it was: a definition remembered under this head (an order's number, for its results)
      // has the value it had in the last row computed (last_row_ is forgotten after any other
      // group).
      inherited_ = alone ? last_row_ : nullptr;
      next_row_scope(group);
    }
    if (visited_[group.head] == 0) {
      visited_[group.head] = 1;
      ++visited_count_;
    }
    ok = emit_planned_row(rule, plan, out);
    if (!alone) {
      last_row_ = nullptr;
    }
  }
  inherited_ = nullptr;
  last_row_ = nullptr;
  pop_scope();
  return ok;
}

// A segment of the kind a rule makes one row per (its innermost for_each) that no group took,
// such as an OBX before the first OBR, is reported rather than dropped without a word: the
// message still maps, and the warning goes with it to the log and `hisbridge map`.
bool Evaluator::report_unvisited(const RecordRule& rule, MappingOutput& out) {
  const GroupLevel& level = rule.for_each.back();
  // Counted first (a loop the compiler makes wide): nearly always every such segment was taken.
  if (static_cast<std::size_t>(std::count(keys_.begin(), keys_.end(), level.head_key)) ==
      visited_count_) {
    return true;
  }
  for (std::size_t n = 1; n <= keys_.size(); ++n) {
    if (keys_[n - 1] == level.head_key && visited_[n] == 0) {
      std::string groups;
      for (const GroupLevel& l : rule.for_each) {
        for (const std::string& lead : l.leading) {
          groups += lead + "+";
        }
        groups += l.head + (&l == &level ? "" : " > ");
      }
      out.warnings.push_back(rule.shape->table + ": " + level.head + " at segment " +
                             std::to_string(n) + " is outside every " + groups +
                             " group: not mapped");
    }
  }
  return true;
}

bool Evaluator::each_node(const RecordRule& rule, MappingOutput& out) {
  const pugi::xpath_node_set nodes = rule.for_each_xpath->evaluate_node_set(*document_);
  for (const pugi::xpath_node& node : nodes) {
    push_scope({{}, node.node(), 0});
    const bool ok = emit_row(rule, out);
    pop_scope();
    if (!ok) {
      return false;
    }
  }
  return true;
}

// Out of line and cold, so that the rows' loops keep only a call where the reason is made.
bool Evaluator::failed_in(std::string_view what, std::string_view column) {
  std::string reason(what);
  if (!column.empty()) {
    reason += '.';
    reason += column;
  }
  error_ = reason + where_am_i() + ": " + error_;
  return false;
}

bool Evaluator::key_missing(const RecordRule& rule, std::size_t key) {
  error_ = rule.shape->table + where_am_i() + ": key column " + rule.shape->columns[key] +
           " is empty";
  return false;
}

// Where a failing row was, for the reason the message is marked with.
std::string Evaluator::where_am_i() const {
  if (scopes_.empty() || message_ == nullptr) {
    return {};
  }
  const std::size_t head = scopes_.back().group.head;
  return " (segment " + std::to_string(head) + ", " + std::string(message_->segment_id(head)) + ")";
}

bool Evaluator::emit_row(const RecordRule& rule, MappingOutput& out) {
  return emit_planned_row(rule, plans_[rule_index(rule)], out);
}

bool Evaluator::emit_planned_row(const RecordRule& rule, const RowPlan& plan,
                                 MappingOutput& out) {
  if (row_condition_ != nullptr) {
    bool taken = false;
    if (!test(*row_condition_, taken)) {
      return failed_in(rule.where);
    }
    if (!taken) {
      return true;
    }
  }
  Record& record = record_slot(out);
  if (record.shape != rule.shape) {
    record.shape = rule.shape;
  }
  std::vector<Value>& row = record.values;
  const std::size_t columns = plan.columns;
  row.resize(columns);
  row_ = &row;
  // Walked by local pointers: row_filled_ is read by evaluations (a `column` reference), so the
  // compiler reloads whatever it would index by it after each call.
  const Expr* const exprs = rule.columns.data();
  Value* const values = row.data();
  std::uint64_t from_memo = 0;  // head_memo_use columns read_head took from their memo
  if (plan.reads_head) {
    from_memo = read_head(exprs, values, plan);
  }
  const RowPlan::Step* const steps = plan.steps.data();
  const std::size_t step_count = plan.steps.size();
  for (std::size_t s = 0; s < step_count; ++s) {
    const std::size_t i = steps[s].column;
    row_filled_ = i;
    const Expr& column = exprs[i];
    Value& value = values[i];
    bool ok = true;
    switch (steps[s].kind) {
      case ColumnStep::head_path: break;  // read above
      case ColumnStep::path: path_value(column, value); break;
      case ColumnStep::remembered_use:
        if (inherited_ == nullptr) {
          ok = use_remembered(column.define, value);
        } else if (&inherited_[i] != &value) {  // the same slot when that row was skipped
          value.set(inherited_[i].type, inherited_[i].text);
        }
        break;
      case ColumnStep::memo_use: ok = use_raw_memo(column.define, value); break;
      case ColumnStep::head_memo_use:
        if ((from_memo >> i & 1) == 0) {
          ok = use_raw_memo(column.define, value);
        }
        break;
      case ColumnStep::fresh_use:
        ok = evaluate_define(program_.defines[column.define], value);
        break;
      case ColumnStep::constant: value.set(column.constant.type, column.constant.text); break;
      case ColumnStep::general: ok = eval(column, value); break;
    }
    if (!ok) {
      row_ = nullptr;
      return failed_in(rule.shape->table, rule.shape->columns[row_filled_]);
    }
  }
  row_filled_ = columns;  // every column, for the events
  last_row_ = values;
  for (const std::size_t k : plan.key) {
    if (values[k].is_null()) {
      row_ = nullptr;
      if (rule.skip_without_key) {
        return true;
      }
      return key_missing(rule, k);
    }
  }
  // Events may use every column of the row (row_ stays set for `{"column": ...}`). Most rows
  // (results) have none: no call for them.
  const bool events_ok = !plan.has_events || emit_events(rule, plan, row, out);
  row_ = nullptr;
  if (!events_ok) {
    return false;
  }
  ++records_used_;
  return true;
}

bool Evaluator::emit_events(const RecordRule& rule, const RowPlan& plan,
                            const std::vector<Value>& row, MappingOutput& out) {
  using Planned = RowPlan::Event;
  const Value* const values = row.data();
  for (std::size_t i = 0; i < rule.events.size(); ++i) {
    const EventRule& er = rule.events[i];
    const Planned& planned = plan.events[i];
    bool taken = true;
    if (planned.when_column != Planned::kNone) {
      taken = test_value(*er.when, values[planned.when_column]);  // as test() takes a column
    } else if (er.when && !test(*er.when, taken)) {
      return failed_in(er.where);
    }
    if (!taken) {
      continue;
    }
    // Mostly a column of the row, read in place.
    const Value* time =
        planned.time_column != Planned::kNone ? &values[planned.time_column] : column_of(er.time);
    if (time == nullptr) {
      if (!eval(er.time, event_time_)) {
        return failed_in(er.where);
      }
      time = &event_time_;
    }
    if (time->is_null()) {
      continue;  // an event is a known time; without one there is nothing to count
    }
    if (!fill_event(er, row, *time, event_slot(out))) {
      return failed_in(er.where);
    }
    ++events_used_;
  }
  return true;
}

// Every field is written (a reused event holds an earlier message's): the rule's own value,
// else the row's column of the same name, else empty.
bool Evaluator::fill_event(const EventRule& er, const std::vector<Value>& row, const Value& time,
                           ClinicalEvent& event) {
  // The mapping's texts are viewed where the program holds them (MappingOutput::program); the
  // row's values and the time are in the output already.
  event.kind = er.kind;
  event.time = time.text;
  // Field by field, not through event_field_slots(): eight stores of pointers and a loop over
  // them cost more than the fields themselves.
  const Value* const values = row.data();
  const std::size_t columns = row.size();
  const std::size_t* const from = er.from_column.data();
  const std::size_t known = er.from_column.size();
  const auto column = [&](std::size_t f, std::string_view otherwise) {
    const std::size_t c = f < known ? from[f] : columns;
    return c < columns && !values[c].is_null() ? values[c].text : otherwise;
  };
  event.discipline = column(0, program_.discipline);  // the mapping's, unless a column says
  event.order_no = column(1, {});
  event.visit_id = column(2, {});
  event.patient_id = column(3, {});
  event.department = column(4, {});
  event.priority = column(5, {});
  event.service_code = column(6, {});
  event.modality = column(7, {});
  for (const auto& [field, expr] : er.fields) {
    Value v;
    if (!eval(expr, v)) {
      return false;
    }
    *event_field(event, field) = v.text;
  }
  return true;
}

bool Evaluator::eval(const Expr& e, Value& out) {
  // Most expressions have no steps: no call for them.
  return eval_source(e, out) && (e.transforms.empty() || apply_steps(e.transforms, out));
}

bool Evaluator::apply_steps(const std::vector<Transform>& steps, Value& out) {
  for (const Transform& step : steps) {
    // The steps a null value meets most, done here: a default, and any step but `map` and
    // `default`, which leaves a null as it is (apply_transform does the same, out of line).
    if (step.kind == Transform::Kind::default_to) {
      if (out.is_null()) {
        out.set(step.fallback.type, step.fallback.text);
      }
      continue;
    }
    if (out.is_null() && step.kind != Transform::Kind::map) {
      continue;
    }
    const bool ok = step.kind == Transform::Kind::datetime
                        ? convert_time(step, out)
                        : apply_transform(step, out, *program_.zone, *sink_.store, error_);
    if (!ok) {
      return false;
    }
  }
  return true;
}

// A concat of a few parts (a name, an address): the parts read first, each text staying where
// it is (in the output's store, the message's copy or the program), then written once, joined,
// into the output's store.
bool Evaluator::concat_in_place(const Expr& e, Value& out) {
  // The parts' texts as plain arrays: an array of string_view would be zeroed first.
  const char* data[kJoinedInPlace];
  std::size_t sizes[kJoinedInPlace];
  std::size_t count = 0;
  std::size_t size = 0;
  Value v;
  for (const Expr& part : e.parts) {
    if (!eval_part(part, v)) {
      return false;
    }
    if (!v.is_null()) {
      data[count] = v.text.data();
      sizes[count++] = v.text.size();
      size += v.text.size();
    }
  }
  if (count == 0) {
    out.set_null();
    return true;
  }
  size += (count - 1) * e.separator.size();
  char* const joined = sink_.store->room(size);
  // std::copy, not memcpy: an empty separator has no bytes to copy from.
  char* at = std::copy_n(data[0], sizes[0], joined);
  for (std::size_t i = 1; i < count; ++i) {
    at = std::copy(e.separator.begin(), e.separator.end(), at);
    at = std::copy_n(data[i], sizes[i], at);
  }
  out.set(Value::Type::text, std::string_view(joined, size));
  return true;
}

bool Evaluator::eval_source(const Expr& e, Value& out) {
  switch (e.kind) {
    case Expr::Kind::hl7_path: path_value(e, out); return true;
    case Expr::Kind::xpath: {
      const pugi::xml_node context = scopes_.empty() ? document_->document_element().parent()
                                                     : scopes_.back().node;
      const std::string text = e.xpath->evaluate_string(context);
      if (text.empty()) {
        out.set_null();
      } else {
        out.set(Value::Type::text, sink_.keep(text));
      }
      return true;
    }
    // The program's own text (MappingOutput::program keeps it).
    case Expr::Kind::constant: out.set(e.constant.type, e.constant.text); return true;
    case Expr::Kind::coalesce:
      out.set_null();
      for (const Expr& part : e.parts) {
        if (!eval_part(part, out)) {
          return false;
        }
        if (!out.is_null()) {
          return true;
        }
      }
      return true;
    case Expr::Kind::concat: {
      if (e.parts.size() <= kJoinedInPlace) {
        return concat_in_place(e, out);
      }
      // Joined in a buffer of the evaluator's (a part may be a concat of its own), each part
      // read into a scratch value, then kept.
      const Lent<std::string> joined(joins_, joins_used_);
      Value v;
      std::string& text = *joined;
      text.clear();
      bool any = false;
      for (const Expr& part : e.parts) {
        if (!eval(part, v)) {
          return false;
        }
        if (!v.is_null()) {
          if (any) {
            text += e.separator;
          }
          text += v.text;
          any = true;
        }
      }
      if (any) {
        out.set(Value::Type::text, sink_.keep(text));
      } else {
        out.set_null();
      }
      return true;
    }
    case Expr::Kind::collect: return eval_collect(e, out);
    case Expr::Kind::when: {
      bool taken = false;
      if (!test(*e.condition, taken)) {
        return false;
      }
      return eval(e.parts[taken ? 0 : 1], out);
    }
    case Expr::Kind::column:
      if (row_ != nullptr && e.column < row_filled_) {
        out = (*row_)[e.column];
      } else {
        out.set_null();
      }
      return true;
    case Expr::Kind::use: return use_define(e, out);
  }
  return true;
}

// The row's own column that `e` is, as it stands, when `e` is that and nothing more (no
// steps); null otherwise, and for a column not computed yet (eval gives null for it too, but
// into a Value of the caller's).
const Value* Evaluator::column_of(const Expr& e) const {
  if (e.kind != Expr::Kind::column || !e.transforms.empty() || row_ == nullptr ||
      e.column >= row_filled_) {
    return nullptr;
  }
  return &(*row_)[e.column];
}

bool Evaluator::eval_collect(const Expr& e, Value& out) {
  std::string joined;
  bool ok = true;
  const std::size_t outer = scopes_.size();
  if (e.for_each_xpath) {
    const pugi::xml_node context = scopes_.empty() ? document_->document_element().parent()
                                                   : scopes_.back().node;
    for (const pugi::xpath_node& node : e.for_each_xpath->evaluate_node_set(context)) {
      push_scope({{}, node.node(), 0});
      ok = collect_one(e, joined);
      pop_scope();
      if (!ok) {
        break;
      }
    }
  } else {
    const std::size_t begin = scopes_.empty() ? 1 : scopes_.back().group.head + 1;
    const std::size_t end = scopes_.empty() ? keys_.size() + 1 : scopes_.back().group.end;
    const std::size_t saved_header_end = header_end_;
    const std::size_t saved_own_end = scopes_.empty() ? 0 : scopes_.back().own_end;
    ok = collect_groups(e, 0, begin, end, joined);
    header_end_ = saved_header_end;
    if (!scopes_.empty()) {
      scopes_[outer - 1].own_end = saved_own_end;
    }
  }
  scopes_.resize(outer);
  note_head();
  if (!ok) {
    return false;
  }
  if (joined.empty()) {
    out.set_null();
  } else {
    out.set(Value::Type::text, sink_.keep(joined));
  }
  return true;
}

bool Evaluator::collect_groups(const Expr& e, std::size_t depth, std::size_t begin,
                               std::size_t end, std::string& joined) {
  if (depth == e.for_each.size()) {
    return collect_one(e, joined);
  }
  const std::size_t slot = scopes_.size();
  if (groups_.size() <= slot) {
    groups_.resize(slot + 1);
  }
  find_groups(keys_, e.for_each[depth], begin, end, groups_[slot]);
  if (slot == 0) {
    top_serial_ = 0;  // groups_[0] no longer holds a rule's top level
  }
  if (slot == 0 && depth == 0) {
    header_end_ = groups_[0].empty() ? keys_.size() + 1 : groups_[0].front().begin;
  } else if (slot > 0 && !groups_[slot].empty()) {
    scopes_.back().own_end = groups_[slot].front().begin;
  }
  forget_segments();
  for (std::size_t i = 0; i < groups_[slot].size(); ++i) {
    const SegmentGroup group = groups_[slot][i];
    push_scope({group, {}, group.end});
    const bool ok = collect_groups(e, depth + 1, group.head + 1, group.end, joined);
    pop_scope();
    if (!ok) {
      return false;
    }
  }
  return true;
}

bool Evaluator::collect_one(const Expr& e, std::string& joined) {
  if (e.condition) {
    bool taken = false;
    if (!test(*e.condition, taken)) {
      return false;
    }
    if (!taken) {
      return true;
    }
  }
  Value v;
  if (!eval(e.parts[0], v)) {
    return false;
  }
  if (!v.is_null()) {
    if (!joined.empty()) {
      joined += e.separator;
    }
    joined += v.text;
  }
  return true;
}

bool Evaluator::test(const Condition& c, bool& result) {
  using Kind = Condition::Kind;
  switch (c.kind) {
    case Kind::message_type:
      result = contains(c.texts, type_) || contains(c.texts, code_);
      return true;
    case Kind::all:
    case Kind::any: {
      const bool all = c.kind == Kind::all;
      result = all;
      for (const Condition& child : c.children) {
        bool r = false;
        if (!test(child, r)) {
          return false;
        }
        if (r != all) {
          result = r;
          return true;
        }
      }
      return true;
    }
    case Kind::negate:
      if (!test(c.children[0], result)) {
        return false;
      }
      result = !result;
      return true;
    default: {
      if (const Value* column = column_of(c.value)) {
        result = test_value(c, *column);
        return true;
      }
      Value v;
      if (!eval(c.value, v)) {
        return false;
      }
      result = test_value(c, v);
      return true;
    }
  }
}

bool Evaluator::test_value(const Condition& c, const Value& v) const {
  using Kind = Condition::Kind;
  switch (c.kind) {
    case Kind::exists: return !v.is_null();
    case Kind::empty: return v.is_null();
    case Kind::equals:
    case Kind::in: return !v.is_null() && contains(c.texts, v.text);
    case Kind::ends_with:
      return !v.is_null() && std::any_of(c.texts.begin(), c.texts.end(), [&](const auto& t) {
               return v.text.ends_with(t);
             });
    case Kind::starts_with:
      return !v.is_null() && std::any_of(c.texts.begin(), c.texts.end(), [&](const auto& t) {
               return v.text.starts_with(t);
             });
    case Kind::matches:
      return !v.is_null() && boost::regex_search(v.text.begin(), v.text.end(), *c.pattern);
    default: return false;
  }
}

}  // namespace hisbridge::mapping

// The Evaluator's reads: which segment a path names in the current scopes, the value there,
// definitions (remembered when they depend on segments only) and `datetime` conversions.
#include <algorithm>
#include <cstring>

#include "engine/mapping/element_value.hpp"
#include "engine/mapping/evaluator.hpp"
#include "engine/mapping/field_reader.hpp"
#include "engine/mapping/hl7_datetime.hpp"
#include "engine/mapping/transforms.hpp"

namespace hisbridge::mapping {
namespace {

// `define`s may use each other; a loop is refused at load, this bounds what is left.
constexpr std::size_t kMaxUseDepth = 32;

}  // namespace

void Evaluator::push_scope(const Scope& scope) {
  scopes_.push_back(scope);
  note_head();
}

void Evaluator::pop_scope() {
  scopes_.pop_back();
  note_head();
}

void Evaluator::note_head() {
  forget_segments();
  head_number_ = scopes_.empty() ? 0 : scopes_.back().group.head;
  // 0 is the key of an empty id, which no path names.
  head_key_ = head_number_ == 0 ? 0 : keys_[head_number_ - 1];
  head_ = nullptr;
}

void Evaluator::path_value(const Expr& e, Value& out) {
  // The raw text read from the message's index: a Segment is made only for the paths
  // read through hl7::Element.
  const std::size_t n = path_segment_number(e);
  if (n == 0) {
    out.set_null();
    return;
  }
  bool may_escape = may_escape_in(n);
  std::string_view raw;
  if (narrowed_raw(message_->segment_parts(n), delimiters_, e, readable_, raw)) {
    set_decoded(raw, delimiters_, may_escape, sink_, out);
    return;
  }
  element_value_by_element(prepared_segment(n, may_escape), e, sink_, out);
}


const hl7::Segment& Evaluator::prepared_segment(std::size_t n, bool& may_escape) {
  hl7::Segment& segment = segments_[n - 1];
  std::uint8_t& state = segment_states_[n - 1];
  if ((state & kMade) == 0) {  // the segment's first read in this message
    segment = message_->segment(n);
    state |= kMade;
  }
  may_escape = (state & kEscape) != 0;
  return segment;
}

void Evaluator::read_from(const hl7::Segment& segment, bool may_escape, const Expr& e,
                          Value& out) {
  if (!read_raw(segment, e, may_escape, readable_, sink_, out)) {
    element_value_by_element(segment, e, sink_, out);
  }
}

std::size_t Evaluator::segment_for(const Expr& e) {
  // Called for every path a row reads: a row's columns mostly read a few segments, each found
  // once per row and then remembered until the scopes change.
  const std::uint32_t wanted = e.segment_key;
  if (e.path.segment_occurrence > 1) {
    std::size_t seen = 0;
    for (std::size_t n = 1; n <= keys_.size(); ++n) {
      if (keys_[n - 1] == wanted && ++seen == e.path.segment_occurrence) {
        return n;
      }
    }
    return 0;
  }
  return segment_number(wanted);
}

std::size_t Evaluator::segment_number(std::uint32_t wanted) {
  if (wanted == head_key_ && head_key_ != 0) {
    return head_number_;
  }
  for (std::size_t i = 0; i < found_count_; ++i) {
    if (found_[i].key == wanted) {
      return found_[i].number;
    }
  }
  const std::size_t n = find_segment(wanted);
  if (found_count_ < found_.size()) {
    found_[found_count_++] = {wanted, static_cast<std::uint32_t>(n)};
  }
  return n;
}

std::size_t Evaluator::find_segment(std::uint32_t wanted) const {
  const auto is = [&](std::size_t n) { return keys_[n - 1] == wanted; };
  for (auto scope = scopes_.rbegin(); scope != scopes_.rend(); ++scope) {
    if (is(scope->group.head)) {
      return scope->group.head;
    }
    for (std::size_t n = scope->group.begin; n < scope->own_end; ++n) {
      if (is(n)) {
        return n;
      }
    }
  }
  const std::size_t end = scopes_.empty() ? keys_.size() + 1 : header_end_;
  for (std::size_t n = 1; n < end; ++n) {
    if (is(n)) {
      return n;
    }
  }
  return 0;
}

bool Evaluator::use_define(const Expr& e, Value& out) {
  if (use_depth_ >= kMaxUseDepth) {
    error_ = "definitions use each other too deeply";
    return false;
  }
  const Define& define = program_.defines[e.define];
  if (remembered_under(define, head_key_)) {
    return use_remembered(e.define, out);
  }
  return use_fresh(e.define, out);
}

bool Evaluator::use_fresh(std::size_t define, Value& out) {
  return has_raw_memo_[define] != 0 ? use_raw_memo(define, out)
                                    : evaluate_define(program_.defines[define], out);
}

// A path, or a `coalesce` of plain paths, with any steps after it: the value is the steps'
// result for the first path's text that is not null, and a text without escapes is its own
// decoded value. Steps are pure (tables and zone are the program's), so the same part and raw
// text always give the same value.
bool Evaluator::has_raw_memo(const Define& define) {
  const Expr& e = define.value;
  const auto plain = [](const Expr& p) {
    return p.kind == Expr::Kind::hl7_path && p.raw_read != Expr::RawRead::element;
  };
  if (!define.depends_on_segments_only) {
    return false;
  }
  if (e.kind == Expr::Kind::hl7_path) {
    return plain(e);
  }
  return e.kind == Expr::Kind::coalesce && !e.parts.empty() &&
         std::all_of(e.parts.begin(), e.parts.end(),
                     [&](const Expr& p) { return plain(p) && p.transforms.empty(); });
}

bool Evaluator::use_raw_memo(std::size_t index, Value& out) {
  RawMemo& memo = raw_memos_[index];
  const std::size_t parts = memo.paths.size();
  std::size_t taken = parts;  // none of the paths has a value
  std::string_view raw;
  char escape = '\0';  // the escape character of raw's segment when it may hold one
  for (std::size_t i = 0; i < parts; ++i) {
    const Expr& part = *memo.paths[i].expr;
    const std::size_t n = path_segment_number(part);
    if (n == 0) {
      continue;  // no such segment: null, the next path is read
    }
    const hl7::Segment::Parts segment_parts = message_->segment_parts(n);
    std::string_view text;
    // Every segment has the message's delimiters: its component finder is components_.
    if (!packed_raw(segment_parts, components_, memo.paths[i].packed, readable_, text) &&
        !narrowed_raw(segment_parts, delimiters_, part, readable_, text)) {
      // read through hl7::Element, not the raw text
      return evaluate_define(program_.defines[index], out);
    }
    if (is_null_text(text)) {
      continue;  // null: the next path is read
    }
    taken = i;
    raw = text;
    escape = may_escape_in(n) ? delimiters_.escape : '\0';
    break;
  }
  // A text equal to the one remembered holds no escape either (only such texts are kept).
  if (memo.message == message_serial_ && memo.part == taken && same_text(memo.raw, raw)) {
    out.set(memo.value.type, memo.value.text);
    return true;
  }
  const Define& define = program_.defines[index];
  if (escape != '\0' && holds_byte(raw, escape)) {
    return evaluate_define(define, out);  // decoded, it may differ or be empty
  }
  // What the paths give is the raw text itself (or null), the steps make the value.
  if (taken == parts) {
    out.set_null();
  } else {
    out.set(Value::Type::text, sink_.of_message(raw));
  }
  if (!apply_steps(define.value.transforms, out)) {
    memo.message = 0;
    return false;
  }
  memo.message = message_serial_;
  memo.part = taken;
  memo.raw = raw;
  memo.value = out;
  return true;
}

bool Evaluator::evaluate_define(const Define& define, Value& out) {
  ++use_depth_;
  const bool ok = eval(define.value, out);
  --use_depth_;
  return ok;
}

// A definition that depends on segments only is remembered, unless it reads the innermost
// group's head (an OBX for a result row): that changes from row to row, and remembering it
// would cost and never pay.
bool Evaluator::remembered_under(const Define& define, std::uint32_t head) {
  return define.depends_on_segments_only &&
         (head == 0 ||
          std::find(define.segments.begin(), define.segments.end(), head) == define.segments.end());
}

// A definition that depends on nothing but the segments its paths find, worked out again only
// when those segments differ from the last time in this message: an order's results share its
// order number, a message's orders its patient.
bool Evaluator::use_remembered(std::size_t index, Value& out) {
  const Define& define = program_.defines[index];
  if (remembered_.size() < program_.defines.size()) {
    remembered_.resize(program_.defines.size());
  }
  Remembered& memo = remembered_[index];
  bool same = memo.message == message_serial_;
  for (std::size_t i = 0; same && i < define.segments.size(); ++i) {
    same = memo.segments[i] == segment_number(define.segments[i]);
  }
  if (same) {
    out.set(memo.value.type, memo.value.text);
    return true;
  }
  if (!evaluate_define(define, out)) {
    memo.message = 0;
    return false;
  }
  // The scopes are those of before the evaluation: no `collect` inside (analyse_defines).
  memo.segments.resize(define.segments.size());
  for (std::size_t i = 0; i < define.segments.size(); ++i) {
    memo.segments[i] = static_cast<std::uint32_t>(segment_number(define.segments[i]));
  }
  memo.value = out;
  memo.message = message_serial_;
  return true;
}

// A `datetime` step, remembered per message: the OBX of one message mostly share their times.
bool Evaluator::convert_time(const Transform& step, Value& value) {
  constexpr std::size_t kMemos = 8;
  const std::string_view text = value.text;
  const std::uint64_t tag = time_tag(text);
  // The tag holds the last bytes (up to eight): the rest is compared.
  const std::size_t rest = text.size() - std::min<std::size_t>(text.size(), 8);
  for (std::size_t i = 0; i < times_used_; ++i) {
    const TimeMemo& memo = times_[i];
    if (memo.tag == tag && memo.in.size() == text.size() &&
        (rest == 0 || std::memcmp(memo.in.data(), text.data(), rest) == 0)) {
      value.text = memo.out;
      return true;
    }
  }
  if (times_.size() < kMemos) {
    times_.resize(kMemos);
  }
  const bool spare = times_used_ < kMemos;
  TimeMemo& memo = times_[spare ? times_used_ : next_time_++ % kMemos];
  char common[kCommonIsoMax];
  const std::size_t written = common_datetime_to_iso(text, *program_.zone, common);
  if (written != 0 || !hl7_datetime_to_iso(text, *program_.zone, sink_.buffer)) {
    memo.in = text;
    memo.out = written != 0 ? sink_.keep({common, written}) : sink_.keep_buffer();
    memo.tag = tag;
    times_used_ += spare ? 1 : 0;
    value.text = memo.out;
    return true;
  }
  // Not a time (memo as it was): the step's own rules say whether that is an error or a null.
  return apply_transform(step, value, *program_.zone, *sink_.store, error_);
}

// Told apart before the texts are compared: times of one message share their first bytes, so
// the tag takes the last eight (all of a shorter text) and the length.
std::uint64_t Evaluator::time_tag(std::string_view text) {
  std::uint64_t tail = 0;
  if (text.size() >= sizeof tail) {
    std::memcpy(&tail, text.data() + text.size() - sizeof tail, sizeof tail);
  } else {
    for (const char c : text) {
      tail = (tail << 8) | static_cast<unsigned char>(c);
    }
  }
  return tail ^ (static_cast<std::uint64_t>(text.size()) << 56);
}

}  // namespace hisbridge::mapping

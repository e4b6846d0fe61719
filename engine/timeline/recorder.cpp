#include "engine/timeline/recorder.hpp"

#include <algorithm>
#include <set>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "engine/store/text.hpp"
#include "engine/timeline/mark_codec.hpp"

namespace hisbridge::timeline {
namespace {

// The call's marks per subject. Orders and visits go to the tables; a message's marks make
// its interval directly (its two ends come in one call: the engine adds them together once
// the message is delivered), so they are not stored as marks.
struct Folded {
  std::vector<SubjectUpdate> subjects;          // orders and visits, in order of first mark
  std::vector<MarkUpdate> marks;                // of kinds some definition of the scope uses
  std::vector<SubjectUpdate> messages;          // message subjects
  std::vector<std::vector<KindTime>> message_kinds;  // parallel to `messages`
};

// Text columns hold UTF-8 without NUL bytes (store/text.hpp): PostgreSQL refuses anything
// else, and both backends keep the same values.
std::string clean(const std::string& text) {
  std::string scratch;
  const std::string_view cleaned = store::clean_text(text, scratch);
  return cleaned.data() == text.data() ? text : std::string(cleaned);
}

// Later non-empty fields win: a message that does not say leaves what is known.
void merge_info(SubjectInfo& into, const SubjectInfo& from) {
  const auto take = [](std::string& a, const std::string& b) {
    if (!b.empty()) {
      a = clean(b);
    }
  };
  take(into.discipline, from.discipline);
  take(into.visit_id, from.visit_id);
  take(into.patient_id, from.patient_id);
  take(into.department, from.department);
  take(into.priority, from.priority);
  take(into.service_code, from.service_code);
  take(into.modality, from.modality);
}

void keep_earliest(std::vector<KindTime>& kinds, const std::string& kind, std::int64_t at_us) {
  for (KindTime& k : kinds) {
    if (k.kind == kind) {
      k.at_us = std::min(k.at_us, at_us);
      return;
    }
  }
  kinds.push_back({kind, at_us});
}

std::optional<std::int64_t> earliest(const std::vector<KindTime>& kinds, std::string_view kind) {
  std::optional<std::int64_t> out;
  for (const KindTime& k : kinds) {
    if (k.kind == kind && (!out || k.at_us < *out)) {
      out = k.at_us;
    }
  }
  return out;
}

bool uses(const std::vector<IntervalDefinition>& definitions, Scope scope,
          const std::string& kind) {
  return std::any_of(definitions.begin(), definitions.end(), [&](const IntervalDefinition& d) {
    return d.scope == scope && (d.from == kind || d.ends_with(kind));
  });
}

Folded fold(const std::vector<IntervalDefinition>& definitions, std::span<const Mark> marks) {
  Folded f;
  std::unordered_map<std::string, std::size_t> subject_at;  // scope + subject -> index
  std::unordered_map<std::string, std::size_t> mark_at;     // ... + kind -> index
  for (const Mark& m : marks) {
    const std::string subject = clean(m.subject);
    const std::string kind = clean(m.kind);
    std::string key = std::string(to_string(m.scope)) + '\x1f' + subject;
    const bool message = m.scope == Scope::message;
    auto& list = message ? f.messages : f.subjects;
    const auto [it, added] = subject_at.try_emplace(key, list.size());
    if (added) {
      list.push_back({m.scope, subject, {}});
      if (message) {
        f.message_kinds.emplace_back();
      }
    }
    merge_info(list[it->second].info, m.info);
    if (message) {
      keep_earliest(f.message_kinds[it->second], kind, m.at_us);
    } else if (uses(definitions, m.scope, kind)) {
      key.append(1, '\x1f').append(kind);
      const auto [k, new_kind] = mark_at.try_emplace(std::move(key), f.marks.size());
      if (new_kind) {
        f.marks.push_back({m.scope, subject, kind, m.at_us});
      } else {
        f.marks[k->second].at_us = std::min(f.marks[k->second].at_us, m.at_us);
      }
    }
  }
  return f;
}

// The intervals a subject's marks make under every definition of its scope and discipline.
void intervals_of(const std::vector<IntervalDefinition>& definitions, const SubjectUpdate& s,
                  const std::vector<KindTime>& kinds, std::vector<IntervalRecord>& out) {
  for (const IntervalDefinition& d : definitions) {
    if (d.scope != s.scope || (!d.discipline.empty() && d.discipline != s.info.discipline)) {
      continue;
    }
    const auto from = earliest(kinds, d.from);
    std::optional<std::int64_t> to;
    for (const std::string& kind : d.to) {
      const auto at = earliest(kinds, kind);
      if (at && (!to || *at < *to)) {
        to = at;
      }
    }
    if (from && to) {
      out.push_back({d.name, s.subject, *from, *to, s.info});
    }
  }
}

bool same_row_info(const SubjectInfo& a, const SubjectInfo& b) {
  return a.discipline == b.discipline && a.priority == b.priority &&
         a.department == b.department && a.service_code == b.service_code &&
         a.modality == b.modality;
}

// Compares what the marks make with what is stored: new and moved intervals are written and
// reported; a changed subject info is written only; an unchanged one is left alone.
// Rows from `first_message` on are messages' intervals.
void compare(std::vector<IntervalRecord>& wanted, std::size_t first_message,
             const std::vector<std::optional<IntervalRecord>>& stored,
             std::vector<IntervalRecord>& writes, std::vector<RecordedInterval>& recorded) {
  for (std::size_t i = 0; i < wanted.size(); ++i) {
    IntervalRecord& w = wanted[i];
    const std::optional<IntervalRecord>& s = stored[i];
    if (s && i >= first_message) {
      // A message's marks are not stored: its row keeps the earliest ends seen.
      w.from_us = std::min(w.from_us, s->from_us);
      w.to_us = std::min(w.to_us, s->to_us);
    }
    const bool moved = s && (s->from_us != w.from_us || s->to_us != w.to_us);
    if (!s || moved) {
      recorded.push_back({w.interval, w.subject, w.from_us, w.to_us, w.invalid(), !s, w.info});
    }
    if (!s || moved || !same_row_info(s->info, w.info)) {
      writes.push_back(std::move(w));
    }
  }
}

Result<std::vector<RecordedInterval>> run(RecordTables& tables,
                                          const std::vector<IntervalDefinition>& definitions,
                                          Folded& f) {
  if (auto r = tables.merge_subjects(f.subjects); !r) {
    return r.error();
  }
  if (auto r = tables.merge_marks(f.marks); !r) {
    return r.error();
  }
  std::vector<std::vector<KindTime>> kinds;
  if (auto r = tables.read_marks(f.subjects, kinds); !r) {
    return r.error();
  }
  std::vector<IntervalRecord> wanted;
  for (std::size_t i = 0; i < f.subjects.size(); ++i) {
    intervals_of(definitions, f.subjects[i], kinds[i], wanted);
  }
  const std::size_t first_message = wanted.size();
  for (std::size_t i = 0; i < f.messages.size(); ++i) {
    intervals_of(definitions, f.messages[i], f.message_kinds[i], wanted);
  }
  std::vector<IntervalKey> keys;
  keys.reserve(wanted.size());
  for (const IntervalRecord& w : wanted) {
    keys.push_back({w.interval, w.subject});
  }
  std::vector<std::optional<IntervalRecord>> stored;
  if (auto r = tables.read_intervals(keys, stored); !r) {
    return r.error();
  }
  std::vector<IntervalRecord> writes;
  std::vector<RecordedInterval> recorded;
  compare(wanted, first_message, stored, writes, recorded);
  if (auto r = tables.write_intervals(writes); !r) {
    return r.error();
  }
  return recorded;
}

// One transaction around `work`, which gets the tables in it.
template <typename T, typename Work>
Result<T> in_transaction(RecordTables& tables, Work&& work) {
  if (auto begun = tables.begin(); !begun) {
    return begun.error();
  }
  Result<T> done = work();
  if (!done) {
    tables.rollback();
    return done;
  }
  if (auto committed = tables.commit(); !committed) {
    tables.rollback();
    return committed.error();
  }
  return done;
}

// The marks of the rows taken, oldest first, up to about `max_marks` (at least one row);
// rows that do not decode are taken too, and counted.
Drained take_rows(const std::vector<InboxRow>& rows, std::size_t max_marks,
                  std::vector<Mark>& marks, std::vector<std::int64_t>& taken) {
  Drained d;
  std::string error;
  for (const InboxRow& row : rows) {
    if (!taken.empty() && marks.size() >= max_marks) {
      break;
    }
    taken.push_back(row.id);
    ++d.rows;
    if (!decode_marks(row.marks, marks, error)) {
      // Only a damaged database or a bug makes such a row; keeping it would stop the inbox.
      spdlog::error("timeline: inbox row {} ({} bytes) is unreadable and is dropped: {}",
                    row.id, row.marks.size(), error);
      ++d.unreadable;
    }
  }
  d.marks = marks.size();
  return d;
}

}  // namespace

Result<std::vector<RecordedInterval>> record_marks(RecordTables& tables,
                                                   const std::vector<IntervalDefinition>& definitions,
                                                   std::span<const Mark> marks) {
  if (marks.empty()) {
    return std::vector<RecordedInterval>{};
  }
  Folded folded = fold(definitions, marks);
  return in_transaction<std::vector<RecordedInterval>>(
      tables, [&] { return run(tables, definitions, folded); });
}

Result<void> enqueue_marks(RecordTables& tables, std::span<const Mark> marks,
                           std::string& scratch) {
  if (marks.empty()) {
    return {};
  }
  scratch.clear();
  encode_marks(marks, scratch);
  return tables.insert_inbox(scratch);
}

Result<Drained> drain_inbox(RecordTables& tables,
                            const std::vector<IntervalDefinition>& definitions,
                            std::size_t max_rows, std::size_t max_marks) {
  auto done = in_transaction<Drained>(tables, [&]() -> Result<Drained> {
    std::vector<InboxRow> rows;
    if (auto read = tables.read_inbox(std::max<std::size_t>(max_rows, 1), rows); !read) {
      return read.error();
    }
    std::vector<Mark> marks;
    std::vector<std::int64_t> taken;
    Drained drained = take_rows(rows, max_marks, marks, taken);
    if (!marks.empty()) {
      Folded folded = fold(definitions, marks);
      auto recorded = run(tables, definitions, folded);
      if (!recorded) {
        return recorded.error();
      }
      drained.recorded = std::move(*recorded);
    }
    if (auto deleted = tables.delete_inbox(taken); !deleted) {
      return deleted.error();
    }
    return drained;
  });
  if (done) {
    if (auto finished = tables.finish_drain(); !finished) {
      done->inbox_kept = finished.error().message();
    }
  }
  return done;
}

}  // namespace hisbridge::timeline

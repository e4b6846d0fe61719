#include "engine/replay/replay.hpp"

#include <algorithm>

namespace hisbridge::replay {

std::string_view to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::sent_back:
      return "sent_back";
    case Verdict::already_received:
      return "already_received";
    case Verdict::refused:
      return "refused";
    case Verdict::not_found:
      return "not_found";
  }
  return "not_found";
}

MessageResult judge(const store::StoredMessage& m) {
  const std::string id = std::to_string(m.id);
  MessageResult out{m.id, Verdict::sent_back, m.message.status, {}, m.message.source};
  switch (m.message.status) {
    case store::MessageStatus::processed:
    case store::MessageStatus::error:
      break;
    case store::MessageStatus::received:
      out.verdict = Verdict::already_received;
      out.reason = "message " + id + " is already waiting for processing";
      break;
    case store::MessageStatus::rejected:
      out.verdict = Verdict::refused;
      out.reason = "message " + id + " was rejected when it arrived (" + m.message.error +
                   "): it could not be read, so there is nothing to process; have the sender "
                   "send a corrected message";
      break;
    case store::MessageStatus::duplicate:
      out.verdict = Verdict::refused;
      out.reason = "message " + id + " is a duplicate of message " +
                   std::to_string(m.duplicate_of) + ": replay that one instead";
      break;
  }
  return out;
}

namespace {

// One step of ids: each looked up and judged, those that may go back set back together.
boost::system::error_code reprocess_step(store::Store& store, std::span<const std::int64_t> ids,
                                         MessagesOutcome& out) {
  std::vector<std::int64_t> back;
  for (const std::int64_t id : ids) {
    auto stored = store.get(id);
    if (!stored) {
      if (stored.error() != store::StoreError::not_found) {
        return stored.error();
      }
      out.messages.push_back({id,
                              Verdict::not_found,
                              store::MessageStatus::received,
                              "no message " + std::to_string(id) + " in the journal",
                              {}});
      continue;
    }
    out.messages.push_back(judge(*stored));
    if (out.messages.back().verdict == Verdict::sent_back) {
      back.push_back(id);
    }
  }
  auto changed = store.reprocess(back);
  if (!changed) {
    return changed.error();
  }
  out.changed += *changed;
  return {};
}

}  // namespace

MessagesOutcome reprocess_messages(store::Store& store, std::span<const std::int64_t> ids,
                                   const Progress& progress) {
  MessagesOutcome out;
  for (std::size_t at = 0; at < ids.size(); at += kStep) {
    const auto step = ids.subspan(at, std::min(kStep, ids.size() - at));
    out.error = reprocess_step(store, step, out);
    if (out.error) {
      return out;
    }
    if (progress) {
      progress(at + step.size(), ids.size());
    }
  }
  return out;
}

Outcome reprocess_range(store::Store& store, store::ReprocessRange range,
                        const Progress& progress) {
  Outcome out;
  auto total = store.count_reprocessable(range);
  if (!total) {
    out.error = total.error();
    return out;
  }
  std::int64_t after = 0;
  for (;;) {
    auto step = store.reprocess_range(range, after, kStep);
    if (!step) {
      out.error = step.error();
      return out;
    }
    if (step->last_id == 0) {
      return out;
    }
    out.changed += step->changed;
    range.from_us = step->last_at_us;
    after = step->last_id;
    if (progress) {
      progress(out.changed, std::max(*total, out.changed));
    }
  }
}

Outcome requeue_dead_letters(store::Store& store, std::string_view queue,
                             const Progress& progress) {
  Outcome out;
  auto depths = store.queue_depths();
  if (!depths) {
    out.error = depths.error();
    return out;
  }
  std::size_t total = 0;
  for (const store::QueueDepth& d : *depths) {
    total += d.queue == queue ? static_cast<std::size_t>(d.dead) : 0;
  }
  std::int64_t after = 0;
  for (;;) {
    auto step = store.requeue_dead(queue, after, kStep);
    if (!step) {
      out.error = step.error();
      return out;
    }
    if (step->last_id == 0) {
      return out;
    }
    out.changed += step->changed;
    after = step->last_id;
    if (progress) {
      progress(out.changed, std::max(total, out.changed));
    }
  }
}

nlohmann::ordered_json describe(const MessagesOutcome& outcome, std::string_view via) {
  constexpr std::size_t kListed = 100;
  nlohmann::ordered_json ids = nlohmann::ordered_json::array();
  std::size_t counts[4] = {};
  for (const MessageResult& m : outcome.messages) {
    if (ids.size() < kListed) {
      ids.push_back(m.id);
    }
    ++counts[static_cast<std::size_t>(m.verdict)];
  }
  nlohmann::ordered_json out{
      {"via", via}, {"messages", std::move(ids)}, {"asked", outcome.messages.size()}};
  for (const Verdict v :
       {Verdict::sent_back, Verdict::already_received, Verdict::refused, Verdict::not_found}) {
    out[std::string(to_string(v))] = counts[static_cast<std::size_t>(v)];
  }
  return out;
}

Result<void, std::string> write_audit(audit::AuditTrail& trail, audit::Entry entry,
                                      const Outcome& outcome) {
  if (!entry.detail.is_object()) {
    entry.detail = nlohmann::ordered_json::object();
  }
  entry.detail["changed"] = outcome.changed;
  if (outcome.error) {
    entry.detail["error"] = outcome.error.message();
  }
  return trail.append(entry);
}

}  // namespace hisbridge::replay

#include "engine/router/router.hpp"

#include <pthread.h>

#include <algorithm>
#include <chrono>

#include <spdlog/spdlog.h>

#include "engine/core/patient_data_log.hpp"
#include "engine/hl7/read_message.hpp"
#include "engine/router/channel_output.hpp"
#include "engine/router/filter.hpp"

namespace hisbridge::router {
namespace {

constexpr std::size_t kBatch = 256;
// How long a wake-up waits for more notifications before it reads: enough for a burst of
// light traffic to share one read and one status transaction, short against any turnaround
// anyone measures.
constexpr std::chrono::milliseconds kLinger{2};
// Pauses before a source whose destination asked to retry is tried again.
constexpr std::chrono::milliseconds kFirstRetryDelay{250};
constexpr std::chrono::milliseconds kMaxRetryDelay{30'000};
// How often every source is read again from its first `received` message, for replays that
// no rewind() announced (the CLI writes the journal from another process). Cheap: the pending
// index holds only `received` rows.
constexpr std::chrono::seconds kRescan{1};

}  // namespace

Router::Router(std::unique_ptr<store::Store> store, config::Config config,
               StatusWriter write_statuses, std::vector<Channel> channels,
               RouterTimeline timeline, QueueNotifier on_queued)
    : store_(std::move(store)),
      config_(std::move(config)),
      write_statuses_(std::move(write_statuses)),
      channels_(std::move(channels)),
      on_queued_(std::move(on_queued)),
      timeline_(std::move(timeline)) {
  if (channels_.empty()) {
    for (const auto& c : config_.channels) {
      channels_.push_back({c, {}, {}});
    }
  }
  if (!write_statuses_) {
    write_statuses_ = [this](std::span<const store::StatusUpdate> updates) {
      return store_->set_statuses(updates);
    };
  }
  for (const auto& listener : config_.listeners) {
    last_id_[listener.name] = 0;
    source_counters_.try_emplace(listener.name);
  }
  for (const Channel& channel : channels_) {
    std::vector<std::string> destinations;
    for (const auto& d : channel.destinations) {
      destinations.push_back(d->name());
    }
    channel_counters_.emplace_back(channel.config.name, destinations);
  }
  outputs_.resize(channels_.size());
}

DestinationCounters* Router::destination_counters(std::string_view channel,
                                                  std::string_view destination) {
  for (ChannelCounters& c : channel_counters_) {
    if (c.name() != channel) {
      continue;
    }
    for (DestinationCounters& d : c.destinations) {
      if (d.name == destination) {
        return &d;
      }
    }
  }
  return nullptr;
}

const SourceCounters* Router::source_counters(std::string_view source) const {
  const auto it = source_counters_.find(source);
  return it == source_counters_.end() ? nullptr : &it->second;
}

Router::~Router() { stop(); }

void Router::start() {
  store::MessageQuery newest;
  newest.limit = 1;
  auto found = store_->find(newest);
  if (!found) {
    spdlog::error("router: reading the newest stored id failed: {}", found.error().message());
  }
  {
    const std::lock_guard lock(mutex_);
    durable_id_ = found && !found->empty() ? found->front().id : 0;
    start_id_ = durable_id_;
  }
  worker_ = std::thread([this] { run(); });
}

void Router::notify(const std::string& source, std::int64_t durable_id) {
  if (const auto it = source_counters_.find(source);
      it != source_counters_.end() && durable_id > start_id_.load(std::memory_order_relaxed)) {
    it->second.queued.fetch_add(1, std::memory_order_relaxed);
  }
  bool wake = false;
  {
    const std::lock_guard lock(mutex_);
    durable_id_ = std::max(durable_id_, durable_id);
    ++notified_;
    wake = !work_ || notified_ == kBatch;
    work_ = true;
  }
  if (wake) {
    wake_.notify_one();
  }
}

void Router::rewind(const std::string& source) {
  {
    const std::lock_guard lock(mutex_);
    rewinds_.push_back(source);
    work_ = true;
  }
  wake_.notify_one();
}

void Router::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (worker_.joinable()) {
    worker_.join();
  }
}

void Router::run() {
  pthread_setname_np(pthread_self(), "hb-router");  // for top -H and perf
  for (;;) {
    if (!wait_for_work()) {
      return;
    }
    // Round-robin over the sources, one batch each, until none has work: a busy source
    // cannot starve the others, and each source's messages keep their receive order.
    bool busy = true;
    while (busy) {
      busy = false;
      for (auto& [source, last_id] : last_id_) {
        busy = process_batch(source) || busy;
        std::lock_guard lock(mutex_);
        if (stopping_) {
          return;
        }
      }
    }
    // Marks the timeline did not take go with the next batch; without one they are handed
    // again here, at least once a second (kRescan), so a quiet line's figures come too.
    timeline_.retry_held();
  }
}

bool Router::wait_for_work() {
  std::vector<std::string> rewinds;
  {
    std::unique_lock lock(mutex_);
    auto until = next_rescan_;
    for (const auto& [source, at] : retry_at_) {
      until = std::min(until, at.first);
    }
    wake_.wait_until(lock, until, [this] { return work_ || stopping_; });
    wake_.wait_for(lock, kLinger, [this] { return stopping_ || notified_ >= kBatch; });
    if (stopping_) {
      return false;
    }
    work_ = false;
    notified_ = 0;
    rewinds.swap(rewinds_);
  }
  if (const auto now = std::chrono::steady_clock::now(); now >= next_rescan_) {
    rewinds.emplace_back();
    next_rescan_ = now + kRescan;
  }
  for (const std::string& rewound : rewinds) {
    for (auto& [source, last_id] : last_id_) {
      if (rewound.empty() || rewound == source) {
        last_id = 0;
      }
    }
  }
  return true;
}

// The outcomes of a batch are written in one call: one short transaction per batch instead of
// one per message.
bool Router::process_batch(const std::string& source) {
  std::int64_t durable_id = 0;
  {
    const std::lock_guard lock(mutex_);
    durable_id = durable_id_;
  }
  if (const auto retry = retry_at_.find(source);
      retry != retry_at_.end() && std::chrono::steady_clock::now() < retry->second.first) {
    return false;
  }
  auto batch = store_->pending(source, last_id_[source], kBatch);
  if (!batch) {
    counters_.store_errors.fetch_add(1, std::memory_order_relaxed);
    spdlog::error("router: reading pending messages of {} failed: {}", source,
                  batch.error().message());
    return false;
  }
  // Messages committed but not yet durable wait for the notification that says they are.
  const auto beyond = std::find_if(batch->begin(), batch->end(), [&](const auto& m) {
    return m.id > durable_id;
  });
  const bool full = batch->size() == kBatch && beyond == batch->end();
  batch->erase(beyond, batch->end());
  if (batch->empty()) {
    return false;
  }
  updates_.clear();
  batch_tallies_.clear();
  timeline_.begin_batch();
  std::uint64_t unrouted = 0;
  bool retried = false;
  for (const store::StoredMessage& stored : *batch) {
    timeline_.begin_message();
    auto update = outcome(stored, unrouted);
    if (!update) {
      timeline_.drop_message();
      retried = true;  // this one and those after it wait: receive order is kept
      break;
    }
    updates_.push_back(std::move(*update));
    batch_tallies_.insert(batch_tallies_.end(), message_tallies_.begin(), message_tallies_.end());
  }
  note_retry(source, retried);
  if (updates_.empty()) {
    return false;
  }
  record_timeline();
  if (auto updated = write_statuses_(updates_); !updated) {
    // Leave the batch `received` and come back to it, after a pause, rather than skip it.
    counters_.store_errors.fetch_add(1, std::memory_order_relaxed);
    spdlog::error("router: marking messages {} to {} failed: {}", batch->front().id,
                  batch->back().id, updated.error().message());
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; });
    work_ = true;
    return false;
  }
  std::uint64_t failed = 0;
  for (const store::StatusUpdate& u : updates_) {
    failed += u.status == store::MessageStatus::error ? 1 : 0;
  }
  counters_.unrouted.fetch_add(unrouted, std::memory_order_relaxed);
  counters_.failed.fetch_add(failed, std::memory_order_relaxed);
  counters_.processed.fetch_add(updates_.size() - failed, std::memory_order_relaxed);
  count_written(source, unrouted);
  last_id_[source] = updates_.back().id;
  if (on_queued_) {
    on_queued_(updates_);
  }
  return full && !retried;
}

// Before the statuses: a crash in between processes the batch, and enqueues its marks, again.
void Router::record_timeline() {
  if (!timeline_.enabled()) {
    return;
  }
  counters_.timeline_skipped_events.fetch_add(timeline_.skipped_events(),
                                              std::memory_order_relaxed);
  if (!timeline_.enqueue_batch()) {
    counters_.timeline_errors.fetch_add(1, std::memory_order_relaxed);
  }
}

void Router::note_retry(const std::string& source, bool retried) {
  const auto it = retry_at_.find(source);
  if (!retried) {
    if (it != retry_at_.end()) {
      retry_at_.erase(it);
    }
    return;
  }
  counters_.retries.fetch_add(1, std::memory_order_relaxed);
  const std::chrono::milliseconds delay =
      it == retry_at_.end() ? kFirstRetryDelay : std::min(kMaxRetryDelay, it->second.second * 2);
  retry_at_[source] = {std::chrono::steady_clock::now() + delay, delay};
}

// Per channel and per source, for a batch whose statuses are written.
void Router::count_written(const std::string& source, std::uint64_t unrouted) {
  for (const Tally& t : batch_tallies_) {
    ChannelCounters& c = channel_counters_[t.channel];
    (t.failed ? c.failed : c.processed).fetch_add(1, std::memory_order_relaxed);
    c.count_type(t.type, t.failed);
  }
  const auto it = source_counters_.find(source);
  if (it == source_counters_.end()) {
    return;
  }
  // New work only: messages stored after the start and above every id written before (a
  // replayed message was counted when it was first done).
  std::int64_t& high_id = high_id_[source];
  const std::int64_t counted_from = std::max(start_id_.load(std::memory_order_relaxed), high_id);
  const auto after_start = std::count_if(updates_.begin(), updates_.end(),
                                         [&](const auto& u) { return u.id > counted_from; });
  high_id = std::max(high_id, updates_.back().id);
  it->second.done.fetch_add(static_cast<std::uint64_t>(after_start), std::memory_order_relaxed);
  it->second.unrouted.fetch_add(unrouted, std::memory_order_relaxed);
}

std::optional<store::StatusUpdate> Router::outcome(const store::StoredMessage& stored,
                                                  std::uint64_t& unrouted) {
  const config::ListenerConfig* listener = config_.listener(stored.message.source);
  auto message = hl7::read_message(stored.message.raw,
                                   listener != nullptr ? listener->charset : std::string());
  std::size_t taken = 0;
  std::string failures;
  store::StatusUpdate update{stored.id, store::MessageStatus::processed, {}, {}};
  message_tallies_.clear();
  for (std::size_t index = 0; index < channels_.size(); ++index) {
    const Channel& channel = channels_[index];
    if (channel.config.source != stored.message.source) {
      continue;
    }
    const auto current = channel.mapping ? channel.mapping() : nullptr;
    const bool reads_xml = current && current->program().input == mapping::Program::Input::xml;
    // An xml mapping reads vendor XML, which is not HL7: a message read as HL7 (ER7 or HL7
    // v2.xml) goes to the channels with an hl7 mapping only, even when both share a source.
    if (reads_xml ? (message || !xml_filter_matches(channel.config.filter,
                                                    stored.message.message_type))
                  : (!message || !filter_matches(channel.config.filter, *message))) {
      continue;
    }
    ++taken;
    bool retry = false;
    const std::string failed =
        run_channel(index, stored, message ? &*message : nullptr, retry, update);
    if (retry) {
      return std::nullopt;
    }
    message_tallies_.push_back({index, !failed.empty(), stored.message.message_type});
    if (!failed.empty()) {
      failures += (failures.empty() ? "" : "; ") + failed;
    }
  }
  if (taken == 0 && !message) {
    return store::StatusUpdate{stored.id, store::MessageStatus::error, message.error().message(),
                               {}};
  }
  unrouted += taken == 0 ? 1 : 0;
  if (!failures.empty()) {
    // The reasons may quote the message's values: in the journal always, in the log only
    // while patient data may be shown there (the metrics count every failure).
    if (show_patient_data()) {
      spdlog::info("router: message {} failed: {}", stored.id, failures);
    }
    // The channels that did map it still deliver what they made.
    update.status = store::MessageStatus::error;
    update.error = std::move(failures);
  }
  return update;
}

std::string Router::run_channel(std::size_t index, const store::StoredMessage& stored,
                                const hl7::Message* message, bool& retry,
                                store::StatusUpdate& update) {
  const Channel& channel = channels_[index];
  ChannelCounters& counted = channel_counters_[index];
  std::string failure;
  mapping::MappingOutput& output = outputs_[index];
  if (!channel_output(channel, stored, message, output, failure)) {
    if (failure.empty()) {
      retry = true;  // not loaded: a reload may bring it; nothing is marked meanwhile
      return {};
    }
    return "channel " + channel.config.name + ": " + failure;
  }
  for (const std::string& warning : output.warnings) {
    counters_.mapping_warnings.fetch_add(1, std::memory_order_relaxed);
    counted.mapping_warnings.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("router: message {} on channel {}: {}", stored.id, channel.config.name,
                 warning);
  }
  if (!channel.destinations.empty()) {
    const std::string key = order_key(stored, output);
    for (const auto& destination : channel.destinations) {
      update.deliveries.push_back(
          {store::queue_name(channel.config.name, destination->name()), key});
    }
  }
  timeline_.add_events(output.events);
  return {};
}

}  // namespace hisbridge::router

#pragma once

// The MLLP load generator of ingest_bench: K connections, W messages in flight on each, every
// message a ~2 KiB ORU^R01 in Vietnamese UTF-8 with its own MSH-10, every ACK read and its
// MSA-2 checked against the MSH-10 of the message it answers (ACKs come back in send order on
// a connection, so the oldest unanswered message is the one it answers).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace hisbridge::bench {

struct LoadOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::size_t connections = 1;
  std::size_t window = 1;  // messages sent and not yet answered, per connection
  // 0: closed loop, each ACK lets the next message go. Otherwise messages are due at this rate
  // (per second, all connections together) whether or not ACKs keep up; a message held back
  // by a full window keeps its due time, so its latency counts the wait (no coordinated
  // omission).
  double rate = 0;
  std::chrono::milliseconds warmup{500};   // sent and answered, not counted
  std::chrono::milliseconds measure{3000};
  std::chrono::seconds drain_timeout{30};  // for the last ACKs once sending stops
  // A different number per run, so that no MSH-10 repeats within one journal.
  unsigned run_number = 0;
  // Each message its own order number (ORC-2, OBR-2) and each two their own visit (PV1-19), as
  // real traffic has them, rather than the template's one order: what the turnaround timeline
  // records then grows with the traffic.
  bool unique_orders = false;
};

struct LoadResult {
  std::uint64_t sent = 0;        // every message written, warm-up and drain included
  std::uint64_t answered = 0;    // every ACK read
  std::uint64_t measured = 0;    // ACKs read within the measuring window
  double seconds = 0;            // the measuring window
  double messages_per_second = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
  std::uint64_t negative = 0;    // MSA-1 neither AA nor CA
  std::uint64_t mismatched = 0;  // MSA-2 not the MSH-10 it answers, or an unreadable ACK
  std::uint64_t unanswered = 0;  // sent and never answered
  std::string error;             // the first failure seen, for the log

  bool ok() const {
    return error.empty() && negative == 0 && mismatched == 0 && unanswered == 0;
  }
};

// The ~2 KiB message every connection sends, its MSH-10 and PID-3 rewritten per message.
std::string bench_oru_template();

// Connects, runs warm-up, the measuring window and the drain on one client thread of its own,
// and returns when every connection is closed.
LoadResult run_load(const LoadOptions& options);

}  // namespace hisbridge::bench

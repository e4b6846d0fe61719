// Feeds the input to an MLLP Framer whole and split at points taken from the input, and checks
// that both yield the same events, and that every frame obeys the framing rules.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/mllp/framer.hpp"

namespace {

using hisbridge::mllp::Framer;
using hisbridge::mllp::FramerOptions;
using hisbridge::mllp::FramerStats;

void check(bool condition) {
  if (!condition) {
    std::abort();
  }
}

struct Outcome {
  std::vector<std::string> events;  // the messages, in order
  std::vector<std::size_t> too_large_at;  // how many messages came before each frame_too_large
  FramerStats stats;
  std::size_t buffered = 0;
  bool in_frame = false;
};

Outcome run(std::string_view input, const std::vector<std::size_t>& cuts, FramerOptions options) {
  Framer framer(options);
  Outcome outcome;
  std::size_t begin = 0;
  for (std::size_t cut : cuts) {
    framer.feed(input.substr(begin, cut - begin));
    begin = cut;
    while (auto event = framer.next()) {
      if (event->has_value()) {
        outcome.events.push_back(event->value());
      } else {
        outcome.too_large_at.push_back(outcome.events.size());
      }
    }
  }
  outcome.stats = framer.stats();
  outcome.buffered = framer.buffered_bytes();
  outcome.in_frame = framer.in_frame();
  return outcome;
}

bool same(const FramerStats& a, const FramerStats& b) {
  return a.frames == b.frames && a.frames_too_large == b.frames_too_large &&
         a.frames_abandoned == b.frames_abandoned && a.bytes_ignored == b.bytes_ignored &&
         a.bytes_discarded == b.bytes_discarded;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  // The first byte picks the limit, small enough that oversize frames happen often.
  const FramerOptions options{std::size_t{data[0]} * 2};
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);

  std::vector<std::size_t> cuts;
  for (std::size_t i = 0; i < 3 && i < input.size(); ++i) {
    cuts.push_back((std::size_t{data[size - 1 - i]} * 7919u + i * 31u) % (input.size() + 1));
  }
  std::sort(cuts.begin(), cuts.end());
  cuts.push_back(input.size());

  const Outcome whole = run(input, {input.size()}, options);
  const Outcome split = run(input, cuts, options);
  check(whole.events == split.events && whole.too_large_at == split.too_large_at);
  check(same(whole.stats, split.stats));
  check(whole.buffered == split.buffered && whole.in_frame == split.in_frame);

  std::size_t accounted = whole.stats.bytes_ignored + whole.stats.bytes_discarded + whole.buffered;
  for (const std::string& event : whole.events) {
    accounted += event.size();
    check(event.size() <= options.max_frame_bytes);
    check(event.find('\x0b') == std::string::npos);
    check(event.find("\x1c\r") == std::string::npos);
    // A yielded message survives a round trip through encode_frame.
    const Outcome again = run(hisbridge::mllp::encode_frame(event), {event.size() + 3}, {});
    check(again.events.size() == 1 && again.events.front() == event);
  }
  check(whole.too_large_at.size() == whole.stats.frames_too_large);
  check(whole.events.size() == whole.stats.frames);
  check(accounted <= input.size());
  check(whole.buffered == 0 || whole.in_frame);
  return 0;
}

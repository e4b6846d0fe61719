// Parse throughput over the ORU^R01 result messages hisbridge receives most: a full field-level
// parse plus reading PID-5 and every OBX-5, against a baseline measured in the same run that
// only finds the segment separators. Prints MB/s, messages/s and the ratio to the baseline
// (target: full parse at least 25% of the baseline).
#include <benchmark/benchmark.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "engine/hl7/message.hpp"

namespace {

namespace fs = std::filesystem;
using hisbridge::hl7::Message;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

bool is_oru(const fs::path& path) {
  const std::string name = path.filename().string();
  return name.find("ORU") != std::string::npos || name.find("oru") != std::string::npos ||
         name.starts_with("LRI_");
}

// One string per message, so every parse starts at a fresh buffer as it would off the wire.
const std::vector<std::string>& oru_messages() {
  static const std::vector<std::string> messages = [] {
    std::vector<std::string> out;
    for (const char* dir : {HISBRIDGE_SAMPLES_DIR "/fhir-converter/hl7v2",
                            HISBRIDGE_SAMPLES_DIR "/corpus", HISBRIDGE_FIXTURES_DIR "/hl7/er7"}) {
      if (!fs::is_directory(dir)) {
        continue;
      }
      for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.is_regular_file() && is_oru(entry.path())) {
          std::string bytes = read_file(entry.path());
          if (Message::parse(bytes)) {
            out.push_back(std::move(bytes));
          }
        }
      }
    }
    return out;
  }();
  return messages;
}

std::size_t total_bytes() {
  std::size_t n = 0;
  for (const auto& m : oru_messages()) {
    n += m.size();
  }
  return n;
}

void set_counters(benchmark::State& state) {
  const auto iterations = static_cast<std::int64_t>(state.iterations());
  state.SetBytesProcessed(iterations * static_cast<std::int64_t>(total_bytes()));
  state.SetItemsProcessed(iterations * static_cast<std::int64_t>(oru_messages().size()));
}

// Baseline: look at every byte once and count the segment separators (CR, and LF that some
// senders use): the least any tokenizer must do.
void BM_ScanSegmentSeparators(benchmark::State& state) {
  for (auto _ : state) {
    std::size_t separators = 0;
    for (const std::string& m : oru_messages()) {
      for (const char c : m) {
        if (c == '\r' || c == '\n') {
          ++separators;
        }
      }
    }
    benchmark::DoNotOptimize(separators);
  }
  set_counters(state);
}

// A second, stricter reference: the same count with memchr, which glibc runs with the widest
// vector instructions the processor has. Printed for comparison; the target is against the
// byte scan above.
void BM_MemchrSegmentSeparators(benchmark::State& state) {
  for (auto _ : state) {
    std::size_t separators = 0;
    for (const std::string& m : oru_messages()) {
      for (const char sep : {'\r', '\n'}) {
        const char* p = m.data();
        const char* end = p + m.size();
        while ((p = static_cast<const char*>(std::memchr(p, sep, static_cast<std::size_t>(end - p))))) {
          ++separators;
          ++p;
        }
      }
    }
    benchmark::DoNotOptimize(separators);
  }
  set_counters(state);
}

// Full parse (segments and every field located) and the reads a result mapping always does.
void BM_ParseAndReadResults(benchmark::State& state) {
  for (auto _ : state) {
    std::size_t value_bytes = 0;
    for (const std::string& bytes : oru_messages()) {
      auto m = Message::parse(bytes);
      value_bytes += m->get("PID-5").value().size();
      for (const auto& obx : m->all("OBX")) {
        value_bytes += obx.field(5).value().size();
      }
    }
    benchmark::DoNotOptimize(value_bytes);
  }
  set_counters(state);
}

// The parse alone, for seeing what the reads cost on top of it.
void BM_ParseOnly(benchmark::State& state) {
  for (auto _ : state) {
    std::size_t segments = 0;
    for (const std::string& bytes : oru_messages()) {
      segments += Message::parse(bytes)->segment_count();
    }
    benchmark::DoNotOptimize(segments);
  }
  set_counters(state);
}

BENCHMARK(BM_ScanSegmentSeparators);
BENCHMARK(BM_MemchrSegmentSeparators);
BENCHMARK(BM_ParseAndReadResults);
BENCHMARK(BM_ParseOnly);

// Console output as usual, plus the bytes/s of each run kept for the closing ratio.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      auto it = run.counters.find("bytes_per_second");
      if (it != run.counters.end()) {
        rates_[run.benchmark_name()] = it->second.value;
      }
    }
  }
  double rate(const std::string& name) const {
    auto it = rates_.find(name);
    return it == rates_.end() ? 0.0 : it->second;
  }

 private:
  std::map<std::string, double> rates_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (oru_messages().empty()) {
    std::cout << "hl7_parse_bench: no ORU samples found; nothing measured\n";
    return 0;
  }
  std::cout << "ORU messages: " << oru_messages().size() << ", " << total_bytes() << " bytes\n";
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  const double baseline = reporter.rate("BM_ScanSegmentSeparators");
  const double full = reporter.rate("BM_ParseAndReadResults");
  const double parse = reporter.rate("BM_ParseOnly");
  const double memchr_rate = reporter.rate("BM_MemchrSegmentSeparators");
  if (baseline > 0 && full > 0) {
    std::cout << "full parse + PID-5 + every OBX-5: " << full / 1e6 << " MB/s = "
              << 100.0 * full / baseline << "% of the separator scan (" << baseline / 1e6
              << " MB/s); parse only: " << parse / 1e6 << " MB/s = " << 100.0 * parse / baseline
              << "%; memchr scan: " << memchr_rate / 1e6 << " MB/s (full parse = "
              << 100.0 * full / memchr_rate << "% of it). Target: >= 1000 MB/s and >= 25%.\n";
  }
  benchmark::Shutdown();
  return 0;
}

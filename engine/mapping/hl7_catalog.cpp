#include "engine/mapping/hl7_catalog.hpp"

#include <array>
#include <utility>

#include <algorithm>

namespace hisbridge::mapping {
namespace {

// Field counts of the segments LIS, RIS and ADT messages carry, from the v2.3-v2.8 segment
// definitions, rounded up to the largest version. A mapping that names a field beyond these is
// almost always a typo (PID-300 for PID-3).
constexpr std::array<std::pair<std::string_view, std::size_t>, 58> kSegments{{
    {"ACC", 12}, {"AIG", 14}, {"AIL", 12}, {"AIP", 12}, {"AIS", 12}, {"AL1", 6},  {"BHS", 12},
    {"BLG", 4},  {"BTS", 3},  {"CTD", 7},  {"CTI", 3},  {"DB1", 8},  {"DG1", 26}, {"DSC", 2},
    {"ERR", 12}, {"EVN", 7},  {"FHS", 12}, {"FT1", 56}, {"FTS", 2},  {"GT1", 57}, {"IN1", 55},
    {"IN2", 72}, {"IN3", 28}, {"IPC", 11}, {"MRG", 7},  {"MSA", 8},  {"MSH", 28}, {"NK1", 41},
    {"NTE", 8},  {"OBR", 55}, {"OBX", 33}, {"ORC", 35}, {"PD1", 22}, {"PDA", 9},  {"PID", 40},
    {"PR1", 25}, {"PRT", 24}, {"PV1", 54}, {"PV2", 50}, {"QAK", 10}, {"QPD", 10}, {"QRD", 12},
    {"RCP", 8},  {"ROL", 14}, {"RXA", 27}, {"RXE", 45}, {"RXO", 37}, {"RXR", 6},  {"SAC", 49},
    {"SCH", 27}, {"SFT", 6},  {"SID", 4},  {"SPM", 35}, {"TCD", 10}, {"TQ1", 14}, {"TQ2", 10},
    {"TXA", 28}, {"UAC", 2},
}};

}  // namespace

std::size_t max_fields(std::string_view segment) {
  for (const auto& [id, fields] : kSegments) {
    if (id == segment) {
      return fields;
    }
  }
  return 0;
}

bool is_site_segment(std::string_view segment) {
  return segment.size() == 3 && segment.front() == 'Z';
}

std::string closest_segment(std::string_view segment) {
  // Same letters in another order first (PDI for PID: two keys swapped), then one letter off
  // (OBZ for OBX). PDI is one letter off PD1 too, which is rarely what was meant.
  std::string one_off;
  std::string b(segment);
  std::sort(b.begin(), b.end());
  for (const auto& [id, fields] : kSegments) {
    std::size_t same = 0;
    for (std::size_t i = 0; i < 3 && i < segment.size(); ++i) {
      same += id[i] == segment[i] ? 1U : 0U;
    }
    std::string a(id);
    std::sort(a.begin(), a.end());
    if (a == b && segment.size() == 3) {
      return std::string(id);
    }
    if (same == 2 && one_off.empty()) {
      one_off = std::string(id);
    }
  }
  return one_off;
}

}  // namespace hisbridge::mapping

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/mapping/hl7_datetime.hpp"
#include "engine/mapping/time_zone.hpp"

using namespace hisbridge::mapping;

// HL7 timestamps arrive from every sender: whatever the bytes, reading them must be safe, and a
// value that reads must give ISO text that the ISO readers accept again, to the second.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  static const TimeZone zone = TimeZone::fixed(7 * 3600, "+07:00");
  auto iso = hl7_datetime_to_iso(text, zone);
  auto date = hl7_date_to_iso(text);
  if (iso.has_value() != date.has_value() || (!iso && iso.error() != date.error())) {
    __builtin_trap();
  }
  (void)iso_to_unix_seconds(text);
  (void)iso_to_compact(text, text);
  if (!iso) {
    return 0;
  }
  if (!iso->starts_with(*date) || !iso_to_compact(*iso, "yyyy")) {
    __builtin_trap();
  }
  if (iso->size() > 10) {  // a date-time: it has an offset and converts both ways
    const auto seconds = iso_to_unix_seconds(*iso);
    auto compact = iso_to_compact(*iso, "yyyyMMddHHmmss");
    if (!seconds || !compact || compact->size() != 14) {
      __builtin_trap();
    }
  } else if (iso_to_unix_seconds(*iso)) {
    __builtin_trap();
  }
  return 0;
}

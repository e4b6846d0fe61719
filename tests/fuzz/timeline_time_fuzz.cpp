#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/mapping/hl7_datetime.hpp"
#include "engine/timeline/iso_time.hpp"

// Event times reach the timeline as text a mapping wrote, and a site's mapping may write
// anything: reading them must be safe, and a time the mapping's own ISO reader accepts must
// name the same second on the timeline (a clock that disagreed with `hisbridge map` would put
// intervals on the wrong side of a window).
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto us = hisbridge::timeline::iso_to_unix_us(text);
  const auto seconds = hisbridge::mapping::iso_to_unix_seconds(text);
  if (seconds && text.size() > 10) {
    if (!us) {
      __builtin_trap();
    }
    // Floor division: a time before 1970 has a negative count of microseconds.
    const std::int64_t floor_s = *us >= 0 ? *us / 1'000'000 : -((-*us + 999'999) / 1'000'000);
    if (floor_s != *seconds) {
      __builtin_trap();
    }
  }
  return 0;
}

#include "adapters/hisdb/write_time.hpp"

#include <chrono>
#include <cstdio>

namespace hisbridge::hisdb {

std::string iso8601_utc(std::int64_t unix_us) {
  using namespace std::chrono;
  const sys_time<microseconds> t{microseconds{unix_us}};
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss<seconds> hms{floor<seconds>(t) - day};
  char out[32];
  std::snprintf(out, sizeof out, "%04d-%02u-%02uT%02d:%02d:%02d+00:00", int(ymd.year()),
                unsigned(ymd.month()), unsigned(ymd.day()), int(hms.hours().count()),
                int(hms.minutes().count()), int(hms.seconds().count()));
  return out;
}

}  // namespace hisbridge::hisdb

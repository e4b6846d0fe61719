#include "tests/bench/quick_run.hpp"

#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>

namespace hisbridge::bench {

bool quick_run() {
  const char* quick = std::getenv("HISBRIDGE_BENCH_QUICK");
  if (quick != nullptr && *quick == '1') {
    return true;
  }
  std::ifstream cmdline("/proc/self/cmdline", std::ios::binary);
  constexpr std::string_view kMinTime = "--benchmark_min_time=";
  for (std::string arg; std::getline(cmdline, arg, '\0');) {
    if (arg.starts_with(kMinTime) && std::atof(arg.c_str() + kMinTime.size()) < 1.0) {
      return true;
    }
  }
  return false;
}

}  // namespace hisbridge::bench

#pragma once

namespace hisbridge::bench {

// True for a short smoke run: HISBRIDGE_BENCH_QUICK=1, or --benchmark_min_time=X with X < 1 on
// the command line (scripts/test passes 0.05). Read from /proc, so that a scenario's file
// needs no argv from main().
bool quick_run();

}  // namespace hisbridge::bench

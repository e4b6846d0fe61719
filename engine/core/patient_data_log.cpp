#include "engine/core/patient_data_log.hpp"

#include <atomic>

namespace hisbridge {
namespace {

std::atomic<bool> g_show{false};

}  // namespace

void set_show_patient_data(bool on) { g_show.store(on, std::memory_order_relaxed); }

bool show_patient_data() { return g_show.load(std::memory_order_relaxed); }

std::string patient_text(std::string_view text, std::string_view hidden) {
  return std::string(show_patient_data() ? text : hidden);
}

}  // namespace hisbridge

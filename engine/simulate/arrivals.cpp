#include "engine/simulate/arrivals.hpp"

#include <algorithm>
#include <array>

namespace hisbridge::simulate {
namespace {

constexpr std::array<double, 24> kOutpatient{0, 0, 0, 0, 0, 0, 2,   10,  12,  11,  9, 5,
                                             2, 6, 7, 6, 4, 2, 0.5, 0.3, 0.2, 0.1, 0, 0};
constexpr std::array<double, 24> kEmergency{2, 1.5, 1.2, 1,   1, 1.2, 2, 3, 4,   4, 4, 3.5,
                                            3, 3,   3.5, 3.5, 4, 4.5, 5, 5, 4.5, 4, 3, 2.5};
constexpr std::array<double, 24> kInpatient{
    0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 1, 3, 5, 6, 6, 5, 3, 4, 4, 3, 2, 1, 0.5, 0.5, 0.3, 0.3, 0.3, 0.3};

}  // namespace

std::span<const double> hourly_profile(char visit_class) {
  switch (visit_class) {
    case 'E':
      return kEmergency;
    case 'I':
      return kInpatient;
    default:
      return kOutpatient;
  }
}

std::vector<Arrival> day_arrivals(Random& random, std::span<const Hospital> hospitals,
                                  SimTime midnight, std::size_t per_hospital) {
  const std::span<const Department> all = departments();
  std::vector<double> shares;
  for (const Department& d : all) {
    shares.push_back(d.share);
  }
  std::vector<Arrival> out;
  out.reserve(hospitals.size() * per_hospital);
  for (const Hospital& h : hospitals) {
    for (std::size_t i = 0; i < per_hospital; ++i) {
      const Department& d = all[random.weighted(shares)];
      const auto hour = static_cast<SimTime>(random.weighted(hourly_profile(d.visit_class)));
      out.push_back({midnight + hour * kHour + random.between(0, kHour - 1), &h, &d});
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Arrival& a, const Arrival& b) { return a.at < b.at; });
  return out;
}

}  // namespace hisbridge::simulate

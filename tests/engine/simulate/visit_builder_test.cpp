// The hospital-day model: the delays of every step by priority, the late, skewed and corrected
// orders at their rates, the patients' wait, and the draws' reproducibility.
#include "engine/simulate/visit_builder.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "engine/simulate/arrivals.hpp"
#include "engine/simulate/delays.hpp"

namespace hisbridge::simulate {
namespace {

constexpr SimTime kMidnight = 1772643600;  // 2026-03-05T00:00:00+07:00
// Each step's delay is rounded to the second: a chain of four may be off by two seconds.
constexpr double kRounding = 2.0 / 60.0;

std::vector<Visit> build_day(const SimulationOptions& options, std::size_t patients) {
  static const std::vector<Hospital> hospitals = make_hospitals(2);
  Random random(options.seed);
  Numbering numbering(options.seed, options.offset);
  VisitBuilder builder(random, numbering, options);
  std::vector<Visit> visits;
  for (const Arrival& a : day_arrivals(random, hospitals, kMidnight, patients)) {
    visits.push_back(builder.build(*a.hospital, *a.department, a.at));
  }
  return visits;
}

double minutes(SimTime seconds) { return static_cast<double>(seconds) / 60.0; }

double low_of(std::initializer_list<DelayRange> chain) {
  double sum = 0;
  for (const DelayRange& r : chain) {
    sum += r.low;
  }
  return sum - kRounding;
}

double high_of(std::initializer_list<DelayRange> chain) {
  double sum = 0;
  for (const DelayRange& r : chain) {
    sum += r.high;
  }
  return sum + kRounding;
}

class VisitBuilderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.seed = 7;
    options_.hospitals = 2;
    visits_ = build_day(options_, 1500);
    for (const Visit& v : visits_) {
      for (const LabOrder& o : v.labs) {
        labs_.push_back(&o);
      }
      for (const RadOrder& o : v.rads) {
        rads_.push_back(&o);
      }
    }
  }

  SimulationOptions options_;
  std::vector<Visit> visits_;
  std::vector<const LabOrder*> labs_;
  std::vector<const RadOrder*> rads_;
};

TEST_F(VisitBuilderTest, LabStepsComeInOrderWithinTheirPriorityRanges) {
  std::size_t counted[2] = {0, 0};
  for (const LabOrder* o : labs_) {
    ASSERT_LT(o->ordered, o->collected);
    ASSERT_LT(o->collected, o->received);
    ASSERT_LT(o->received, o->final_at);
    if (o->preliminary != 0) {
      EXPECT_GT(o->preliminary, o->received);
      EXPECT_LT(o->preliminary, o->final_at);
    }
    if (o->corrected != 0) {
      EXPECT_GT(o->corrected, o->final_at);
    }
    if (o->late) {
      continue;
    }
    const LabDelays& d = lab_delays(o->priority);
    const double total = minutes(o->final_at - o->ordered);
    EXPECT_GE(total, low_of({d.order_to_collect, d.collect_to_receive, d.receive_to_final}));
    EXPECT_LE(total, high_of({d.order_to_collect, d.collect_to_receive, d.receive_to_final}));
    ++counted[o->priority == Priority::stat ? 0 : 1];
  }
  EXPECT_GT(counted[0], 100u);
  EXPECT_GT(counted[1], 100u);
}

TEST_F(VisitBuilderTest, TheRangesAreThoseOfAHospitalDay) {
  // STAT order to final about 20-70 minutes, routine about 1-6 hours.
  const LabDelays& stat = lab_delays(Priority::stat);
  const LabDelays& routine = lab_delays(Priority::routine);
  EXPECT_GE(low_of({stat.order_to_collect, stat.collect_to_receive, stat.receive_to_final}), 19);
  EXPECT_LE(high_of({stat.order_to_collect, stat.collect_to_receive, stat.receive_to_final}), 70);
  EXPECT_GE(
      low_of({routine.order_to_collect, routine.collect_to_receive, routine.receive_to_final}), 50);
  EXPECT_LE(
      high_of({routine.order_to_collect, routine.collect_to_receive, routine.receive_to_final}),
      360);
}

TEST_F(VisitBuilderTest, LateOrdersBreachTheirTargetAndOthersMostlyDoNot) {
  std::size_t late = 0;
  std::size_t on_time_breaches = 0;
  for (const LabOrder* o : labs_) {
    const double total = minutes(o->final_at - o->ordered);
    if (o->late) {
      EXPECT_GT(total, lab_target_minutes(o->priority)) << o->order_no;
      ++late;
    } else if (total > lab_target_minutes(o->priority)) {
      ++on_time_breaches;
    }
  }
  for (const RadOrder* o : rads_) {
    const double reading = minutes(o->final_at - o->completed);
    const RadDelays& d = rad_delays(o->priority);
    if (o->late) {
      EXPECT_GT(reading, rad_target_minutes(o->priority)) << o->order_no;
      ++late;
    } else {
      EXPECT_LE(reading, d.complete_to_report.high + kRounding);
      EXPECT_LE(reading, rad_target_minutes(o->priority));
    }
    EXPECT_GE(minutes(o->started - o->ordered), d.order_to_start.low - kRounding);
    EXPECT_LE(minutes(o->started - o->ordered), d.order_to_start.high + kRounding);
    EXPECT_GE(minutes(o->completed - o->started), o->service->exam.low - kRounding);
    EXPECT_LE(minutes(o->completed - o->started), o->service->exam.high + kRounding);
  }
  EXPECT_GT(late, 0u);
  // The tail of the ranges breaches too, but far less often than not.
  EXPECT_LT(on_time_breaches, labs_.size() / 5);
}

TEST_F(VisitBuilderTest, IrregularOrdersComeAtTheConfiguredRates) {
  std::size_t late = 0;
  std::size_t corrected = 0;
  std::size_t skewed = 0;
  for (const LabOrder* o : labs_) {
    late += o->late ? 1 : 0;
    corrected += o->corrected != 0 ? 1 : 0;
    skewed += o->skewed ? 1 : 0;
    if (o->skewed) {
      EXPECT_LT(o->final_stamp, o->received);
      EXPECT_EQ(o->preliminary, 0);
    } else {
      EXPECT_EQ(o->final_stamp, o->final_at);
    }
  }
  for (const RadOrder* o : rads_) {
    late += o->late ? 1 : 0;
    corrected += o->corrected != 0 ? 1 : 0;
  }
  const double orders = static_cast<double>(labs_.size() + rads_.size());
  ASSERT_GT(orders, 2000);
  // A fixed seed makes these exact; the bounds say what "at the rate" means.
  EXPECT_NEAR(static_cast<double>(late) / orders, options_.late_rate, 0.015);
  EXPECT_NEAR(static_cast<double>(corrected) / orders, options_.corrected_rate, 0.01);
  EXPECT_NEAR(static_cast<double>(skewed) / static_cast<double>(labs_.size()),
              options_.skew_rate * (1 - options_.late_rate), 0.007);
  EXPECT_GT(skewed, 0u);
}

TEST_F(VisitBuilderTest, EveryVisitWaitsForAService) {
  std::size_t outpatients = 0;
  std::size_t waited_long = 0;
  for (const Visit& v : visits_) {
    ASSERT_FALSE(v.labs.empty() && v.rads.empty()) << v.visit_no;
    const double wait = minutes(v.first_service() - v.registered);
    const DelayRange& to_order = registration_to_order(v.department->visit_class);
    EXPECT_GE(wait, to_order.low);
    if (v.department->visit_class == 'O') {
      ++outpatients;
      waited_long += wait > kPatientWaitTarget ? 1 : 0;
    }
  }
  // Most outpatients are seen within the target; some are not, which the dashboard shows.
  EXPECT_GT(waited_long, outpatients / 20);
  EXPECT_LT(waited_long, outpatients / 2);
}

TEST_F(VisitBuilderTest, EmergencyOrdersAreMostlyStatAndClinicOrdersRoutine) {
  std::size_t stat[2] = {0, 0};
  std::size_t all[2] = {0, 0};
  for (const Visit& v : visits_) {
    const char kind = v.department->visit_class;
    if (kind == 'I') {
      continue;
    }
    const std::size_t i = kind == 'E' ? 0 : 1;
    for (const LabOrder& o : v.labs) {
      ++all[i];
      stat[i] += o.priority == Priority::stat ? 1 : 0;
    }
  }
  EXPECT_GT(stat[0] * 10, all[0] * 7);
  EXPECT_LT(stat[1] * 10, all[1]);
}

TEST_F(VisitBuilderTest, TheSameSeedBuildsTheSameDay) {
  const std::vector<Visit> again = build_day(options_, 1500);
  ASSERT_EQ(again.size(), visits_.size());
  for (std::size_t i = 0; i < visits_.size(); ++i) {
    EXPECT_EQ(again[i].visit_no, visits_[i].visit_no);
    EXPECT_EQ(again[i].patient.full_name(), visits_[i].patient.full_name());
    EXPECT_EQ(again[i].registered, visits_[i].registered);
    ASSERT_EQ(again[i].labs.size(), visits_[i].labs.size());
    for (std::size_t j = 0; j < visits_[i].labs.size(); ++j) {
      EXPECT_EQ(again[i].labs[j].final_at, visits_[i].labs[j].final_at);
      EXPECT_EQ(again[i].labs[j].results.back().value, visits_[i].labs[j].results.back().value);
    }
  }
  SimulationOptions other = options_;
  other.seed = 8;
  const std::vector<Visit> different = build_day(other, 1500);
  EXPECT_NE(different.front().visit_no, visits_.front().visit_no);  // another run tag
}

TEST_F(VisitBuilderTest, PatientsHaveVietnameseNamesAndNumbers) {
  std::size_t with_diacritics = 0;
  for (const Visit& v : visits_) {
    const std::string name = v.patient.full_name();
    if (name.find_first_of("\xC3\xC4\xC6\xE1") != std::string::npos) {
      ++with_diacritics;
    }
    EXPECT_EQ(v.patient.province, v.hospital->province);
    EXPECT_EQ(v.patient.birth_date.size(), 8u);
    const bool child = v.patient.birth_date > std::string("20101001");  // 15 and 16 years back
    EXPECT_EQ(child, v.department->pediatric) << v.patient.birth_date;
  }
  EXPECT_GT(with_diacritics, visits_.size() / 2);
}

}  // namespace
}  // namespace hisbridge::simulate

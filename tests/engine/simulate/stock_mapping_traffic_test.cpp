// Every message of a simulated day through the stock mappings (mappings/lis-stock.json and
// mappings/ris-stock.json), with the real mapping engine: each well-formed message maps with
// no error and no warning, gives the records and clinical events its step calls for, and its
// Vietnamese text comes out as the model made it.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "engine/mapping/mapping.hpp"
#include "engine/simulate/traffic_generator.hpp"

namespace hisbridge::simulate {
namespace {

namespace fs = std::filesystem;

const fs::path kMappings =
    fs::path(HISBRIDGE_FIXTURES_DIR).parent_path().parent_path() / "mappings";

std::shared_ptr<const mapping::Mapping> load(const char* name) {
  auto loaded = mapping::Mapping::load(kMappings / name);
  if (!loaded) {
    ADD_FAILURE() << name << ": " << loaded.error().front().to_string();
    return nullptr;
  }
  return *loaded;
}

SimulationOptions two_hospitals() {
  SimulationOptions o;
  o.seed = 20260305;
  o.hospitals = 2;  // both laboratory and both radiology styles
  o.patients_per_day = 120;
  o.start = *parse_iso_time("2026-03-05T00:00:00+07:00", UtcOffset{});
  o.duration = 2 * kDay;
  o.corrected_rate = 0.05;
  o.malformed_rate = 0.01;
  return o;
}

std::set<std::string> kinds_of(const mapping::MappingOutput& out) {
  std::set<std::string> kinds;
  for (const auto& e : out.events) {
    kinds.emplace(e.kind);
  }
  return kinds;
}

// The clinical events a step's message must give (the stock mappings' event rules).
std::set<std::string> expected_kinds(Step step) {
  switch (step) {
    case Step::registration:
      return {"registered"};
    case Step::lab_order:
      return {"registered", "ordered"};
    case Step::lab_collected:
      return {"registered", "ordered", "collected"};
    case Step::lab_received:
      return {"registered", "ordered", "collected", "received"};
    case Step::lab_preliminary:
      return {"registered", "ordered", "collected", "received", "preliminary"};
    case Step::lab_final:
      return {"registered", "ordered", "collected", "received", "final"};
    case Step::lab_corrected:
      return {"registered", "ordered", "collected", "received", "corrected"};
    case Step::rad_order:
      return {"registered", "ordered"};
    case Step::rad_started:
      return {"registered", "ordered", "started"};
    case Step::rad_completed:
      return {"registered", "ordered", "completed"};
    case Step::rad_preliminary:
      return {"registered", "ordered", "started", "completed", "preliminary"};
    case Step::rad_final:
      return {"registered", "ordered", "started", "completed", "final"};
    case Step::rad_corrected:
      return {"registered", "ordered", "started", "completed", "corrected"};
  }
  return {};
}

const mapping::Record* find_record(const mapping::MappingOutput& out, const std::string& table) {
  for (const auto& r : out.records) {
    if (r.table() == table) {
      return &r;
    }
  }
  return nullptr;
}

class StockMappingTraffic : public ::testing::Test {
 protected:
  void SetUp() override {
    lis_ = load("lis-stock.json");
    ris_ = load("ris-stock.json");
    ASSERT_TRUE(lis_ && ris_);
    TrafficGenerator traffic(two_hospitals());
    traffic.on_visit([this](const Visit& v) { visits_[v.visit_no] = v; });
    while (auto m = traffic.next()) {
      messages_.push_back(std::move(*m));
    }
    ASSERT_GT(messages_.size(), 1000u);
  }

  const mapping::Mapping& mapping_for(const Outgoing& m) const {
    return m.destination == Destination::lis ? *lis_ : *ris_;
  }

  std::shared_ptr<const mapping::Mapping> lis_;
  std::shared_ptr<const mapping::Mapping> ris_;
  std::vector<Outgoing> messages_;
  std::map<std::string, Visit> visits_;
};

TEST_F(StockMappingTraffic, EveryWellFormedMessageMapsWithItsStepsEvents) {
  std::set<std::string> types;
  for (const Outgoing& m : messages_) {
    if (m.malformed) {
      continue;
    }
    types.insert(m.message_type);
    auto mapped = mapping_for(m).apply(m.bytes);
    ASSERT_TRUE(mapped) << m.control_id << " (" << step_name(m.step)
                        << "): " << mapped.error().reason;
    EXPECT_TRUE(mapped->warnings.empty()) << m.control_id << ": " << mapped->warnings.front();
    EXPECT_EQ(kinds_of(*mapped), expected_kinds(m.step))
        << m.control_id << " (" << step_name(m.step) << ")";
    for (const auto& e : mapped->events) {
      EXPECT_EQ(e.visit_id, m.visit_no) << m.control_id;
      if (e.kind != "registered") {
        EXPECT_EQ(e.order_no, m.order_no) << m.control_id;
        EXPECT_EQ(e.discipline, m.destination == Destination::lis ? "LAB" : "RAD");
      }
    }
  }
  // Both hospitals' styles, so every form the stock mappings read for status updates.
  EXPECT_EQ(types, (std::set<std::string>{"ADT^A01", "ADT^A04", "ORM^O01", "OML^O21", "OMI^O23",
                                          "ORU^R01"}));
}

TEST_F(StockMappingTraffic, RecordsCarryTheModelsTimesPriorityAndVietnameseText) {
  std::size_t checked_orders = 0;
  for (const Outgoing& m : messages_) {
    if (m.malformed) {
      continue;
    }
    auto mapped = mapping_for(m).apply(m.bytes);
    ASSERT_TRUE(mapped);
    const Visit& v = visits_.at(m.visit_no);
    const mapping::Record* patient = find_record(*mapped, "his_patient");
    ASSERT_NE(patient, nullptr);
    EXPECT_EQ(patient->get("full_name").text, v.patient.full_name());
    EXPECT_EQ(patient->get("patient_id").text, v.patient.id);
    const mapping::Record* visit = find_record(*mapped, "his_visit");
    ASSERT_NE(visit, nullptr);
    EXPECT_EQ(visit->get("registered_at").text, iso_time(v.registered, UtcOffset{}));
    EXPECT_EQ(visit->get("department").text, v.department->code);
    if (m.step == Step::lab_final) {
      const auto& order = *std::find_if(v.labs.begin(), v.labs.end(), [&](const LabOrder& o) {
        return o.order_no == m.order_no;
      });
      const mapping::Record* row = find_record(*mapped, "his_order");
      ASSERT_NE(row, nullptr);
      EXPECT_EQ(row->get("ordered_at").text, iso_time(order.ordered, UtcOffset{}));
      EXPECT_EQ(row->get("received_at").text, iso_time(order.received, UtcOffset{}));
      EXPECT_EQ(row->get("reported_at").text, iso_time(order.final_stamp, UtcOffset{}));
      EXPECT_EQ(row->get("priority").text, std::string(1, priority_code(order.priority)));
      EXPECT_EQ(row->get("service_name").text, order.panel->name);
      ++checked_orders;
    }
  }
  EXPECT_GT(checked_orders, 100u);
}

TEST_F(StockMappingTraffic, RadiologyReportsSplitFindingsAndConclusion) {
  std::size_t reports = 0;
  for (const Outgoing& m : messages_) {
    if (m.malformed || m.step != Step::rad_final) {
      continue;
    }
    auto mapped = ris_->apply(m.bytes);
    ASSERT_TRUE(mapped);
    const mapping::Record* report = find_record(*mapped, "his_report");
    ASSERT_NE(report, nullptr);
    const Visit& v = visits_.at(m.visit_no);
    const RadOrder& o = v.rads.front();
    const ReportText& text = o.abnormal ? o.service->abnormal : o.service->normal;
    EXPECT_EQ(report->get("conclusion").text, text.conclusion);
    EXPECT_EQ(report->get("findings").text.substr(0, text.findings[0].size()), text.findings[0]);
    EXPECT_EQ(report->get("modality").text, o.service->modality);
    EXPECT_EQ(report->get("accession_no").text, o.accession_no);
    EXPECT_EQ(report->get("reported_by").text, o.radiologist.full_name());
    EXPECT_EQ(report->get("status").text, "F");
    ++reports;
  }
  EXPECT_GT(reports, 20u);
}

TEST_F(StockMappingTraffic, ClockSkewGivesAFinalBeforeItsReceipt) {
  // The turnaround engine counts such an interval as invalid (stock-mapping.md).
  std::size_t skewed = 0;
  for (const auto& [number, v] : visits_) {
    for (const LabOrder& o : v.labs) {
      if (o.skewed) {
        EXPECT_LT(o.final_stamp, o.received) << o.order_no;
        EXPECT_GT(o.final_at, o.received) << o.order_no;
        ++skewed;
      }
    }
  }
  EXPECT_GT(skewed, 0u);
}

}  // namespace
}  // namespace hisbridge::simulate

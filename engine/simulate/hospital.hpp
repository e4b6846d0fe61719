#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace hisbridge::simulate {

// Where a visit is registered. The code goes in PV1-3 (PL-1), which the stock mappings write
// as `department`; the Vietnamese name goes in PL-9 (location description) and ORC-17 CE-2.
struct Department {
  std::string_view code;
  std::string_view name;
  char visit_class = 'O';  // PV1-2: O outpatient, E emergency, I inpatient
  double share = 0;        // of a hospital's registrations
  double stat_share = 0;   // of its orders that are STAT
  double lab_share = 0;    // of its visits with laboratory orders
  double rad_share = 0;    // of its visits with radiology orders
  bool pediatric = false;  // patients under 16
};

// How a hospital's LIS and RIS tell order status. Sites differ, and the stock mappings read
// both forms (stock-mapping.md, "Which messages").
enum class LabStyle { orm_o01, oml_o21 };  // ORM: OBR-7/OBR-14; OML: TQ1 and SPM-17/SPM-18
enum class RadStyle { orm_o01, omi_o23 };  // OMI: TQ1 and IPC

// A commune (xã, phường, thị trấn) and the district it is in.
struct Commune {
  std::string_view name;
  std::string_view district;
};

// One simulated hospital: the facility named in MSH-4/MSH-6 and PID-3 CX-4.
struct Hospital {
  std::size_t index = 0;
  std::string code;        // BVDK_SONLA
  std::string name;        // Bệnh viện Đa khoa tỉnh Sơn La
  std::string short_code;  // SL: application names (LIS_SL) and patient numbers
  std::string province;
  std::vector<Commune> communes;  // where its patients live
  LabStyle lab_style = LabStyle::orm_o01;
  RadStyle rad_style = RadStyle::orm_o01;

  std::string his_app() const { return "HIS_" + short_code; }
  std::string lis_app() const { return "LIS_" + short_code; }
  std::string ris_app() const { return "RIS_" + short_code; }
};

// `count` hospitals: provincial hospitals of Vietnam first, then numbered ones that reuse
// their provinces. Styles alternate so that a run of two or more exercises every form.
std::vector<Hospital> make_hospitals(std::size_t count);

// The departments every simulated hospital has.
std::span<const Department> departments();

}  // namespace hisbridge::simulate

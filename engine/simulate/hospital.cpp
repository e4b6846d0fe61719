#include "engine/simulate/hospital.hpp"

#include <array>

namespace hisbridge::simulate {
namespace {

// Six communes, each of the district at the same index in `in_district`.
struct HospitalSeed {
  std::string_view code;
  std::string_view name;
  std::string_view short_code;
  std::string_view province;
  std::array<std::string_view, 4> districts;
  std::array<std::string_view, 6> communes;
  std::array<std::size_t, 6> in_district;
};

constexpr std::array<HospitalSeed, 5> kHospitals{{
    {"BVDK_SONLA",
     "Bệnh viện Đa khoa tỉnh Sơn La",
     "SL",
     "Sơn La",
     {"Thành phố Sơn La", "Huyện Mộc Châu", "Huyện Thuận Châu", "Huyện Mai Sơn"},
     {"Phường Chiềng Lề", "Phường Quyết Thắng", "Xã Chiềng Ngần", "Xã Chiềng Sơn", "Xã Chiềng Hắc",
      "Xã Chiềng Pấc"},
     {0, 0, 0, 1, 1, 2}},
    {"BVDK_HOABINH",
     "Bệnh viện Đa khoa tỉnh Hòa Bình",
     "HB",
     "Hòa Bình",
     {"Thành phố Hòa Bình", "Huyện Lương Sơn", "Huyện Mai Châu", "Huyện Tân Lạc"},
     {"Phường Phương Lâm", "Phường Đồng Tiến", "Xã Hòa Sơn", "Xã Chiềng Châu", "Thị trấn Mãn Đức",
      "Xã Thống Nhất"},
     {0, 0, 1, 2, 3, 0}},
    {"BVHNDK_NGHEAN",
     "Bệnh viện Hữu nghị Đa khoa Nghệ An",
     "NA",
     "Nghệ An",
     {"Thành phố Vinh", "Huyện Diễn Châu", "Thị xã Cửa Lò", "Huyện Nghi Lộc"},
     {"Phường Hưng Bình", "Phường Lê Lợi", "Xã Diễn Kỷ", "Phường Nghi Thủy", "Xã Nghi Phong",
      "Xã Hưng Lộc"},
     {0, 0, 1, 2, 3, 0}},
    {"BVDKTW_QUANGNAM",
     "Bệnh viện Đa khoa Trung ương Quảng Nam",
     "QN",
     "Quảng Nam",
     {"Thành phố Tam Kỳ", "Thành phố Hội An", "Huyện Núi Thành", "Huyện Thăng Bình"},
     {"Phường An Mỹ", "Phường Minh An", "Xã Tam Hiệp", "Xã Bình Dương", "Thị trấn Núi Thành",
      "Xã Tam Xuân I"},
     {0, 1, 2, 3, 2, 2}},
    {"BVDKTW_CANTHO",
     "Bệnh viện Đa khoa Trung ương Cần Thơ",
     "CT",
     "Cần Thơ",
     {"Quận Ninh Kiều", "Quận Cái Răng", "Quận Bình Thủy", "Huyện Phong Điền"},
     {"Phường An Khánh", "Phường Hưng Phú", "Phường Bùi Hữu Nghĩa", "Xã Nhơn Ái",
      "Phường Xuân Khánh", "Phường Thới Bình"},
     {0, 1, 2, 3, 0, 0}},
}};

// Shares of registrations, STAT orders, and visits with lab or radiology orders: an
// outpatient clinic takes most patients with routine work; the emergency department orders
// STAT; inpatient wards order mostly routine, intensive care mostly STAT.
constexpr std::array<Department, 8> kDepartments{{
    {"KKB", "Khoa Khám bệnh", 'O', 0.52, 0.04, 0.75, 0.30, false},
    {"CC", "Khoa Cấp cứu", 'E', 0.16, 0.85, 0.90, 0.55, false},
    {"KNOI", "Khoa Nội", 'I', 0.09, 0.20, 0.95, 0.35, false},
    {"KNGOAI", "Khoa Ngoại", 'I', 0.06, 0.30, 0.90, 0.45, false},
    {"KNHI", "Khoa Nhi", 'I', 0.07, 0.25, 0.90, 0.25, true},
    {"KSAN", "Khoa Phụ sản", 'I', 0.05, 0.20, 0.90, 0.60, false},
    {"CTCH", "Khoa Chấn thương chỉnh hình", 'I', 0.03, 0.35, 0.70, 0.90, false},
    {"KHSTC", "Khoa Hồi sức tích cực", 'I', 0.02, 0.90, 1.00, 0.50, false},
}};

}  // namespace

std::vector<Hospital> make_hospitals(std::size_t count) {
  std::vector<Hospital> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const HospitalSeed& seed = kHospitals[i % kHospitals.size()];
    Hospital h;
    h.index = i;
    h.code = std::string(seed.code);
    h.name = std::string(seed.name);
    h.short_code = std::string(seed.short_code);
    if (i >= kHospitals.size()) {
      const std::string number = std::to_string(i + 1);
      h.code += "_" + number;
      h.name += " cơ sở " + number;
      h.short_code += number;
    }
    h.province = std::string(seed.province);
    for (std::size_t c = 0; c < seed.communes.size(); ++c) {
      h.communes.push_back({seed.communes[c], seed.districts[seed.in_district[c]]});
    }
    h.lab_style = i % 2 == 0 ? LabStyle::orm_o01 : LabStyle::oml_o21;
    h.rad_style = i % 2 == 0 ? RadStyle::omi_o23 : RadStyle::orm_o01;
    out.push_back(std::move(h));
  }
  return out;
}

std::span<const Department> departments() { return kDepartments; }

}  // namespace hisbridge::simulate

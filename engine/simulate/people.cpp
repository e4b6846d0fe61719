#include "engine/simulate/people.hpp"

#include <array>
#include <cstdio>
#include <string_view>

namespace hisbridge::simulate {
namespace {

using Names = std::span<const std::string_view>;

// Family names by their rough frequency: the common Kinh names repeat; Thái, Mông and Mường
// names of the northern provinces come after.
constexpr std::array<std::string_view, 28> kFamilies{
    "Nguyễn", "Nguyễn", "Nguyễn", "Trần", "Trần", "Lê",    "Lê",   "Phạm", "Hoàng", "Huỳnh",
    "Phan",   "Vũ",     "Võ",     "Đặng", "Bùi",  "Đỗ",    "Hồ",   "Ngô",  "Dương", "Lý",
    "Lò",     "Cầm",    "Lường",  "Điêu", "Sùng", "Giàng", "Vàng", "Quàng"};
constexpr std::array<std::string_view, 7> kMaleMiddles{"Văn",   "Văn", "Đức",  "Minh",
                                                       "Quang", "Hữu", "Thành"};
constexpr std::array<std::string_view, 7> kFemaleMiddles{"Thị",  "Thị",   "Thị", "Thu",
                                                         "Ngọc", "Thanh", "Mỹ"};
constexpr std::array<std::string_view, 16> kMaleGivens{
    "Hùng",  "Dũng",  "Tuấn", "Phúc", "Long", "Khánh", "Bảo",   "Quý",
    "Thắng", "Cường", "Pấng", "Tủa",  "Đạt",  "Việt",  "Nghĩa", "Hưng"};
constexpr std::array<std::string_view, 16> kFemaleGivens{
    "Hoa",    "Lan",   "Hương", "Thảo", "Ngân", "Yến",  "Trang", "Linh",
    "Phương", "Nhung", "Dợ",    "Ơn",   "Xuân", "Hằng", "Diệp",  "Mai"};
constexpr std::array<std::string_view, 8> kStreets{"Tổ 5",
                                                   "Tổ 12",
                                                   "Bản Hẹo",
                                                   "Bản Nà Cài",
                                                   "Xóm Mới",
                                                   "Số 14 đường Trần Phú",
                                                   "Số 3 ngõ 7 Lê Lợi",
                                                   "Thôn Đông"};

struct Ethnic {
  std::string_view code;
  std::string_view name;
  double weight;
};
constexpr std::array<Ethnic, 5> kEthnic{{{"01", "Kinh", 0.80},
                                         {"03", "Thái", 0.08},
                                         {"05", "Mông", 0.05},
                                         {"06", "Mường", 0.05},
                                         {"02", "Tày", 0.02}}};

struct StaffSeed {
  std::string_view id;
  std::string_view family;
  std::string_view middle;
  std::string_view given;
  std::string_view title;
};
constexpr std::array<StaffSeed, 6> kDoctors{{
    {"BS0456", "Cầm", "Văn", "Thanh", "BS."},
    {"BS0210", "Điêu", "Chính", "Tươi", "BS."},
    {"BS0318", "Nguyễn", "Thị", "Hồng", "BS.CKI"},
    {"BS0527", "Trần", "Quốc", "Việt", "ThS.BS."},
    {"BS0602", "Lê", "Thị", "Ánh", "BS."},
    {"BS0733", "Phạm", "Đức", "Anh", "BS.CKII"},
}};
constexpr std::array<StaffSeed, 4> kRadiologists{{
    {"BS0777", "Hà", "Văn", "Minh", "BS.CKII"},
    {"BS0815", "Trần", "Thị", "Thu", "BSNT"},
    {"BS0841", "Vương", "Hải", "Đăng", "ThS.BS."},
    {"BS0902", "Lường", "Thị", "Hiên", "BS.CKI"},
}};

std::string pick_name(Random& random, Names names) { return std::string(random.pick(names)); }

// A 15-character health insurance card number: two letters for the kind of insured (DN
// employee, HN poor household, TE child under six...), a benefit digit, the province and a
// serial.
std::string insurance_number(Random& random, bool pediatric) {
  constexpr std::array<std::string_view, 6> kKinds{"DN", "HN", "GD", "HT", "CN", "NO"};
  const std::string_view kind = pediatric ? std::string_view{"TE"} : random.pick(Names{kKinds});
  char text[24];
  std::snprintf(text, sizeof text, "%.2s%lld%02lld%010lld", kind.data(),
                static_cast<long long>(random.between(1, 5)),
                static_cast<long long>(random.between(1, 96)),
                static_cast<long long>(random.between(0, 9'999'999'999)));
  return text;
}

std::string birth_date(Random& random, bool pediatric, SimTime today) {
  const std::int64_t age_days =
      pediatric ? random.between(20, 15 * 365) : random.between(16 * 365, 88 * 365);
  return hl7_time(today - age_days * kDay, UtcOffset{0}).substr(0, 8);
}

Clinician clinician(const StaffSeed& seed) {
  return {std::string(seed.id), std::string(seed.family), std::string(seed.middle),
          std::string(seed.given), std::string(seed.title)};
}

}  // namespace

Patient make_patient(Random& random, const Hospital& hospital, bool pediatric, SimTime today,
                     std::string id) {
  Patient p;
  p.id = std::move(id);
  p.sex = random.chance(0.52) ? 'F' : 'M';
  const bool female = p.sex == 'F';
  p.family = pick_name(random, kFamilies);
  p.middle = pick_name(random, female ? Names{kFemaleMiddles} : Names{kMaleMiddles});
  p.given = pick_name(random, female ? Names{kFemaleGivens} : Names{kMaleGivens});
  p.birth_date = birth_date(random, pediatric, today);
  if (random.chance(0.88)) {
    p.insurance_no = insurance_number(random, pediatric);
  }
  p.street = pick_name(random, kStreets);
  const Commune& commune = random.pick(std::span<const Commune>{hospital.communes});
  p.commune = std::string(commune.name);
  p.district = std::string(commune.district);
  p.province = hospital.province;
  std::array<double, kEthnic.size()> weights{};
  for (std::size_t i = 0; i < kEthnic.size(); ++i) {
    weights[i] = kEthnic[i].weight;
  }
  const Ethnic& ethnic = kEthnic[random.weighted(weights)];
  p.ethnic_code = std::string(ethnic.code);
  p.ethnic_name = std::string(ethnic.name);
  return p;
}

Clinician pick_doctor(Random& random) {
  return clinician(random.pick(std::span<const StaffSeed>{kDoctors}));
}

Clinician pick_radiologist(Random& random) {
  return clinician(random.pick(std::span<const StaffSeed>{kRadiologists}));
}

}  // namespace hisbridge::simulate

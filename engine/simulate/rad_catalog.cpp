#include "engine/simulate/rad_catalog.hpp"

#include <array>

namespace hisbridge::simulate {
namespace {

constexpr std::array<std::string_view, 3> kChestNormal{
    "Hai phế trường sáng đều, không thấy tổn thương khu trú.",
    "Bóng tim không to, chỉ số tim - lồng ngực 0,45.", "Góc sườn hoành hai bên nhọn."};
constexpr std::array<std::string_view, 3> kChestAbnormal{
    "Đám mờ không đồng nhất vùng đáy phổi phải, xóa bờ hoành phải.", "Bóng tim không to.",
    "Góc sườn hoành trái nhọn."};
constexpr std::array<std::string_view, 3> kAbdomenNormal{
    "Gan không to, nhu mô đều, không thấy khối khu trú.", "Túi mật thành mỏng, không sỏi.",
    "Hai thận kích thước bình thường, không ứ nước, không sỏi."};
constexpr std::array<std::string_view, 3> kAbdomenAbnormal{
    "Gan không to, nhu mô đều.",
    "Túi mật căng, thành dày 5 mm, trong lòng có sỏi kích thước 14 mm.", "Hai thận không ứ nước."};
constexpr std::array<std::string_view, 3> kHeadNormal{
    "Kỹ thuật: chụp CLVT sọ não không tiêm thuốc cản quang, lát cắt 5 mm.",
    "Không thấy ổ xuất huyết trong nhu mô não.",
    "Hệ thống não thất không giãn, đường giữa không di lệch."};
constexpr std::array<std::string_view, 3> kHeadAbnormal{
    "Kỹ thuật: chụp CLVT sọ não không tiêm thuốc cản quang, lát cắt 5 mm.",
    "Ổ tăng tỷ trọng vùng thái dương phải kích thước 18 x 12 mm, phù nề xung quanh.",
    "Đường giữa di lệch sang trái 3 mm."};
constexpr std::array<std::string_view, 2> kAbdomenCtNormal{
    "Gan, lách, tụy, hai thận không thấy bất thường.",
    "Không thấy dịch tự do ổ bụng, không thấy hơi tự do."};
constexpr std::array<std::string_view, 2> kAbdomenCtAbnormal{
    "Ruột thừa đường kính 11 mm, thành dày ngấm thuốc, thâm nhiễm mỡ xung quanh.",
    "Ít dịch hố chậu phải."};
constexpr std::array<std::string_view, 3> kSpineNormal{
    "Đường cong sinh lý cột sống thắt lưng bình thường.",
    "Các đĩa đệm không thoát vị, ống sống không hẹp.", "Tủy và các rễ thần kinh không bị chèn ép."};
constexpr std::array<std::string_view, 3> kSpineAbnormal{
    "Đĩa đệm L4-L5 thoát vị ra sau, lệch phải, chèn ép rễ L5 phải.",
    "Đĩa đệm L5-S1 phồng nhẹ, chưa chèn ép rễ.",
    "Thoái hóa các thân đốt sống thắt lưng, gai xương bờ trước L3, L4."};

constexpr std::array<RadService, 5> kServices{{
    {"XQ-NGUC",
     "Chụp X-quang ngực thẳng",
     "CR",
     {3, 5, 10},
     {kChestNormal, "Hình ảnh X-quang ngực trong giới hạn bình thường."},
     {kChestAbnormal, "Theo dõi viêm phổi thùy dưới phổi phải."},
     5,
     3,
     0},
    {"SA-OB",
     "Siêu âm ổ bụng tổng quát",
     "US",
     {8, 12, 25},
     {kAbdomenNormal, "Hiện tại chưa phát hiện bất thường trên siêu âm ổ bụng."},
     {kAbdomenAbnormal, "Sỏi túi mật, theo dõi viêm túi mật cấp."},
     4,
     2,
     0},
    {"CT-SN",
     "Chụp CLVT sọ não không tiêm thuốc cản quang",
     "CT",
     {6, 10, 20},
     {kHeadNormal, "Hình ảnh CLVT sọ não hiện tại trong giới hạn bình thường."},
     {kHeadAbnormal, "Xuất huyết nhu mô não vùng thái dương phải."},
     1,
     3,
     0.3},
    {"CT-OB",
     "Chụp CLVT ổ bụng có tiêm thuốc cản quang",
     "CT",
     {10, 15, 30},
     {kAbdomenCtNormal, "Chưa phát hiện bất thường trên CLVT ổ bụng."},
     {kAbdomenCtAbnormal, "Hình ảnh viêm ruột thừa cấp."},
     0.8,
     1.5,
     0.3},
    {"MR-CSTL",
     "Chụp cộng hưởng từ cột sống thắt lưng",
     "MR",
     {20, 30, 50},
     {kSpineNormal, "Hình ảnh cộng hưởng từ cột sống thắt lưng bình thường."},
     {kSpineAbnormal, "Thoát vị đĩa đệm L4-L5 chèn ép rễ L5 phải."},
     0.6,
     0.1,
     0.5},
}};

}  // namespace

std::span<const RadService> rad_services() { return kServices; }

const RadService& pick_service(Random& random, bool stat) {
  std::array<double, kServices.size()> weights{};
  for (std::size_t i = 0; i < kServices.size(); ++i) {
    weights[i] = stat ? kServices[i].stat_weight : kServices[i].weight;
  }
  return kServices[random.weighted(weights)];
}

}  // namespace hisbridge::simulate

#include "adapters/admin/dashboard_assets.hpp"

namespace hisbridge::admin {

// A handful of files: a linear search is all the lookup needs.
const DashboardAsset* find_dashboard_asset(std::string_view name) {
  for (const DashboardAsset& asset : dashboard_assets()) {
    if (asset.name == name) {
      return &asset;
    }
  }
  return nullptr;
}

}  // namespace hisbridge::admin

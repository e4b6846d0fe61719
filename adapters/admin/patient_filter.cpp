#include "adapters/admin/patient_filter.hpp"

#include <array>
#include <string_view>

namespace hisbridge::admin {
namespace {

constexpr std::array<std::string_view, 3> kIdentifiers = {"patient_id", "patient_name",
                                                          "patient"};
constexpr std::array<std::string_view, 3> kContent = {"raw", "raw_base64", "mapped"};

template <std::size_t N>
bool one_of(std::string_view key, const std::array<std::string_view, N>& keys) {
  for (const std::string_view k : keys) {
    if (key == k) {
      return true;
    }
  }
  return false;
}

bool is_json(const http::HttpResponse& r) {
  for (const http::HttpHeader& h : r.headers) {
    if (h.name == "Content-Type") {
      return std::string_view(h.value).starts_with("application/json");
    }
  }
  return false;
}

}  // namespace

void mask_patient_data(nlohmann::ordered_json& j) {
  if (j.is_array()) {
    for (auto& item : j) {
      mask_patient_data(item);
    }
    return;
  }
  if (!j.is_object()) {
    return;
  }
  bool removed = false;
  for (const std::string_view key : kContent) {
    removed = j.erase(std::string(key)) > 0 || removed;
  }
  if (removed) {
    j["patient_data"] = "masked";
  }
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (one_of(it.key(), kIdentifiers)) {
      // An empty or null id stays as it is: there is nothing to hide, and "***" would claim
      // there was.
      const bool empty = it.value().is_null() || it.value() == "";
      if (!empty) {
        it.value() = kMasked;
      }
    } else {
      mask_patient_data(it.value());
    }
  }
}

http::HttpResponse for_viewer(http::HttpResponse response) {
  if (!is_json(response)) {
    return response;
  }
  auto body = nlohmann::ordered_json::parse(response.body, nullptr, false);
  if (body.is_discarded()) {
    return response;
  }
  mask_patient_data(body);
  response.body = body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  response.body += '\n';
  return response;
}

}  // namespace hisbridge::admin

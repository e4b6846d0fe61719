#pragma once

#include <nlohmann/json.hpp>

#include "adapters/http/http_server.hpp"

namespace hisbridge::admin {

// What a viewer may not see, whatever endpoint carries it: patient ids and names are written
// as "***", and a message's raw text and mapped records (which hold names, ids and results)
// are left out, with "patient_data": "masked" in their place. One filter over every JSON
// answer, so an endpoint added later cannot forget it.
inline constexpr const char* kMasked = "***";

void mask_patient_data(nlohmann::ordered_json& j);

// The response with its JSON body passed through mask_patient_data(); other bodies unchanged.
http::HttpResponse for_viewer(http::HttpResponse response);

}  // namespace hisbridge::admin

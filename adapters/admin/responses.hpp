#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "adapters/http/http_server.hpp"

namespace hisbridge::admin {

// Every admin answer carries `Cache-Control: no-store`: the figures are live, and a message's
// raw text is patient data that no proxy or browser cache should keep.

// `application/json`, the body written compactly with a final line feed; text that is not
// UTF-8 is written with U+FFFD in its place.
http::HttpResponse json_response(unsigned status, const nlohmann::ordered_json& body);
// `{"error": message}` with `status`.
http::HttpResponse error_response(unsigned status, const std::string& message);
http::HttpResponse text_response(unsigned status, std::string content_type, std::string body);

}  // namespace hisbridge::admin

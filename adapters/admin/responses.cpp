#include "adapters/admin/responses.hpp"

namespace hisbridge::admin {

http::HttpResponse text_response(unsigned status, std::string content_type, std::string body) {
  http::HttpResponse r;
  r.status = status;
  r.headers.push_back({"Content-Type", std::move(content_type)});
  r.headers.push_back({"Cache-Control", "no-store"});
  r.body = std::move(body);
  return r;
}

http::HttpResponse json_response(unsigned status, const nlohmann::ordered_json& body) {
  std::string text = body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  text += '\n';
  return text_response(status, "application/json", std::move(text));
}

http::HttpResponse error_response(unsigned status, const std::string& message) {
  nlohmann::ordered_json body;
  body["error"] = message;
  return json_response(status, body);
}

}  // namespace hisbridge::admin

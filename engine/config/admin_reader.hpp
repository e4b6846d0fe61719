#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "engine/config/config.hpp"
#include "engine/config/json_reader.hpp"

namespace hisbridge::config {

// Reads the `admin` section (docs/configuration.md) into `out`, reporting every problem to
// `sink` at its place. An admin server that other machines can reach must have tokens: a host
// other than a loopback address without any is an error.
void read_admin(const nlohmann::json& j, ErrorSink& sink, AdminConfig& out);

// 1 to 64 letters, digits, '-', '_', '.' or '@': a token's name, which the audit log shows.
bool is_valid_token_name(std::string_view name);

// "127.0.0.1" (any 127.x), "::1", "localhost": addresses only this machine reaches.
bool is_loopback_host(std::string_view host);

}  // namespace hisbridge::config

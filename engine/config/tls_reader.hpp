#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "engine/config/config.hpp"
#include "engine/config/json_reader.hpp"

namespace hisbridge::config {

// Which side of a connection a `tls` object configures: what it must hold differs.
enum class TlsSide { server, client };

// Reads a `tls` object (docs/configuration.md) at `pointer` into `out` and marks it enabled.
// A server needs a certificate and its key; require_client_certificate needs a ca; a client
// takes a certificate only with its key. Named files must exist: their contents are checked
// when the engine starts, where OpenSSL can say what is wrong with them.
void read_tls(const nlohmann::json& j, const std::string& pointer, TlsSide side, ErrorSink& sink,
              TlsConfig& out);

// Empty when `range` is an IPv4 or IPv6 address, or one with a prefix length ("10.1.2.0/24",
// "fd00::/8"); otherwise why it is not.
std::string address_range_problem(std::string_view range);

}  // namespace hisbridge::config

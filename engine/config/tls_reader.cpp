#include "engine/config/tls_reader.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <filesystem>

namespace hisbridge::config {
namespace {

void check_readable(ObjectReader& r, ErrorSink& sink, std::string_view key,
                    const std::string& file) {
  if (!file.empty() && !std::filesystem::is_regular_file(file)) {
    sink.at_value(r.pointer(key), "TLS file '" + file + "' does not exist");
  }
}

}  // namespace

void read_tls(const nlohmann::json& j, const std::string& pointer, TlsSide side, ErrorSink& sink,
              TlsConfig& out) {
  const bool server = side == TlsSide::server;
  ObjectReader r(j, pointer, sink,
                 server ? std::initializer_list<std::string_view>{"certificate", "private_key", "ca",
                                                                  "require_client_certificate",
                                                                  "handshake_timeout"}
                        : std::initializer_list<std::string_view>{"certificate", "private_key", "ca",
                                                                  "server_name"});
  if (!r.valid()) {
    return;
  }
  out.enabled = true;
  r.text("certificate", out.certificate, server);
  r.text("private_key", out.private_key, server || !out.certificate.empty());
  r.text("ca", out.ca);
  if (server) {
    r.flag("require_client_certificate", out.require_client_certificate);
    // Below a second a sender on a slow provincial link fails for nothing; past five minutes a
    // peer that never speaks holds a connection slot for that long.
    r.duration("handshake_timeout", out.handshake_timeout);
    if (out.handshake_timeout < std::chrono::seconds(1) ||
        out.handshake_timeout > std::chrono::minutes(5)) {
      sink.at_value(r.pointer("handshake_timeout"),
                    "'handshake_timeout' must be from 1s to 5m");
    }
    if (out.require_client_certificate && out.ca.empty()) {
      sink.at_value(r.pointer("require_client_certificate"),
                    "mutual TLS needs 'ca': the CA certificates that client certificates must "
                    "chain to");
    }
  } else {
    r.text("server_name", out.server_name);
    if (out.certificate.empty() && !out.private_key.empty()) {
      sink.at_value(r.pointer("private_key"), "a 'private_key' without its 'certificate'");
    }
  }
  check_readable(r, sink, "certificate", out.certificate);
  check_readable(r, sink, "private_key", out.private_key);
  check_readable(r, sink, "ca", out.ca);
}

std::string address_range_problem(std::string_view range) {
  const auto slash = range.find('/');
  const std::string address(range.substr(0, slash));
  unsigned char bytes[16];
  int bits = 0;
  if (inet_pton(AF_INET, address.c_str(), bytes) == 1) {
    bits = 32;
  } else if (inet_pton(AF_INET6, address.c_str(), bytes) == 1) {
    bits = 128;
  } else {
    return "'" + std::string(range) +
           "' is not an IP address or range (\"10.1.2.7\", \"10.1.2.0/24\", \"fd00::/8\"; host "
           "names are not allowed)";
  }
  if (slash == std::string_view::npos) {
    return {};
  }
  const std::string_view length = range.substr(slash + 1);
  int prefix = -1;
  const auto [end, ec] = std::from_chars(length.data(), length.data() + length.size(), prefix);
  if (ec != std::errc{} || end != length.data() + length.size() || prefix < 0 || prefix > bits) {
    return "the prefix length of '" + std::string(range) + "' must be 0 to " +
           std::to_string(bits);
  }
  return {};
}

}  // namespace hisbridge::config

#include "adapters/tls/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <spdlog/spdlog.h>

#include "adapters/tls/tls_files.hpp"

namespace hisbridge::tls {
namespace {

namespace ssl = boost::asio::ssl;
using boost::system::error_code;

// Mozilla's "intermediate" TLS 1.2 suites: ECDHE or DHE key exchange (forward secrecy) and
// AEAD ciphers only. TLS 1.3 suites are OpenSSL's defaults, all of them sound.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384";

// Resumed sessions under client-certificate checks need an id context, else OpenSSL refuses
// the resumption with "session id context uninitialized".
constexpr unsigned char kSessionIdContext[] = "hisbridge";

Result<std::shared_ptr<Context>, std::string> new_context(Context::method method,
                                                          std::string_view who) {
  ERR_clear_error();
  auto context = std::make_shared<Context>(method);
  SSL_CTX* ctx = context->native_handle();
  context->set_options(Context::default_workarounds | Context::no_sslv2 | Context::no_sslv3 |
                       Context::no_tlsv1 | Context::no_tlsv1_1 | Context::no_compression);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(ctx, kTls12Ciphers) != 1) {
    return std::string(who) + ": TLS: OpenSSL refused the protocol settings (" +
           detail::openssl_reason() + ")";
  }
  return context;
}

// A certificate past its notAfter (or before its notBefore) starts anyway, with an error in the
// log: certificates expire at midnight as often as not, and an engine restarted then (a
// reboot, a package upgrade) that refused to start would cut every laboratory and radiology
// link of the hospital at once, including the plain ones and those whose peers do not check
// the date. A peer that does check refuses the handshake, which the peer's side reports, and
// the certificate-expiry metric shows the date to alert on before it comes.
void warn_if_out_of_date(SSL_CTX* ctx, std::string_view who, const std::string& file) {
  X509* leaf = SSL_CTX_get0_certificate(ctx);
  if (leaf == nullptr) {
    return;
  }
  if (X509_cmp_current_time(X509_get0_notAfter(leaf)) < 0) {
    const auto expiry = detail::asn1_time(X509_get0_notAfter(leaf));
    spdlog::error("{}: TLS certificate '{}' expired on {}; peers that check it will refuse the "
                  "connection: renew it",
                  who, file, expiry ? format_utc(*expiry) : std::string("an unreadable date"));
  } else if (X509_cmp_current_time(X509_get0_notBefore(leaf)) > 0) {
    const auto start = detail::asn1_time(X509_get0_notBefore(leaf));
    spdlog::error("{}: TLS certificate '{}' is not valid before {}; peers that check it will "
                  "refuse the connection until then (is the clock right?)",
                  who, file, start ? format_utc(*start) : std::string("an unreadable date"));
  }
}

void apply_server_settings(SSL_CTX* ctx) {
  // The server's order of preference, not the client's: old clients list weak suites first.
  SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_session_id_context(ctx, kSessionIdContext, sizeof kSessionIdContext - 1);
}

Result<void, std::string> require_client_certificates(Context& context,
                                                      const config::TlsConfig& config,
                                                      std::string_view who) {
  if (config.ca.empty()) {
    if (config.require_client_certificate) {
      return std::string(who) +
             ": TLS require_client_certificate needs a `ca` that client certificates chain to";
    }
    return {};
  }
  if (auto loaded = detail::load_ca(context.native_handle(), config.ca, who); !loaded) {
    return loaded.error();
  }
  // Tells clients which CAs' certificates to offer.
  STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(config.ca.c_str());
  if (names != nullptr) {
    SSL_CTX_set_client_CA_list(context.native_handle(), names);
  }
  ERR_clear_error();
  const int mode = ssl::verify_peer |
                   (config.require_client_certificate ? ssl::verify_fail_if_no_peer_cert : 0);
  SSL_CTX_set_verify(context.native_handle(), mode, nullptr);
  return {};
}

}  // namespace

Result<std::shared_ptr<Context>, std::string> make_server_context(const config::TlsConfig& config,
                                                                  std::string_view who) {
  if (config.certificate.empty() || config.private_key.empty()) {
    return std::string(who) + ": TLS needs both `certificate` and `private_key`";
  }
  auto context = new_context(Context::tls_server, who);
  if (!context) {
    return context.error();
  }
  SSL_CTX* ctx = (*context)->native_handle();
  apply_server_settings(ctx);
  if (auto done = detail::load_identity(ctx, config, who); !done) {
    return done.error();
  }
  if (auto done = require_client_certificates(**context, config, who); !done) {
    return done.error();
  }
  warn_if_out_of_date(ctx, who, config.certificate);
  return context;
}

Result<std::shared_ptr<Context>, std::string> make_client_context(const config::TlsConfig& config,
                                                                  bool verify_peer,
                                                                  std::string_view who) {
  auto context = new_context(Context::tls_client, who);
  if (!context) {
    return context.error();
  }
  SSL_CTX* ctx = (*context)->native_handle();
  if (verify_peer) {
    if (config.ca.empty()) {
      if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
        return std::string(who) + ": TLS: the system's CA certificates cannot be loaded (" +
               detail::openssl_reason() + ")";
      }
    } else if (auto loaded = detail::load_ca(ctx, config.ca, who); !loaded) {
      return loaded.error();
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }
  if (!config.certificate.empty() || !config.private_key.empty()) {
    if (config.certificate.empty() || config.private_key.empty()) {
      return std::string(who) +
             ": TLS client certificate needs both `certificate` and `private_key`";
    }
    if (auto done = detail::load_identity(ctx, config, who); !done) {
      return done.error();
    }
    warn_if_out_of_date(ctx, who, config.certificate);
  }
  return context;
}

std::optional<TimePoint> certificate_expiry(const Context& context) {
  // SSL_CTX_get0_certificate reads only; Asio offers the handle from a non-const context alone.
  X509* leaf = SSL_CTX_get0_certificate(const_cast<Context&>(context).native_handle());
  if (leaf == nullptr) {
    return std::nullopt;
  }
  return detail::asn1_time(X509_get0_notAfter(leaf));
}

std::string certificate_fingerprint(const Context& context) {
  X509* leaf = SSL_CTX_get0_certificate(const_cast<Context&>(context).native_handle());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (leaf == nullptr || X509_digest(leaf, EVP_sha256(), digest, &length) != 1) {
    return {};
  }
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    if (i > 0) {
      out += ':';
    }
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xF];
  }
  return out;
}

Result<void, std::string> expect_server_name(SSL* ssl, const std::string& name) {
  if (name.empty()) {
    return std::string("no server name to check the certificate against");
  }
  ERR_clear_error();
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  if (X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str()) == 1) {
    return {};  // an IP address: checked against iPAddress names; RFC 6066 sends no SNI for it
  }
  ERR_clear_error();
  // SSL_set_tlsext_host_name without its macro's C cast.
  const long sni = SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                            const_cast<char*>(name.c_str()));
  if (sni != 1 || SSL_set1_host(ssl, name.c_str()) != 1) {
    return "the server name '" + name + "' cannot be used (" + detail::openssl_reason() + ")";
  }
  // "*.example.org" matches a whole label only, never "w*.example.org".
  SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  return {};
}

std::string handshake_error_text(SSL* ssl, const error_code& ec) {
  if (ssl != nullptr) {
    const long verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK) {
      return std::string("certificate verify failed: ") + X509_verify_cert_error_string(verify);
    }
  }
  if (ec == ssl::error::stream_truncated || ec == boost::asio::error::eof) {
    return "the peer closed the connection during the handshake";
  }
  if (ec.category() == boost::asio::error::get_ssl_category()) {
    // The packed OpenSSL code, without Asio's " (SSL routines)" suffix.
    const auto code = static_cast<unsigned long>(static_cast<unsigned int>(ec.value()));
    if (const char* reason = ERR_reason_error_string(code); reason != nullptr) {
      return reason;
    }
  }
  return ec.message();
}

std::string format_utc(TimePoint when) {
  const std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  const std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return std::string(text, n);
}

}  // namespace hisbridge::tls

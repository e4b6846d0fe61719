#pragma once

// Internal to adapters/tls: loading PEM files into an OpenSSL context with errors that name the
// file and say what is wrong with it. Included by the library's .cpp files only.
#include <openssl/ssl.h>

#include <optional>
#include <string>
#include <string_view>

#include "adapters/tls/tls_context.hpp"

namespace hisbridge::tls::detail {

// OpenSSL's reason for the oldest error queued on this thread (the cause; later ones are the
// callers giving up), and the queue emptied. "unknown reason" when none is queued.
std::string openssl_reason();

// An ASN1 time (a certificate's notBefore/notAfter) as a time point; nullopt if malformed.
std::optional<TimePoint> asn1_time(const ASN1_TIME* time);

// The certificate chain and private key of `config` into `ctx`, checked to match.
Result<void, std::string> load_identity(SSL_CTX* ctx, const config::TlsConfig& config,
                                        std::string_view who);

// The CA certificates of `file` as the context's trust anchors.
Result<void, std::string> load_ca(SSL_CTX* ctx, const std::string& file, std::string_view who);

}  // namespace hisbridge::tls::detail

#include "adapters/tls/tls_files.hpp"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>

namespace hisbridge::tls::detail {
namespace {

// PEM files of certificates and keys are a few kilobytes; a CA bundle a few hundred.
constexpr std::size_t kMaxPemBytes = std::size_t{16} << 20;

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

std::string prefix(std::string_view who, std::string_view what, const std::string& file) {
  return std::string(who) + ": TLS " + std::string(what) + " '" + file + "'";
}

// The whole file into `data`, or false with why it cannot be read in `error` ("No such file or
// directory", "Permission denied", "Is a directory"), so that the error names the operator's
// problem rather than OpenSSL's.
bool read_pem(const std::string& file, std::string& data, std::string& error) {
  errno = 0;
  std::unique_ptr<std::FILE, FileCloser> f(std::fopen(file.c_str(), "rb"));
  if (!f) {
    error = std::strerror(errno);
    return false;
  }
  char chunk[4096];
  std::size_t n = 0;
  while ((n = std::fread(chunk, 1, sizeof chunk, f.get())) != 0) {
    data.append(chunk, n);
    if (data.size() > kMaxPemBytes) {
      error = "larger than any PEM file should be";
      return false;
    }
  }
  if (std::ferror(f.get()) != 0) {
    error = std::strerror(errno != 0 ? errno : EIO);
    return false;
  }
  return true;
}

// Key files are never decrypted: a passphrase would have to sit beside the key anyway, and
// OpenSSL's default would prompt on a terminal the service does not have.
int refuse_passphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*userdata*/) { return 0; }

Result<std::unique_ptr<EVP_PKEY, PkeyFree>, std::string> parse_private_key(const std::string& data) {
  ERR_clear_error();
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
  std::unique_ptr<EVP_PKEY, PkeyFree> key(
      bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, refuse_passphrase, nullptr) : nullptr);
  if (key) {
    return key;
  }
  if (data.find("ENCRYPTED") != std::string::npos) {
    openssl_reason();  // drop the queue
    return std::string(" is encrypted: the engine reads unencrypted keys only (keep the file "
                       "readable by the service's user alone)");
  }
  return " is not a PEM private key (" + openssl_reason() + ")";
}

Result<void, std::string> load_certificate_chain(SSL_CTX* ctx, const std::string& file,
                                                 std::string_view who) {
  std::string data;
  std::string error;
  if (!read_pem(file, data, error)) {
    return prefix(who, "certificate", file) + ": cannot read: " + error;
  }
  ERR_clear_error();
  if (SSL_CTX_use_certificate_chain_file(ctx, file.c_str()) != 1) {
    return prefix(who, "certificate", file) + " is not a PEM certificate (" + openssl_reason() +
           ")";
  }
  return {};
}

Result<void, std::string> load_private_key(SSL_CTX* ctx, const config::TlsConfig& config,
                                           std::string_view who) {
  std::string data;
  std::string error;
  if (!read_pem(config.private_key, data, error)) {
    return prefix(who, "private key", config.private_key) + ": cannot read: " + error;
  }
  auto key = parse_private_key(data);
  OPENSSL_cleanse(data.data(), data.size());
  if (!key) {
    return prefix(who, "private key", config.private_key) + key.error();
  }
  ERR_clear_error();
  // SSL_CTX_use_PrivateKey checks a key of the certificate's type against it; a key of another
  // type lands in another slot, which SSL_CTX_check_private_key catches.
  if (SSL_CTX_use_PrivateKey(ctx, key->get()) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    return prefix(who, "private key", config.private_key) + " does not match the certificate '" +
           config.certificate + "' (" + openssl_reason() + ")";
  }
  return {};
}

}  // namespace

std::string openssl_reason() {
  const unsigned long first = ERR_get_error();
  ERR_clear_error();
  if (first == 0) {
    return "unknown reason";
  }
  const char* reason = ERR_reason_error_string(first);
  return reason != nullptr ? reason : "OpenSSL error " + std::to_string(first);
}

std::optional<TimePoint> asn1_time(const ASN1_TIME* time) {
  std::tm tm{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) {
    return std::nullopt;
  }
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

Result<void, std::string> load_identity(SSL_CTX* ctx, const config::TlsConfig& config,
                                        std::string_view who) {
  if (auto done = load_certificate_chain(ctx, config.certificate, who); !done) {
    return done.error();
  }
  return load_private_key(ctx, config, who);
}

Result<void, std::string> load_ca(SSL_CTX* ctx, const std::string& file, std::string_view who) {
  std::string data;
  std::string error;
  if (!read_pem(file, data, error)) {
    return prefix(who, "CA file", file) + ": cannot read: " + error;
  }
  ERR_clear_error();
  if (SSL_CTX_load_verify_locations(ctx, file.c_str(), nullptr) != 1) {
    return prefix(who, "CA file", file) + " holds no usable CA certificate (" + openssl_reason() +
           ")";
  }
  return {};
}

}  // namespace hisbridge::tls::detail

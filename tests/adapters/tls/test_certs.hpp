#pragma once

// Certificates and keys for TLS tests, made at test time with the openssl command (EC P-256
// keys: quick to make) in a temporary folder removed when the process ends. Library target
// hisbridge_test_certs; any test that needs TLS links it.
#include <filesystem>
#include <string>

#include "engine/config/config.hpp"

namespace hisbridge::testing {

struct CertAndKey {
  std::string certificate;  // PEM file
  std::string private_key;  // PEM file, unencrypted
};

struct TestCerts {
  std::filesystem::path dir;  // where the files are
  std::string ca;             // the CA certificate every cert below but `foreign` chains to
  std::string other_ca;       // another CA, which signed `foreign`
  // Signed by `ca`, for serverAuth and clientAuth, subjectAltName DNS:localhost,
  // IP:127.0.0.1, IP:::1 (CN localhost):
  CertAndKey server;
  CertAndKey expired;        // valid from 2020-01-01 to 2020-02-01
  CertAndKey not_yet_valid;  // valid from 2099-01-01
  // Signed by `ca`, clientAuth only, CN "hisbridge test client", no host names.
  CertAndKey client;
  // Signed by `ca`, serverAuth and clientAuth, subjectAltName DNS:wrong.example.org only.
  CertAndKey wrong_host;
  // Signed by `other_ca`, serverAuth and clientAuth, the names of `server`.
  CertAndKey foreign;
  std::string not_pem;  // a file that holds text but no PEM block

  // A listener's `tls`: `server`'s certificate and key; with `require_client`, mutual TLS
  // against `ca`.
  config::TlsConfig server_config(bool require_client = false) const;
  // An outbound `tls` checking against `ca`, presenting `identity` when set.
  config::TlsConfig client_config(const CertAndKey* identity = nullptr) const;
};

// Made on the first call, shared by the process's tests. Throws std::runtime_error with the
// openssl command that failed and what it printed.
const TestCerts& test_certs();

}  // namespace hisbridge::testing

#include "tests/adapters/tls/test_certs.hpp"

#include <stdlib.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <system_error>

namespace hisbridge::testing {
namespace {

namespace fs = std::filesystem;

// The extensions of each kind of certificate, for `openssl ca -extfile`.
constexpr const char* kServerExtensions =
    "basicConstraints = CA:FALSE\n"
    "keyUsage = critical, digitalSignature, keyEncipherment\n"
    "extendedKeyUsage = serverAuth, clientAuth\n"
    "subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1\n";
constexpr const char* kClientExtensions =
    "basicConstraints = CA:FALSE\n"
    "keyUsage = critical, digitalSignature\n"
    "extendedKeyUsage = clientAuth\n";
constexpr const char* kWrongHostExtensions =
    "basicConstraints = CA:FALSE\n"
    "keyUsage = critical, digitalSignature, keyEncipherment\n"
    "extendedKeyUsage = serverAuth, clientAuth\n"
    "subjectAltName = DNS:wrong.example.org\n";

void write(const fs::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) {
    throw std::runtime_error("test certificates: cannot write " + file.string());
  }
}

std::string slurp(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string quote(const fs::path& path) { return "'" + path.string() + "'"; }

class Maker {
 public:
  explicit Maker(fs::path dir) : dir_(std::move(dir)) {}

  // A self-signed CA in NAME.pem / NAME.key, with its own signing database for `openssl ca`.
  void make_ca(const std::string& name, const std::string& common_name) {
    const fs::path db = dir_ / (name + ".db");
    fs::create_directories(db);
    write(db / "index.txt", "");
    write(db / "serial", "1000\n");
    write(dir_ / (name + ".cnf"),
          "[req]\ndistinguished_name = dn\nprompt = no\nx509_extensions = v3_ca\n"
          "[dn]\nCN = " + common_name + "\n"
          "[v3_ca]\nbasicConstraints = critical, CA:TRUE\n"
          "keyUsage = critical, keyCertSign, cRLSign\nsubjectKeyIdentifier = hash\n"
          "[ca]\ndefault_ca = signer\n"
          "[signer]\ndatabase = " + (db / "index.txt").string() + "\nnew_certs_dir = " +
          db.string() + "\nserial = " + (db / "serial").string() +
          "\ndefault_md = sha256\npolicy = any\nunique_subject = no\nemail_in_dn = no\n"
          "[any]\ncommonName = supplied\n");
    run("openssl req -x509 -new -config " + quote(dir_ / (name + ".cnf")) + " " + kNewKey +
        " -keyout " + quote(dir_ / (name + ".key")) + " -out " + quote(dir_ / (name + ".pem")) +
        " -days 3650");
  }

  // NAME.pem / NAME.key for `common_name`, signed by the CA `ca`; `dates` are openssl ca's
  // -days or -startdate/-enddate options.
  CertAndKey make_leaf(const std::string& name, const std::string& ca,
                       const std::string& common_name, const char* extensions,
                       const std::string& dates = "-days 825") {
    const fs::path key = dir_ / (name + ".key");
    const fs::path csr = dir_ / (name + ".csr");
    const fs::path ext = dir_ / (name + ".ext");
    const fs::path pem = dir_ / (name + ".pem");
    write(ext, extensions);
    run("openssl req -new -config " + quote(dir_ / (ca + ".cnf")) + " " + kNewKey + " -keyout " +
        quote(key) + " -out " + quote(csr) + " -subj " + quote("/CN=" + common_name));
    run("openssl ca -batch -notext -config " + quote(dir_ / (ca + ".cnf")) + " -cert " +
        quote(dir_ / (ca + ".pem")) + " -keyfile " + quote(dir_ / (ca + ".key")) + " -in " +
        quote(csr) + " -out " + quote(pem) + " -extfile " + quote(ext) + " " + dates);
    return {pem.string(), key.string()};
  }

 private:
  static constexpr const char* kNewKey =
      "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";

  void run(const std::string& command) {
    const fs::path log = dir_ / "openssl.log";
    const int status = std::system((command + " >" + quote(log) + " 2>&1").c_str());
    if (status != 0) {
      throw std::runtime_error("test certificates: `" + command + "` failed:\n" + slurp(log));
    }
  }

  fs::path dir_;
};

// Removes the folder when the process ends.
struct Folder {
  fs::path path;
  ~Folder() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

fs::path make_temp_folder() {
  std::string pattern = (fs::temp_directory_path() / "hisbridge-certs-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("test certificates: cannot make a temporary folder");
  }
  return pattern;
}

TestCerts make_all(const fs::path& dir) {
  Maker maker(dir);
  maker.make_ca("ca", "hisbridge test CA");
  maker.make_ca("other-ca", "another test CA");
  TestCerts certs;
  certs.dir = dir;
  certs.ca = (dir / "ca.pem").string();
  certs.other_ca = (dir / "other-ca.pem").string();
  certs.server = maker.make_leaf("server", "ca", "localhost", kServerExtensions);
  certs.expired = maker.make_leaf("expired", "ca", "localhost", kServerExtensions,
                                  "-startdate 20200101000000Z -enddate 20200201000000Z");
  certs.not_yet_valid = maker.make_leaf("not-yet-valid", "ca", "localhost", kServerExtensions,
                                        "-startdate 20990101000000Z -enddate 20991231000000Z");
  certs.client = maker.make_leaf("client", "ca", "hisbridge test client", kClientExtensions);
  certs.wrong_host = maker.make_leaf("wrong-host", "ca", "wrong.example.org",
                                     kWrongHostExtensions);
  certs.foreign = maker.make_leaf("foreign", "other-ca", "localhost", kServerExtensions);
  certs.not_pem = (dir / "not-pem.txt").string();
  write(certs.not_pem, "this is not a certificate\n");
  return certs;
}

}  // namespace

config::TlsConfig TestCerts::server_config(bool require_client) const {
  config::TlsConfig tls;
  tls.enabled = true;
  tls.certificate = server.certificate;
  tls.private_key = server.private_key;
  if (require_client) {
    tls.ca = ca;
    tls.require_client_certificate = true;
  }
  return tls;
}

config::TlsConfig TestCerts::client_config(const CertAndKey* identity) const {
  config::TlsConfig tls;
  tls.enabled = true;
  tls.ca = ca;
  if (identity != nullptr) {
    tls.certificate = identity->certificate;
    tls.private_key = identity->private_key;
  }
  return tls;
}

const TestCerts& test_certs() {
  static const Folder folder{make_temp_folder()};
  static const TestCerts certs = make_all(folder.path);
  return certs;
}

}  // namespace hisbridge::testing

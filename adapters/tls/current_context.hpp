#pragma once

// The TLS context a server hands to the connections it accepts, which a config reload may
// replace while the server runs (renewed certificate files, a new CA for client
// certificates). Light on purpose: no OpenSSL header, so a listener's shared state can hold it.
#include <memory>
#include <mutex>
#include <utility>

namespace boost::asio::ssl {
class context;
}  // namespace boost::asio::ssl

namespace hisbridge::tls {

// Each connection takes the context current when it is accepted and holds it until it closes:
// a replaced context lives on as long as a connection made with it, and connections open
// during a reload are not touched. A server made without TLS stays without it.
class CurrentContext {
 public:
  using Context = boost::asio::ssl::context;

  explicit CurrentContext(std::shared_ptr<Context> initial) : context_(std::move(initial)) {}

  // Null for a plain (non-TLS) server.
  std::shared_ptr<Context> get() const {
    const std::lock_guard lock(mutex_);
    return context_;
  }
  // False, and nothing changed, for a plain server or a null `next`.
  bool replace(std::shared_ptr<Context> next) {
    const std::lock_guard lock(mutex_);
    if (!context_ || !next) {
      return false;
    }
    context_ = std::move(next);
    return true;
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<Context> context_;
};

}  // namespace hisbridge::tls

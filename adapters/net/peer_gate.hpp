#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>

#include "adapters/net/address_range.hpp"

namespace hisbridge::net {

// Counts the connections open from each address and refuses one more past a limit
// (`max_connections_per_ip`), so that one misbehaving sender cannot take every connection a
// listener has. Thread-safe: admit and a ticket's release take one mutex, once per connection
// (never per message).
class PeerGate {
 public:
  // Holds one place of its address until destroyed (or moved from). May outlive the gate.
  class Ticket {
   public:
    Ticket() = default;  // holds nothing
    Ticket(Ticket&& other) noexcept;
    Ticket& operator=(Ticket&& other) noexcept;
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    ~Ticket();

    void release();  // gives the place back now; idempotent

   private:
    friend class PeerGate;
    struct State;
    Ticket(std::shared_ptr<State> state, const IpAddress& address);
    std::shared_ptr<State> state_;  // null: holds nothing
    IpAddress address_;
  };

  // 0: no limit (admit always succeeds; connections are still counted, so that a limit set
  // later applies to those already open).
  explicit PeerGate(std::size_t max_per_address);
  PeerGate(const PeerGate&) = delete;
  PeerGate& operator=(const PeerGate&) = delete;
  ~PeerGate();

  // A ticket for one more connection from `address`; nullopt when max_per_address of its
  // connections are open already.
  std::optional<Ticket> admit(const IpAddress& address);

  // The connections from `address` holding a ticket now.
  std::size_t open(const IpAddress& address) const;
  std::size_t max_per_address() const { return max_per_address_.load(std::memory_order_relaxed); }
  // A new limit (a config reload): connections open past it stay; new ones wait for room.
  void set_max_per_address(std::size_t max_per_address) {
    max_per_address_.store(max_per_address, std::memory_order_relaxed);
  }

 private:
  std::atomic<std::size_t> max_per_address_;
  std::shared_ptr<Ticket::State> state_;
};

}  // namespace hisbridge::net

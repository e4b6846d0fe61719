#include "adapters/net/peer_gate.hpp"

#include <mutex>
#include <unordered_map>
#include <utility>

namespace hisbridge::net {

// Shared by the gate and its tickets, so that a connection closing after its listener is gone
// still has somewhere to give its place back.
struct PeerGate::Ticket::State {
  mutable std::mutex mutex;
  // Only addresses with a connection open: the map does not grow with every address seen.
  std::unordered_map<IpAddress, std::size_t, IpAddressHash> open;
};

PeerGate::Ticket::Ticket(std::shared_ptr<State> state, const IpAddress& address)
    : state_(std::move(state)), address_(address) {}

PeerGate::Ticket::Ticket(Ticket&& other) noexcept
    : state_(std::move(other.state_)), address_(other.address_) {}

PeerGate::Ticket& PeerGate::Ticket::operator=(Ticket&& other) noexcept {
  if (this != &other) {
    release();
    state_ = std::move(other.state_);
    address_ = other.address_;
  }
  return *this;
}

PeerGate::Ticket::~Ticket() { release(); }

void PeerGate::Ticket::release() {
  if (!state_) {
    return;
  }
  {
    std::lock_guard lock(state_->mutex);
    const auto it = state_->open.find(address_);
    if (it != state_->open.end() && --it->second == 0) {
      state_->open.erase(it);
    }
  }
  state_.reset();
}

PeerGate::PeerGate(std::size_t max_per_address)
    : max_per_address_(max_per_address), state_(std::make_shared<Ticket::State>()) {}

PeerGate::~PeerGate() = default;

std::optional<PeerGate::Ticket> PeerGate::admit(const IpAddress& address) {
  const std::size_t limit = max_per_address();
  std::lock_guard lock(state_->mutex);
  std::size_t& count = state_->open[address];
  if (limit != 0 && count >= limit) {
    return std::nullopt;  // count >= 1 here, so no empty entry is left behind
  }
  ++count;
  return Ticket(state_, address);
}

std::size_t PeerGate::open(const IpAddress& address) const {
  std::lock_guard lock(state_->mutex);
  const auto it = state_->open.find(address);
  return it == state_->open.end() ? 0 : it->second;
}

}  // namespace hisbridge::net

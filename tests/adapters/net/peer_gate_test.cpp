#include "adapters/net/peer_gate.hpp"

#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace hisbridge::net {
namespace {

IpAddress address(std::string_view text) { return *IpAddress::parse(text); }

TEST(PeerGateTest, RefusesOneMorePastTheLimitPerAddress) {
  PeerGate gate(2);
  auto a = gate.admit(address("10.0.0.1"));
  auto b = gate.admit(address("10.0.0.1"));
  ASSERT_TRUE(a);
  ASSERT_TRUE(b);
  EXPECT_FALSE(gate.admit(address("10.0.0.1")));
  EXPECT_EQ(gate.open(address("10.0.0.1")), 2u);
  // Another address has places of its own.
  EXPECT_TRUE(gate.admit(address("10.0.0.2")));
}

TEST(PeerGateTest, ATicketGivesItsPlaceBackWhenDestroyed) {
  PeerGate gate(1);
  {
    auto ticket = gate.admit(address("fd00::1"));
    ASSERT_TRUE(ticket);
    EXPECT_FALSE(gate.admit(address("fd00::1")));
  }
  EXPECT_EQ(gate.open(address("fd00::1")), 0u);
  EXPECT_TRUE(gate.admit(address("fd00::1")));
}

TEST(PeerGateTest, MovedTicketsReleaseOnceAndReleaseIsIdempotent) {
  PeerGate gate(1);
  auto ticket = gate.admit(address("10.0.0.1"));
  ASSERT_TRUE(ticket);
  PeerGate::Ticket moved = std::move(*ticket);
  ticket.reset();  // the moved-from ticket holds nothing
  EXPECT_EQ(gate.open(address("10.0.0.1")), 1u);
  moved.release();
  moved.release();
  EXPECT_EQ(gate.open(address("10.0.0.1")), 0u);
  auto again = gate.admit(address("10.0.0.1"));
  ASSERT_TRUE(again);
  *again = PeerGate::Ticket();  // assigning releases the old place
  EXPECT_EQ(gate.open(address("10.0.0.1")), 0u);
}

TEST(PeerGateTest, MappedAndPlainIpv4AreOneAddress) {
  PeerGate gate(1);
  auto ticket = gate.admit(address("10.0.0.1"));
  ASSERT_TRUE(ticket);
  EXPECT_FALSE(gate.admit(address("::ffff:10.0.0.1")));
}

TEST(PeerGateTest, ZeroMeansNoLimit) {
  PeerGate gate(0);
  std::vector<PeerGate::Ticket> tickets;
  for (int i = 0; i < 1000; ++i) {
    auto ticket = gate.admit(address("10.0.0.1"));
    ASSERT_TRUE(ticket);
    tickets.push_back(std::move(*ticket));
  }
}

TEST(PeerGateTest, ALimitSetLaterCountsTheConnectionsAlreadyOpen) {
  PeerGate gate(0);
  auto a = gate.admit(address("10.0.0.1"));
  auto b = gate.admit(address("10.0.0.1"));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(gate.open(address("10.0.0.1")), 2u);
  gate.set_max_per_address(2);
  EXPECT_FALSE(gate.admit(address("10.0.0.1")));
  a.reset();
  EXPECT_TRUE(gate.admit(address("10.0.0.1")));
  gate.set_max_per_address(0);
  EXPECT_TRUE(gate.admit(address("10.0.0.1")));
}

TEST(PeerGateTest, ATicketMayOutliveItsGate) {
  std::optional<PeerGate::Ticket> ticket;
  {
    PeerGate gate(1);
    ticket = gate.admit(address("10.0.0.1"));
    ASSERT_TRUE(ticket);
  }
  ticket.reset();  // releases into the state the ticket keeps alive
}

TEST(PeerGateTest, ConcurrentAdmitsNeverPassTheLimit) {
  PeerGate gate(3);
  std::vector<std::thread> threads;
  std::atomic<int> admitted{0};
  std::vector<std::optional<PeerGate::Ticket>> held(8);
  for (std::size_t t = 0; t < held.size(); ++t) {
    threads.emplace_back([&, t] {
      held[t] = gate.admit(address("10.0.0.1"));
      if (held[t]) {
        admitted.fetch_add(1);
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(admitted.load(), 3);
  EXPECT_EQ(gate.open(address("10.0.0.1")), 3u);
  held.clear();
  EXPECT_EQ(gate.open(address("10.0.0.1")), 0u);
}

}  // namespace
}  // namespace hisbridge::net

#pragma once

// A tiny MLLP server for tests: listens on 127.0.0.1 at a port the system picks, runs its own
// io_context on its own thread, and answers every message it receives with what the test's
// handler returns.
#include <array>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include "adapters/mllp/framer.hpp"

namespace hisbridge::testing {

class TestMllpServer {
 public:
  struct Answer {
    std::string bytes;   // written as they are: wrap an ACK in mllp::encode_frame
    bool close = false;  // close the connection after writing
  };
  // Runs on the server thread, once per received message. An empty, non-closing Answer
  // answers nothing: a server that never replies.
  using Handler = std::function<Answer(const std::string& message)>;

  explicit TestMllpServer(Handler handler) : handler_(std::move(handler)) {
    do_accept();
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~TestMllpServer() {
    ioc_.stop();
    thread_.join();
  }
  TestMllpServer(const TestMllpServer&) = delete;
  TestMllpServer& operator=(const TestMllpServer&) = delete;

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

  std::vector<std::string> received() const {
    std::lock_guard lock(mutex_);
    return received_;
  }
  std::size_t connections() const {
    std::lock_guard lock(mutex_);
    return connections_;
  }
  // Waits until the server has closed `count` connections; false after ten seconds.
  bool wait_for_closes(std::size_t count) {
    std::unique_lock lock(mutex_);
    return closed_changed_.wait_for(lock, std::chrono::seconds(10),
                                    [&] { return closes_ >= count; });
  }

 private:
  using tcp = boost::asio::ip::tcp;
  using error_code = boost::system::error_code;

  struct Connection : std::enable_shared_from_this<Connection> {
    Connection(tcp::socket s, TestMllpServer& owner) : socket(std::move(s)), server(owner) {}

    void do_read() {
      socket.async_read_some(boost::asio::buffer(buffer),
                             [self = shared_from_this()](const error_code& ec, std::size_t n) {
                               self->on_read(ec, n);
                             });
    }
    void on_read(const error_code& ec, std::size_t bytes) {
      if (ec) {
        return;
      }
      framer.feed(std::string_view(buffer.data(), bytes));
      while (auto event = framer.next()) {
        if (!event->has_value() || !answer(event->value())) {
          return;
        }
      }
      do_read();
    }
    // False when the connection is closed.
    bool answer(const std::string& message) {
      Answer reply = server.record(message);
      error_code ec;
      if (!reply.bytes.empty()) {
        boost::asio::write(socket, boost::asio::buffer(reply.bytes), ec);
      }
      if (reply.close || ec) {
        socket.close(ec);
        server.count_close();
        return false;
      }
      return true;
    }

    tcp::socket socket;
    TestMllpServer& server;
    mllp::Framer framer;
    std::array<char, 4096> buffer{};
  };

  void do_accept() {
    acceptor_.async_accept([this](const error_code& ec, tcp::socket socket) {
      if (ec) {
        return;
      }
      {
        std::lock_guard lock(mutex_);
        ++connections_;
      }
      std::make_shared<Connection>(std::move(socket), *this)->do_read();
      do_accept();
    });
  }

  Answer record(const std::string& message) {
    {
      std::lock_guard lock(mutex_);
      received_.push_back(message);
    }
    return handler_(message);
  }

  void count_close() {
    {
      std::lock_guard lock(mutex_);
      ++closes_;
    }
    closed_changed_.notify_all();
  }

  Handler handler_;
  boost::asio::io_context ioc_;
  tcp::acceptor acceptor_{ioc_, tcp::endpoint(boost::asio::ip::address_v4::loopback(), 0)};
  std::thread thread_;
  mutable std::mutex mutex_;
  std::vector<std::string> received_;
  std::size_t connections_ = 0;
  std::size_t closes_ = 0;
  std::condition_variable closed_changed_;
};

// An original-mode ACK for the message with control id `control_id`.
inline std::string make_ack(std::string_view code, std::string_view control_id) {
  std::string ack = "MSH|^~\\&|HIS|HOSP|LIS|LAB|20260305081501||ACK^R01^ACK|A";
  ack += control_id;
  ack += "|P|2.5\rMSA|";
  ack += code;
  ack += '|';
  ack += control_id;
  ack += '\r';
  return ack;
}

}  // namespace hisbridge::testing

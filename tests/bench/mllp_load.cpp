#include "tests/bench/mllp_load.hpp"

#include <pthread.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <deque>
#include <memory>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

namespace hisbridge::bench {
namespace {

namespace net = boost::asio;
using boost::system::error_code;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr char kStartBlock = '\x0b';
constexpr char kEndBlock = '\x1c';
constexpr char kCarriageReturn = '\r';
constexpr std::string_view kIdMark = "@@@@@@@@@@@@@@@@@@@@";  // MSH-10, 20 characters
constexpr std::string_view kPatientMark = "BN0000000";
constexpr std::string_view kOrderMark = "XN260305-0001";  // ORC-2 and OBR-2, 13 characters
constexpr std::string_view kVisitMark = "VV260305001";    // PV1-19, 11 characters
constexpr std::size_t kTargetBytes = 2048;
constexpr std::size_t kReadBytes = 64 * 1024;
// The rate-limited mode looks at the clock this often and sends what has fallen due.
constexpr std::chrono::microseconds kTick{250};

struct Test {
  const char* code;
  const char* name;
  const char* value;
  const char* unit;
  const char* range;
  const char* flag;
};

// A complete blood count and the usual chemistry, as a provincial hospital's LIS reports it.
constexpr Test kTests[] = {
    {"WBC", "Số lượng bạch cầu", "7.8", "G/L", "4.0-10.0", "N"},
    {"RBC", "Số lượng hồng cầu", "4.62", "T/L", "3.8-5.5", "N"},
    {"HGB", "Huyết sắc tố", "131", "g/L", "120-160", "N"},
    {"HCT", "Thể tích khối hồng cầu", "0.41", "L/L", "0.36-0.48", "N"},
    {"MCV", "Thể tích trung bình hồng cầu", "88.7", "fL", "80-100", "N"},
    {"MCH", "Lượng huyết sắc tố trung bình hồng cầu", "28.4", "pg", "27-32", "N"},
    {"PLT", "Số lượng tiểu cầu", "256", "G/L", "150-400", "N"},
    {"NEU%", "Tỷ lệ bạch cầu trung tính", "62.1", "%", "45-75", "N"},
    {"LYM%", "Tỷ lệ bạch cầu lympho", "28.3", "%", "20-40", "N"},
    {"GLU", "Glucose máu", "7.8", "mmol/L", "3.9-6.4", "H"},
    {"URE", "Urê máu", "5.1", "mmol/L", "2.5-7.5", "N"},
    {"CRE", "Creatinin máu", "98", "µmol/L", "62-120", "N"},
    {"AST", "Hoạt độ AST (GOT)", "31", "U/L", "<40", "N"},
    {"ALT", "Hoạt độ ALT (GPT)", "45", "U/L", "<40", "H"},
    {"NA", "Natri", "138", "mmol/L", "135-145", "N"},
    {"K", "Kali", "4.1", "mmol/L", "3.5-5.0", "N"},
    {"CL", "Clo", "101", "mmol/L", "98-106", "N"},
    {"CA", "Canxi toàn phần", "2.31", "mmol/L", "2.15-2.55", "N"},
};

// What a connection remembers of a message it sent: which MSH-10 it carried and when it was
// due, for the ACK that answers it.
struct Sent {
  char control_id[20];
  Clock::time_point due;
};

// MSA-1 and MSA-2 of an ER7 ACK; false when the ACK has no MSH or MSA.
bool read_msa(std::string_view ack, std::string_view& code, std::string_view& acked) {
  if (ack.size() < 8 || !ack.starts_with("MSH")) {
    return false;
  }
  const char separator = ack[3];
  const char msa[5] = {'\r', 'M', 'S', 'A', separator};
  const std::size_t at = ack.find(std::string_view(msa, 5));
  if (at == std::string_view::npos) {
    return false;
  }
  std::string_view rest = ack.substr(at + 5);
  const std::size_t code_end = rest.find(separator);
  if (code_end == std::string_view::npos) {
    return false;
  }
  code = rest.substr(0, code_end);
  rest.remove_prefix(code_end + 1);
  acked = rest.substr(0, rest.find_first_of(std::string_view("\r|^", 3)));
  return true;
}

class Load;

// One sender connection, on the load's single thread: one read and one write in flight, the
// messages it sent and awaits answers for in order.
class Connection {
 public:
  Connection(Load& load, net::io_context& ioc, std::size_t index);
  void start(const tcp::endpoint& endpoint);
  void send(Clock::time_point due);
  std::size_t in_flight() const { return sent_.size(); }
  bool open() const { return open_; }
  void close();

 private:
  void on_connect(const error_code& ec);
  void do_read();
  void on_read(const error_code& ec, std::size_t bytes);
  void take_frames();
  void do_write();
  void on_write(const error_code& ec);
  void write_order(std::uint64_t number);

  Load& load_;
  tcp::socket socket_;
  const std::size_t index_;
  std::uint64_t next_number_ = 0;
  std::string message_;     // the template, framed
  std::size_t id_at_ = 0;   // where MSH-10 sits in message_
  std::size_t patient_at_ = 0;
  std::vector<std::size_t> order_at_;  // every place of the order number
  std::size_t visit_at_ = 0;
  std::uint64_t patient_;
  std::string pending_;     // framed messages waiting for the write in flight to finish
  std::string writing_;
  bool write_busy_ = false;
  bool open_ = false;
  std::unique_ptr<char[]> read_buffer_;
  std::string inbox_;       // bytes of an ACK frame not yet complete
  std::deque<Sent> sent_;
};

class Load {
 public:
  explicit Load(const LoadOptions& options)
      : options_(options), tick_(ioc_), phase_timer_(ioc_) {
    for (std::size_t i = 0; i < options_.connections; ++i) {
      connections_.push_back(std::make_unique<Connection>(*this, ioc_, i));
    }
  }

  LoadResult run();
  const LoadOptions& options() const { return options_; }
  unsigned run_number() const { return options_.run_number; }

  // Called by connections.
  void connected();
  void answered(Connection& c, const Sent& sent, std::string_view ack);
  void failed(const std::string& what);
  void sent() { ++result_.sent; }

 private:
  enum class Phase { connecting, warmup, measuring, draining, done };

  void begin();
  void on_tick();
  void send_due();
  void next_phase();
  void maybe_finish();
  void finish();

  const LoadOptions options_;
  net::io_context ioc_;
  net::steady_timer tick_;
  net::steady_timer phase_timer_;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::size_t connected_ = 0;
  Phase phase_ = Phase::connecting;
  Clock::time_point started_;
  Clock::time_point measure_from_;
  Clock::time_point measure_to_;
  std::uint64_t scheduled_ = 0;  // rate mode: messages that have fallen due so far
  std::size_t round_robin_ = 0;
  std::vector<std::uint32_t> latencies_us_;
  LoadResult result_;
};

Connection::Connection(Load& load, net::io_context& ioc, std::size_t index)
    : load_(load),
      socket_(ioc),
      index_(index),
      patient_(index * 7919 + 1),
      read_buffer_(std::make_unique_for_overwrite<char[]>(kReadBytes)) {
  message_ = kStartBlock + bench_oru_template() + kEndBlock + kCarriageReturn;
  id_at_ = message_.find(kIdMark);
  patient_at_ = message_.find(kPatientMark);
  for (auto at = message_.find(kOrderMark); at != std::string::npos;
       at = message_.find(kOrderMark, at + 1)) {
    order_at_.push_back(at);
  }
  visit_at_ = message_.find(kVisitMark);
}

void Connection::start(const tcp::endpoint& endpoint) {
  socket_.async_connect(endpoint, [this](const error_code& ec) { on_connect(ec); });
}

void Connection::on_connect(const error_code& ec) {
  if (ec) {
    return load_.failed("connect: " + ec.message());
  }
  error_code ignored;
  socket_.set_option(tcp::no_delay(true), ignored);
  open_ = true;
  do_read();
  load_.connected();
}

// Appends the next message, with its own MSH-10 and one of 100,000 patients, to what is
// written next.
void Connection::send(Clock::time_point due) {
  Sent s{};
  char id[24];
  const int length = std::snprintf(id, sizeof id, "R%02uC%03zuN%012llu", load_.run_number() % 100,
                                   index_ % 1000, static_cast<unsigned long long>(next_number_++));
  if (length != static_cast<int>(kIdMark.size())) {
    return load_.failed("MSH-10 does not fit its place");
  }
  std::memcpy(s.control_id, id, sizeof s.control_id);
  s.due = due;
  std::memcpy(message_.data() + id_at_, id, kIdMark.size());
  patient_ = patient_ * 6364136223846793005ULL + 1442695040888963407ULL;
  char patient[16];
  std::snprintf(patient, sizeof patient, "%07llu",
                static_cast<unsigned long long>((patient_ >> 33) % 100000));
  std::memcpy(message_.data() + patient_at_ + 2, patient, 7);
  if (load_.options().unique_orders) {
    write_order(next_number_ - 1);
  }
  pending_ += message_;
  sent_.push_back(s);
  load_.sent();
  do_write();
}

// Order and visit numbers of message `number`, as wide as the template's.
void Connection::write_order(std::uint64_t number) {
  char order[24];
  std::snprintf(order, sizeof order, "X%02u%03zu%07llu", load_.run_number() % 100, index_ % 1000,
                static_cast<unsigned long long>(number % 10'000'000));
  for (const std::size_t at : order_at_) {
    std::memcpy(message_.data() + at, order, kOrderMark.size());
  }
  char visit[24];
  std::snprintf(visit, sizeof visit, "V%02u%03zu%05llu", load_.run_number() % 100, index_ % 1000,
                static_cast<unsigned long long>(number / 2 % 100'000));
  std::memcpy(message_.data() + visit_at_, visit, kVisitMark.size());
}

void Connection::do_write() {
  if (write_busy_ || pending_.empty() || !open_) {
    return;
  }
  write_busy_ = true;
  writing_.swap(pending_);
  net::async_write(socket_, net::buffer(writing_),
                   [this](const error_code& ec, std::size_t) { on_write(ec); });
}

void Connection::on_write(const error_code& ec) {
  write_busy_ = false;
  if (ec) {
    return load_.failed("write: " + ec.message());
  }
  writing_.clear();
  do_write();
}

void Connection::do_read() {
  socket_.async_read_some(net::buffer(read_buffer_.get(), kReadBytes),
                          [this](const error_code& ec, std::size_t n) { on_read(ec, n); });
}

void Connection::on_read(const error_code& ec, std::size_t bytes) {
  if (ec) {
    if (open_) {
      load_.failed("read: " + ec.message());
    }
    return;
  }
  inbox_.append(read_buffer_.get(), bytes);
  take_frames();
  if (open_) {
    do_read();
  }
}

void Connection::take_frames() {
  std::size_t at = 0;
  for (;;) {
    const std::size_t begin = inbox_.find(kStartBlock, at);
    if (begin == std::string::npos) {
      at = inbox_.size();
      break;
    }
    const std::size_t end = inbox_.find(kEndBlock, begin);
    if (end == std::string::npos || end + 1 >= inbox_.size()) {
      at = begin;
      break;
    }
    const std::string_view ack(inbox_.data() + begin + 1, end - begin - 1);
    at = end + 2;
    if (sent_.empty()) {
      load_.failed("an ACK came for no message");
      continue;
    }
    const Sent s = sent_.front();
    sent_.pop_front();
    load_.answered(*this, s, ack);
  }
  inbox_.erase(0, at);
}

void Connection::close() {
  open_ = false;
  error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

LoadResult Load::run() {
  error_code ec;
  const tcp::endpoint endpoint(net::ip::make_address(options_.host, ec), options_.port);
  if (ec) {
    result_.error = "bad host: " + ec.message();
    return result_;
  }
  latencies_us_.reserve(1 << 20);
  for (auto& c : connections_) {
    c->start(endpoint);
  }
  ioc_.run();
  for (const auto& c : connections_) {
    result_.unanswered += c->in_flight();
  }
  result_.seconds = std::chrono::duration<double>(measure_to_ - measure_from_).count();
  result_.measured = latencies_us_.size();
  if (result_.seconds > 0) {
    result_.messages_per_second = static_cast<double>(result_.measured) / result_.seconds;
  }
  if (!latencies_us_.empty()) {
    std::sort(latencies_us_.begin(), latencies_us_.end());
    const auto at = [&](double q) {
      const auto i = static_cast<std::size_t>(q * static_cast<double>(latencies_us_.size() - 1));
      return latencies_us_[i] / 1000.0;
    };
    result_.p50_ms = at(0.50);
    result_.p99_ms = at(0.99);
    result_.max_ms = latencies_us_.back() / 1000.0;
  }
  return result_;
}

void Load::connected() {
  if (++connected_ == connections_.size()) {
    begin();
  }
}

// Warm-up starts once every connection is up: each fills its window (closed loop), or the
// clock starts handing out due messages (rate mode).
void Load::begin() {
  phase_ = Phase::warmup;
  started_ = Clock::now();
  phase_timer_.expires_after(options_.warmup);
  phase_timer_.async_wait([this](const error_code& ec) {
    if (!ec) {
      next_phase();
    }
  });
  if (options_.rate > 0) {
    return on_tick();
  }
  for (auto& c : connections_) {
    for (std::size_t i = 0; i < options_.window; ++i) {
      c->send(Clock::now());
    }
  }
}

void Load::next_phase() {
  if (phase_ == Phase::warmup) {
    phase_ = Phase::measuring;
    measure_from_ = Clock::now();
    phase_timer_.expires_after(options_.measure);
    phase_timer_.async_wait([this](const error_code& ec) {
      if (!ec) {
        next_phase();
      }
    });
    return;
  }
  if (phase_ == Phase::measuring) {
    phase_ = Phase::draining;
    measure_to_ = Clock::now();
    tick_.cancel();
    phase_timer_.expires_after(options_.drain_timeout);
    phase_timer_.async_wait([this](const error_code& ec) {
      if (!ec && phase_ != Phase::done) {
        failed("ACKs still owed after the drain timeout");
      }
    });
    maybe_finish();
  }
}

void Load::on_tick() {
  if (phase_ != Phase::warmup && phase_ != Phase::measuring) {
    return;
  }
  send_due();
  tick_.expires_after(kTick);
  tick_.async_wait([this](const error_code& ec) {
    if (!ec) {
      on_tick();
    }
  });
}

// Rate mode: message n is due at start + n / rate. Due messages go round-robin to connections
// with room in their window; what finds no room waits for the next tick, keeping its due time.
void Load::send_due() {
  const double elapsed = std::chrono::duration<double>(Clock::now() - started_).count();
  const auto due_now = static_cast<std::uint64_t>(elapsed * options_.rate);
  while (scheduled_ < due_now) {
    Connection* room = nullptr;
    for (std::size_t tried = 0; tried < connections_.size() && room == nullptr; ++tried) {
      Connection& c = *connections_[round_robin_++ % connections_.size()];
      room = c.in_flight() < options_.window ? &c : nullptr;
    }
    if (room == nullptr) {
      return;
    }
    const auto due = started_ + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(static_cast<double>(scheduled_) / options_.rate));
    room->send(due);
    ++scheduled_;
  }
}

void Load::answered(Connection& c, const Sent& sent, std::string_view ack) {
  const Clock::time_point now = Clock::now();
  ++result_.answered;
  std::string_view code;
  std::string_view acked;
  if (!read_msa(ack, code, acked) || acked != std::string_view(sent.control_id, 20)) {
    if (result_.mismatched++ == 0) {
      failed("ACK for " + std::string(sent.control_id, 20) + " answers another message: " +
             std::string(ack));
    }
  } else if (code != "AA" && code != "CA") {
    if (result_.negative++ == 0) {
      failed("negative ACK: " + std::string(ack));
    }
  }
  if (phase_ == Phase::measuring) {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(now - sent.due);
    latencies_us_.push_back(static_cast<std::uint32_t>(std::max<std::int64_t>(us.count(), 0)));
  }
  if (options_.rate <= 0 && (phase_ == Phase::warmup || phase_ == Phase::measuring)) {
    c.send(now);
  } else if (options_.rate > 0 && (phase_ == Phase::warmup || phase_ == Phase::measuring)) {
    send_due();
  }
  maybe_finish();
}

void Load::maybe_finish() {
  if (phase_ != Phase::draining) {
    return;
  }
  for (const auto& c : connections_) {
    if (c->in_flight() != 0) {
      return;
    }
  }
  finish();
}

void Load::failed(const std::string& what) {
  if (result_.error.empty()) {
    result_.error = what;
  }
  if (phase_ == Phase::measuring) {
    measure_to_ = Clock::now();
  } else if (phase_ != Phase::draining) {
    measure_to_ = measure_from_;  // nothing was measured
  }
  finish();
}

void Load::finish() {
  if (phase_ == Phase::done) {
    return;
  }
  phase_ = Phase::done;
  tick_.cancel();
  phase_timer_.cancel();
  for (auto& c : connections_) {
    c->close();
  }
}

}  // namespace

std::string bench_oru_template() {
  std::string m =
      "MSH|^~\\&|LIS_DK|BV_TINH|HIS|BV_TINH|20260305081500+0700||ORU^R01^ORU_R01|";
  m += kIdMark;
  m += "|P|2.5|||AL|NE|VNM|UNICODE UTF-8\r"
       "PID|1||BN0000000^^^BV_TINH^PI~0123456789^^^BHXH^HC||Nguyễn^Hoa^Thị^^^^L||19850412|F|||"
       "Tổ 5^Phường Chiềng Lề^Thành phố Sơn La^Sơn La^^VNM||||||||||||Kinh\r"
       "PV1|1|O|KHAM^P101^01^BV_TINH||||BS01^Lò^Văn Pao||||||||||||VV260305001^^^BV_TINH^VN\r"
       "ORC|RE|XN260305-0001^HIS|L0001^LIS||CM\r"
       "OBR|1|XN260305-0001^HIS|L0001^LIS|HH^Tổng phân tích tế bào máu^L|||20260305074000+0700"
       "|||||||20260305075500+0700||||||||20260305081200+0700||HEM|F\r";
  int set_id = 1;
  for (const Test& t : kTests) {
    char obx[256];
    std::snprintf(obx, sizeof obx, "OBX|%d|NM|%s^%s^L||%s|%s|%s|%s|||F|||20260305081000+0700\r",
                  set_id++, t.code, t.name, t.value, t.unit, t.range, t.flag);
    if (m.size() + std::strlen(obx) > kTargetBytes - 120) {
      break;
    }
    m += obx;
  }
  // v2.5.1 §2.7: escapes in a comment, as LIS notes carry them.
  m += "NTE|1|L|Mẫu \\T\\ huyết thanh \\F\\ lipemia nhẹ; kết quả đã được duyệt. ";
  while (m.size() < kTargetBytes - 1) {
    m += '.';
  }
  m += '\r';
  return m;
}

LoadResult run_load(const LoadOptions& options) {
  LoadResult result;
  std::thread client([&] {
    pthread_setname_np(pthread_self(), "load");
    Load load(options);
    result = load.run();
  });
  client.join();
  return result;
}

}  // namespace hisbridge::bench

#include "fault_injectors/proxy/proxy_link.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <algorithm>

#include "scenario/schedule.hpp"

namespace faultline::proxy {

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

/// After a failed accept (out of file descriptors, say), wait this long
/// before the next one instead of spinning.
constexpr auto kAcceptBackoff = 10ms;

}  // namespace

Link::Link(asio::any_io_executor ex, std::string name, std::string to, tcp::endpoint server, tcp::acceptor acceptor,
           const RunClock& clock, bool http)
    : ex_(ex),
      name_(std::move(name)),
      to_(std::move(to)),
      server_(std::move(server)),
      acceptor_(std::move(acceptor)),
      backoff_(ex),
      clock_(clock),
      http_(http) {
  boost::system::error_code ec;
  port_ = acceptor_.local_endpoint(ec).port();
}

Link::~Link() {
  stop();
  *alive_ = false;
}

void Link::start() { asio::co_spawn(ex_, accept_loop(alive_), asio::detached); }

void Link::stop() {
  stopped_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  backoff_.cancel();
  for (auto& [serial, c] : snapshot()) c->abort(false);
}

asio::awaitable<void> Link::accept_loop(std::shared_ptr<bool> alive) {
  while (*alive && !stopped_) {
    auto [ec, socket] = co_await acceptor_.async_accept(kTuple);
    if (!*alive || stopped_) break;
    if (ec) {
      backoff_.expires_after(kAcceptBackoff);
      co_await backoff_.async_wait(kTuple);
      if (!*alive) break;
      continue;
    }
    accepted(std::move(socket));
  }
}

void Link::accepted(tcp::socket socket) {
  ++accepted_;
  const std::uint64_t serial = ++next_serial_;
  auto c = std::make_shared<Connection>(ex_, std::move(socket), server_, counters_,
                                        [this, serial](Connection&) { connections_.erase(serial); }, http_);
  connections_[serial] = c;
  for (auto& a : active_) {
    Effect e = draw(a, serial);
    if (!e.any()) continue;
    ++windows_[a.window].connections;
    c->attach(a.id, std::move(e));
  }
  c->start();
}

Effect Link::draw(Active& a, std::uint64_t serial) {
  std::mt19937_64 rng(mix_seed(a.label.seed, serial));
  if (a.label.toxicity < 1.0 && std::uniform_real_distribution<double>(0.0, 1.0)(rng) >= a.label.toxicity) return {};
  return a.fault->effect(rng);
}

std::uint64_t Link::add_fault(std::shared_ptr<LinkFault> fault, FaultLabel label) {
  const std::uint64_t id = ++next_fault_;
  LinkFaultWindow w;
  w.fault = label.fault;
  w.kind = label.kind;
  w.iteration = label.iteration;
  w.start = clock_.now();
  windows_.push_back(w);
  active_.push_back(Active{id, std::move(fault), std::move(label), windows_.size() - 1});
  Active& a = active_.back();
  for (auto& [serial, c] : snapshot()) {
    Effect e = draw(a, serial);
    if (!e.any()) continue;
    ++windows_[a.window].connections;
    c->attach(id, std::move(e));
  }
  return id;
}

void Link::remove_fault(std::uint64_t id) {
  auto it = std::find_if(active_.begin(), active_.end(), [&](const Active& a) { return a.id == id; });
  if (it != active_.end()) {
    windows_[it->window].end = clock_.now();
    active_.erase(it);
  }
  for (auto& [serial, c] : snapshot()) c->detach(id);
}

bool Link::applied(std::uint64_t id) const {
  if (std::any_of(active_.begin(), active_.end(), [&](const Active& a) { return a.id == id; })) return true;
  return std::any_of(connections_.begin(), connections_.end(), [&](const auto& kv) { return kv.second->has(id); });
}

LinkStats Link::stats() const {
  LinkStats s;
  s.name = name_;
  s.to = to_;
  s.port = port_;
  s.connections = accepted_;
  s.bytes_upstream = counters_.upstream.bytes;
  s.bytes_downstream = counters_.downstream.bytes;
  s.discarded_upstream = counters_.upstream.discarded;
  s.discarded_downstream = counters_.downstream.discarded;
  s.corrupted_upstream = counters_.upstream.corrupted;
  s.corrupted_downstream = counters_.downstream.corrupted;
  s.resets = counters_.resets;
  s.faults = windows_;
  if (http_) {
    const HttpCounters& h = counters_.http;
    s.http = LinkHttpStats{h.requests, h.matched, h.aborted, h.delayed, h.replaced, h.malformed};
  }
  return s;
}

std::vector<std::pair<std::uint64_t, std::shared_ptr<Connection>>> Link::snapshot() const {
  return {connections_.begin(), connections_.end()};
}

}  // namespace faultline::proxy

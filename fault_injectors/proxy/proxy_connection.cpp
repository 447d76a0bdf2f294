#include "fault_injectors/proxy/proxy_connection.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace faultline::proxy {

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

/// The proxy forwards what it reads at once: Nagle's algorithm would only
/// add latency that no fault asked for.
void no_delay(tcp::socket& s) {
  boost::system::error_code ignored;
  s.set_option(tcp::no_delay(true), ignored);
}

/// Closes with an RST instead of a FIN: SO_LINGER on with a zero timeout.
void close_with_reset(tcp::socket& s) {
  if (!s.is_open()) return;
  boost::system::error_code ignored;
  s.set_option(asio::socket_base::linger(true, 0), ignored);
  s.close(ignored);
}

void close_orderly(tcp::socket& s) {
  if (!s.is_open()) return;
  boost::system::error_code ignored;
  s.shutdown(tcp::socket::shutdown_both, ignored);
  s.close(ignored);
}

}  // namespace

Connection::Connection(asio::any_io_executor ex, tcp::socket client, tcp::endpoint server, LinkCounters& counters,
                       std::function<void(Connection&)> done, bool http)
    : ex_(ex),
      client_(std::move(client)),
      server_(ex),
      server_endpoint_(std::move(server)),
      counters_(counters),
      done_(std::move(done)),
      up_(ex, client_, server_, counters.upstream,
          {[this](bool reset) { abort(reset); }, [this] { pipe_finished(); }}),
      down_(ex, server_, client_, counters.downstream,
            {[this](bool reset) { abort(reset); }, [this] { pipe_finished(); }}),
      connect_wake_(ex, TimePoint::max()) {
  no_delay(client_);
  down_.dst_ready();  // the client is connected from the start
  if (http) {
    // Stage id 0 is no fault's (their ids start at 1): the framing stays for the connection's life.
    http_ = std::make_shared<HttpExchange>(counters.http, [this] { down_.poke(); });
    up_.add_stage(0, http_->request_stage());
    down_.add_stage(0, http_->response_stage());
  }
}

void Connection::start() {
  if (over_ || started_) return;
  started_ = true;
  auto self = shared_from_this();
  asio::co_spawn(ex_, up_.read_loop(self), asio::detached);
  asio::co_spawn(ex_, up_.write_loop(self), asio::detached);
  asio::co_spawn(ex_, connect(self), asio::detached);
}

asio::awaitable<void> Connection::connect(std::shared_ptr<Connection> self) {
  while (!over_ && !holds_.empty()) {
    connect_wake_.expires_at(TimePoint::max());
    co_await connect_wake_.async_wait(kTuple);
  }
  if (over_) co_return;
  auto [ec] = co_await server_.async_connect(server_endpoint_, kTuple);
  if (over_) co_return;
  if (ec) {
    // The server refused or is gone: the client learns it as a reset, the
    // closest a proxy can come to a refused connection.
    abort(true);
    co_return;
  }
  connected_ = true;
  no_delay(server_);
  up_.dst_ready();
  asio::co_spawn(ex_, down_.read_loop(self), asio::detached);
  asio::co_spawn(ex_, down_.write_loop(self), asio::detached);
}

void Connection::attach(std::uint64_t fault, Effect effect) {
  if (over_) return;
  if (effect.upstream) up_.add_stage(fault, std::move(effect.upstream));
  if (effect.downstream) down_.add_stage(fault, std::move(effect.downstream));
  if (effect.hold_connect && !connected_) holds_.insert(fault);
  if (effect.http && http_) http_->add_rule(fault, std::move(effect.http), effect.http_seed);
  if (effect.action == Effect::Action::none) return;
  if (effect.after.count() <= 0) {
    run_action(fault, effect.action);
    return;
  }
  auto timer = std::make_unique<asio::steady_timer>(ex_, effect.after);
  timer->async_wait([self = shared_from_this(), fault, action = effect.action](const boost::system::error_code& ec) {
    if (!ec) self->run_action(fault, action);
  });
  actions_[fault] = std::move(timer);
}

void Connection::detach(std::uint64_t fault) {
  up_.remove_stage(fault);
  down_.remove_stage(fault);
  if (holds_.erase(fault) && holds_.empty()) connect_wake_.cancel();
  if (http_ && http_->has_rule(fault)) {
    http_->remove_rule(fault);
    // An http.delay reverted: what it held (a request, a response, the
    // rest of a body) goes now, not when its delay would have ended. With
    // another delay still applied nothing is released early: held bytes do
    // not say which rule held them.
    if (!http_->delaying()) {
      const TimePoint now = SteadyClock::now();
      http_->release(now);
      up_.release(0, now);
      down_.release(0, now);
    }
  }
  if (auto it = actions_.find(fault); it != actions_.end()) {
    it->second->cancel();
    actions_.erase(it);
  }
}

bool Connection::has(std::uint64_t fault) const {
  return up_.has_stage(fault) || down_.has_stage(fault) || holds_.count(fault) || actions_.count(fault) ||
         (http_ && http_->has_rule(fault));
}

void Connection::run_action(std::uint64_t fault, Effect::Action action) {
  actions_.erase(fault);
  if (over_) return;
  if (action == Effect::Action::reset) ++counters_.resets;
  abort(action == Effect::Action::reset);
}

void Connection::abort(bool reset) {
  if (over_) return;
  auto self = shared_from_this();  // the callbacks below may drop the last other reference
  up_.stop();
  down_.stop();
  if (reset) {
    close_with_reset(client_);
    close_with_reset(server_);
  } else {
    close_orderly(client_);
    close_orderly(server_);
  }
  end();
}

void Connection::pipe_finished() {
  if (over_ || !up_.done() || !down_.done()) return;
  // Both peers closed their side and each close was delivered: the
  // connection is over without anything left to say.
  auto self = shared_from_this();
  boost::system::error_code ignored;
  client_.close(ignored);
  server_.close(ignored);
  end();
}

void Connection::end() {
  over_ = true;
  for (auto& [fault, timer] : actions_) timer->cancel();
  actions_.clear();
  holds_.clear();
  connect_wake_.cancel();
  if (done_) {
    auto done = std::move(done_);
    done_ = nullptr;
    done(*this);
  }
}

}  // namespace faultline::proxy

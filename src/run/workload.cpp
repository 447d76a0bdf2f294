#include "run/workload.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "os/netns.hpp"
#include "os/subprocess.hpp"
#include "scenario/placeholders.hpp"

namespace faultline {

using asio::ip::tcp;

std::set<std::uint64_t> parse_seqs(std::string_view out) {
  std::set<std::uint64_t> seqs;
  std::size_t i = 0;
  while (i < out.size()) {
    if (out[i] < '0' || out[i] > '9') {
      ++i;
      continue;
    }
    std::uint64_t v = 0;
    bool overflow = false;
    for (; i < out.size() && out[i] >= '0' && out[i] <= '9'; ++i) {
      const std::uint64_t d = static_cast<std::uint64_t>(out[i] - '0');
      if (v > (UINT64_MAX - d) / 10) overflow = true;
      v = v * 10 + d;
    }
    if (!overflow) seqs.insert(v);
  }
  return seqs;
}

std::string write_text(std::string_view tmpl, std::uint64_t seq, int iteration) {
  return substitute(tmpl, Bindings{{"seq", std::to_string(seq)}, {"iteration", std::to_string(iteration)}});
}

struct WorkloadWriter::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::any_io_executor e, const RunClock& c, const WorkloadSpec& s, int it, std::uint64_t& seq)
      : ex(e), clock(c), spec(s), iteration(it), next_seq(seq), tick(e), done_signal(e) {}

  asio::any_io_executor ex;
  const RunClock& clock;
  WorkloadSpec spec;
  int iteration;
  std::uint64_t& next_seq;
  asio::steady_timer tick;
  asio::steady_timer done_signal;
  std::vector<WriteOutcome> writes;
  std::optional<tcp::socket> socket;
  bool connected = false;
  std::string pending;  ///< bytes read past the last reply line
  bool stopping = false;
  bool done = true;

  Nanos interval() const { return std::chrono::duration_cast<Nanos>(std::chrono::duration<double>(1.0 / spec.rate)); }

  /// One request and its reply line on the workload's connection (opened if
  /// needed), within the write's timeout. The deadline closes the socket,
  /// which ends whatever operation is pending on it at once; after an error
  /// or a timeout the connection is dropped (a late reply would otherwise
  /// answer the next request) and the next write opens a new one.
  asio::awaitable<bool> tcp_write(std::uint64_t seq) {
    const std::string request = write_text(spec.send, seq, iteration);
    if (!socket) {
      socket.emplace(ex);
      connected = false;
    }
    struct Deadline {
      bool fired = false;
    };
    auto deadline = std::make_shared<Deadline>();
    asio::steady_timer limit(ex);
    limit.expires_after(std::chrono::duration_cast<SteadyClock::duration>(spec.timeout));
    tcp::socket* sock = &*socket;
    limit.async_wait([deadline, sock](const boost::system::error_code& ec) {
      if (ec || deadline->fired) return;
      deadline->fired = true;
      boost::system::error_code ignored;
      sock->close(ignored);
    });
    bool ack = false, failed = false;
    try {
      if (!connected) {
        const tcp::endpoint ep = endpoint();
        // From the run's hub with network = "namespaces": the socket is
        // created there and keeps that namespace for its whole life.
        if (!spec.netns.empty())
          socket->assign(ep.protocol(), socket_in_netns(spec.netns, ep.protocol().family(), SOCK_STREAM));
        co_await socket->async_connect(ep, asio::use_awaitable);
        socket->set_option(tcp::no_delay(true));
        connected = true;
        pending.clear();
      }
      co_await asio::async_write(*socket, asio::buffer(request), asio::use_awaitable);
      const std::size_t n =
          co_await asio::async_read_until(*socket, asio::dynamic_buffer(pending), '\n', asio::use_awaitable);
      ack = pending.substr(0, n).find(spec.expect) != std::string::npos;
      pending.erase(0, n);
    } catch (const std::exception&) {
      failed = true;
    }
    const bool timed_out = deadline->fired;
    deadline->fired = true;  // a late expiry must not close the next connection
    limit.cancel();
    if (failed || timed_out) {
      boost::system::error_code ignored;
      socket->close(ignored);
      socket.reset();
      ack = false;
    }
    co_return ack;
  }

  /// The server's address: a literal address, else resolved (once per connection).
  tcp::endpoint endpoint() {
    const auto port = static_cast<std::uint16_t>(std::stoul(spec.port));
    boost::system::error_code ec;
    const auto addr = asio::ip::make_address(spec.host, ec);
    if (!ec) return {addr, port};
    tcp::resolver resolver(ex);
    return *resolver.resolve(spec.host, spec.port).begin();
  }

  asio::awaitable<bool> exec_write(std::uint64_t seq) {
    SpawnOptions opts;
    for (const auto& a : spec.write.argv) opts.argv.push_back(write_text(a, seq, iteration));
    opts.argv = in_netns(spec.netns, std::move(opts.argv));
    const CommandResult r = co_await run_command(ex, std::move(opts), spec.timeout, 4096);
    co_return r.start_error.empty() && !r.timed_out && r.status.success();
  }

  asio::awaitable<void> loop(Nanos start) {
    // `done` on every way out, so that stop() never waits for a loop that ended.
    struct Done {
      Impl& impl;
      ~Done() {
        impl.done = true;
        impl.done_signal.cancel();
      }
    } on_exit{*this};
    const Nanos step = interval();
    std::int64_t k = 0;
    while (!stopping) {
      tick.expires_at(clock.at(start + k * step));
      boost::system::error_code ec;
      co_await tick.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (stopping) break;
      WriteOutcome w;
      w.seq = next_seq++;
      w.start = clock.now();
      try {
        w.acknowledged = spec.kind == WorkloadKind::tcp ? co_await tcp_write(w.seq) : co_await exec_write(w.seq);
      } catch (const std::exception&) {
        w.acknowledged = false;
      }
      w.end = clock.now();
      writes.push_back(w);
      // Fixed rate: the next tick is the first one not yet past; ticks that
      // came while this write was in flight are skipped.
      k = std::max<std::int64_t>(k + 1, (w.end - start) / step + 1);
    }
    if (socket) {
      boost::system::error_code ec;
      socket->close(ec);
      socket.reset();
    }
  }
};

WorkloadWriter::WorkloadWriter(asio::any_io_executor ex, const RunClock& clock, const WorkloadSpec& spec,
                               int iteration, std::uint64_t& next_seq)
    : impl_(std::make_shared<Impl>(ex, clock, spec, iteration, next_seq)) {}

WorkloadWriter::~WorkloadWriter() {
  impl_->stopping = true;
  impl_->tick.cancel();
}

void WorkloadWriter::start(Nanos start) {
  impl_->done = false;
  auto self = impl_;
  asio::co_spawn(impl_->ex, [self, start]() -> asio::awaitable<void> { co_await self->loop(start); }, asio::detached);
}

asio::awaitable<void> WorkloadWriter::stop() {
  impl_->stopping = true;
  impl_->tick.cancel();
  // The write in flight ends within its timeout; past that (and a margin)
  // the loop is left to finish on its own rather than hold the run up.
  const auto deadline = SteadyClock::now() + std::chrono::duration_cast<SteadyClock::duration>(impl_->spec.timeout) +
                        std::chrono::seconds(1);
  while (!impl_->done && SteadyClock::now() < deadline) {
    impl_->done_signal.expires_at(deadline);
    boost::system::error_code ec;
    co_await impl_->done_signal.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

const std::vector<WriteOutcome>& WorkloadWriter::writes() const { return impl_->writes; }

asio::awaitable<ReadOutcome> read_workload(asio::any_io_executor ex, const WorkloadSpec& spec, int iteration) {
  SpawnOptions opts;
  const Bindings b{{"iteration", std::to_string(iteration)}};
  for (const auto& a : spec.read.argv) opts.argv.push_back(substitute(a, b));
  opts.argv = in_netns(spec.netns, std::move(opts.argv));
  const CommandResult r = co_await run_command(ex, std::move(opts), spec.read_timeout, 64 * 1024 * 1024);
  ReadOutcome out;
  if (!r.start_error.empty()) {
    out.error = r.start_error;
  } else if (r.timed_out) {
    out.error = "timed out after " + format_duration(spec.read_timeout);
  } else if (!r.status.success()) {
    std::string err = r.err.size() > 500 ? r.err.substr(r.err.size() - 500) : r.err;
    while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
    out.error = r.status.describe() + (err.empty() ? "" : ": " + err);
  } else {
    out.ok = true;
    out.present = parse_seqs(r.out);
  }
  co_return out;
}

}  // namespace faultline

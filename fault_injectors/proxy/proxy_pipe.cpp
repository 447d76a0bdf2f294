#include "fault_injectors/proxy/proxy_pipe.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <algorithm>

namespace faultline::proxy {

namespace {

constexpr std::size_t kChunk = 64 * 1024;
/// The reader pauses above this many queued bytes and resumes below half of it.
constexpr std::size_t kHighWater = 4 * 1024 * 1024;

/// The direct path lets other coroutines run after this many chunks in a row.
constexpr int kBurst = 16;

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

}  // namespace

Pipe::Pipe(asio::any_io_executor ex, tcp::socket& src, tcp::socket& dst, DirectionCounters& counters, Hooks hooks)
    : src_(src),
      dst_(dst),
      counters_(counters),
      hooks_(std::move(hooks)),
      buffer_(kChunk),
      writer_wake_(ex, TimePoint::max()),
      reader_wake_(ex, TimePoint::max()) {}

bool Pipe::non_blocking() {
  if (nonblocking_) return true;
  boost::system::error_code ec;
  src_.non_blocking(true, ec);  // the direct path must never block the run's only thread
  if (!ec) dst_.non_blocking(true, ec);
  nonblocking_ = !ec;
  return nonblocking_;
}

asio::awaitable<Pipe::Step> Pipe::direct_step() {
  const ssize_t n = ::read(src_.native_handle(), buffer_.data(), buffer_.size());
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
    co_await src_.async_wait(tcp::socket::wait_read, kTuple);
    co_return stopped_ ? Step::ended : Step::waited;
  }
  if (n <= 0) {
    Item end;
    end.kind = n == 0 ? Item::Kind::close : Item::Kind::reset;
    feed(0, std::move(end), SteadyClock::now());
    co_return Step::ended;
  }
  writing_ = true;
  std::size_t done = 0;
  bool failed = false;
  while (done < static_cast<std::size_t>(n) && !stopped_) {
    const ssize_t m = ::send(dst_.native_handle(), buffer_.data() + done, static_cast<std::size_t>(n) - done, MSG_NOSIGNAL);
    if (m > 0) {
      done += static_cast<std::size_t>(m);
      counters_.bytes += static_cast<std::uint64_t>(m);
    } else if (m < 0 && (errno == EAGAIN || errno == EINTR)) {
      co_await dst_.async_wait(tcp::socket::wait_write, kTuple);
    } else {
      failed = true;
      break;
    }
  }
  writing_ = false;
  if (stopped_) co_return Step::ended;
  if (failed) {
    hooks_.abort(true);
    co_return Step::ended;
  }
  if (!out_.empty() || !slots_.empty()) wake_writer();
  co_return Step::moved;
}

asio::awaitable<void> Pipe::read_loop(std::shared_ptr<void> keep) {
  int burst = 0;
  while (!stopped_) {
    if (queued_bytes_ >= kHighWater) {
      reader_wake_.expires_at(TimePoint::max());
      co_await reader_wake_.async_wait(kTuple);
      continue;
    }
    if (pass_through() && non_blocking()) {
      const Step step = co_await direct_step();
      if (step == Step::ended) break;
      if (step == Step::moved && ++burst % kBurst == 0)
        co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
      continue;  // moved or waited: whether the fast path still applies is for the next turn to see
    }
    auto [ec, n] = co_await src_.async_read_some(asio::buffer(buffer_), kTuple);
    if (stopped_) break;
    if (ec) {
      // The end of the source travels like data, so that a fault that holds
      // data holds the close or the reset behind it too.
      Item end;
      end.kind = ec == asio::error::eof ? Item::Kind::close : Item::Kind::reset;
      feed(0, std::move(end), SteadyClock::now());
      break;
    }
    if (pass_through()) {
      writing_ = true;
      auto [wec, written] = co_await asio::async_write(dst_, asio::buffer(buffer_.data(), n), kTuple);
      writing_ = false;
      if (stopped_) break;
      if (wec) {
        hooks_.abort(true);
        break;
      }
      counters_.bytes += written;
      if (!out_.empty() || !slots_.empty()) wake_writer();
      continue;
    }
    Item item;
    item.bytes.assign(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(n));
    queued_bytes_ += n;
    feed(0, std::move(item), SteadyClock::now());
  }
  (void)keep;
}

asio::awaitable<void> Pipe::write_loop(std::shared_ptr<void> keep) {
  while (!stopped_ && !done_) {
    advance(SteadyClock::now());
    if (!out_.empty() && !writing_ && ready_) {
      Item item = std::move(out_.front());
      out_.pop_front();
      if (item.kind == Item::Kind::close) {
        done_ = true;
        boost::system::error_code ignored;
        dst_.shutdown(tcp::socket::shutdown_send, ignored);
        hooks_.finished();
        break;
      }
      if (item.kind == Item::Kind::reset) {
        done_ = true;
        hooks_.abort(true);
        break;
      }
      writing_ = true;
      auto [ec, written] = co_await asio::async_write(dst_, asio::buffer(item.bytes), kTuple);
      writing_ = false;
      queued_bytes_ -= item.bytes.size();
      if (queued_bytes_ < kHighWater / 2) wake_reader();
      if (stopped_) break;
      if (ec) {
        hooks_.abort(true);
        break;
      }
      counters_.bytes += written;
      continue;
    }
    // Nothing to write yet: sleep until the next item falls due, or until
    // the reader, a new or removed stage or the connection wakes us.
    writer_wake_.expires_at(out_.empty() ? next_due() : TimePoint::max());
    co_await writer_wake_.async_wait(kTuple);
  }
  (void)keep;
}

void Pipe::dst_ready() {
  ready_ = true;
  wake_writer();
}

void Pipe::add_stage(std::uint64_t fault, std::unique_ptr<Stage> stage) {
  slots_.push_back(Slot{fault, std::move(stage), {}});
}

bool Pipe::remove_stage(std::uint64_t fault) {
  auto it = std::find_if(slots_.begin(), slots_.end(), [&](const Slot& s) { return s.fault == fault; });
  if (it == slots_.end()) return false;
  std::deque<Item> held = std::move(it->queue);
  const auto next = static_cast<std::size_t>(it - slots_.begin());
  slots_.erase(it);
  // Everything the stage held is released now and enters the next stage (or
  // the writer) behind what already left it: the order is kept.
  const TimePoint now = SteadyClock::now();
  for (auto& item : held) feed(next, std::move(item), now);
  wake_writer();
  return true;
}

bool Pipe::has_stage(std::uint64_t fault) const {
  return std::any_of(slots_.begin(), slots_.end(), [&](const Slot& s) { return s.fault == fault; });
}

void Pipe::stop() {
  stopped_ = true;
  done_ = true;
  wake_writer();
  wake_reader();
}

void Pipe::feed(std::size_t first, Item item, TimePoint arrival) {
  if (first >= slots_.size()) {
    item.due = arrival;
    out_.push_back(std::move(item));
    wake_writer();
    return;
  }
  StageOutput out{slots_[first].queue};
  slots_[first].stage->push(std::move(item), arrival, out);
  if (out.discarded) {
    counters_.discarded += out.discarded;
    queued_bytes_ -= std::min<std::size_t>(queued_bytes_, out.discarded);
    if (queued_bytes_ < kHighWater / 2) wake_reader();
  }
  wake_writer();
}

void Pipe::advance(TimePoint now) {
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    auto& queue = slots_[i].queue;
    while (!queue.empty() && queue.front().due <= now) {
      Item item = std::move(queue.front());
      queue.pop_front();
      const TimePoint left = item.due;  // its own time, not the writer's wake-up: delays do not add up
      if (i + 1 < slots_.size()) {
        StageOutput out{slots_[i + 1].queue};
        slots_[i + 1].stage->push(std::move(item), left, out);
        counters_.discarded += out.discarded;
        queued_bytes_ -= std::min<std::size_t>(queued_bytes_, out.discarded);
      } else {
        out_.push_back(std::move(item));
      }
    }
  }
}

TimePoint Pipe::next_due() const {
  TimePoint next = TimePoint::max();
  for (const auto& s : slots_)
    if (!s.queue.empty()) next = std::min(next, s.queue.front().due);
  return next;
}

void Pipe::wake_writer() { writer_wake_.cancel(); }

void Pipe::wake_reader() { reader_wake_.cancel(); }

}  // namespace faultline::proxy

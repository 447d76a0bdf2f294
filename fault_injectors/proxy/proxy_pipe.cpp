#include "fault_injectors/proxy/proxy_pipe.hpp"


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

/// The fast path lets other coroutines run after this many chunks in a row.
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
  src_.non_blocking(true, ec);  // the fast path must never block the run's only thread
  if (!ec) dst_.non_blocking(true, ec);
  nonblocking_ = !ec;
  return nonblocking_;
}

asio::awaitable<Pipe::Step> Pipe::splice_step() {
  const Splice::Result result =
      splice_.step(src_.native_handle(), dst_.native_handle(), counters_.bytes, counters_.spliced);
  switch (result) {
    case Splice::Result::moved:
      co_return Step::moved;
    case Splice::Result::moved_all:
    case Splice::Result::src_wait:
      co_await src_.async_wait(tcp::socket::wait_read, kTuple);
      co_return stopped_ ? Step::ended : Step::waited;
    case Splice::Result::dst_wait:
      // The kernel pipe holds bytes, the oldest in flight: they go first. If a
      // fault arrives meanwhile, add_stage drains them into its stage, and
      // the next turn finds the pipe empty and reads through the stages.
      co_await dst_.async_wait(tcp::socket::wait_write, kTuple);
      co_return stopped_ ? Step::ended : Step::waited;
    case Splice::Result::eof:
    case Splice::Result::src_failed: {
      // The pipe is empty: the source's close or reset is the next thing to
      // deliver, and it travels like data (see read_loop).
      Item end;
      end.kind = result == Splice::Result::eof ? Item::Kind::close : Item::Kind::reset;
      feed(0, std::move(end), SteadyClock::now());
      co_return Step::ended;
    }
    case Splice::Result::dst_failed:
      break;
  }
  hooks_.abort(true);
  co_return Step::ended;
}

asio::awaitable<void> Pipe::read_loop(std::shared_ptr<void> keep) {
  int burst = 0;
  while (!stopped_) {
    if (queued_bytes_ >= kHighWater) {
      reader_wake_.expires_at(TimePoint::max());
      co_await reader_wake_.async_wait(kTuple);
      continue;
    }
    if (slots_.empty() && ready_ && (!out_.empty() || writing_)) {
      // The last fault was removed and the writer still delivers what it
      // held: reading on would keep the copying path busy for as long as the
      // source has data, so the reader lets the writer catch up, and then
      // splices again.
      reader_wake_.expires_at(TimePoint::max());
      co_await reader_wake_.async_wait(kTuple);
      continue;
    }
    if (pass_through() && non_blocking()) {
      const Step step = co_await splice_step();
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
    // What left every stage at once (an HTTP link's framing with no fault
    // acting on it) is written here, as the pass-through writes, rather than
    // one wake-up later by the writer; still one write at a time, in order.
    advance(SteadyClock::now());
    while (!stopped_ && !writing_ && ready_ && !out_.empty() && out_.front().kind == Item::Kind::data) {
      Item ready = std::move(out_.front());
      out_.pop_front();
      writing_ = true;
      auto [wec, written] = co_await asio::async_write(dst_, asio::buffer(ready.bytes), kTuple);
      writing_ = false;
      queued_bytes_ -= ready.bytes.size();
      if (stopped_) break;
      if (wec) {
        hooks_.abort(true);
        break;
      }
      counters_.bytes += written;
    }
    // The writer may have gone to sleep while this wrote (it cannot write
    // while another write is under way) with a later item still inside a
    // stage: it must wake to time that item, not only to write out_.
    if (!out_.empty() || !slots_.empty()) wake_writer();
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
      if (out_.empty() && slots_.empty()) wake_reader();  // caught up: the reader may splice again
      continue;
    }
    // Nothing to write yet: sleep until the next item falls due, or until
    // the reader, a new or removed stage or the connection wakes us.
    // While the reader writes (out_ waits for it), the next due item still
    // needs its timer: the reader's wake-up may come before it is due.
    writer_wake_.expires_at(out_.empty() || writing_ ? next_due() : TimePoint::max());
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
  if (splice_.held() == 0) return;
  // The fast path's pipe holds bytes not yet delivered (the reader waits for
  // the destination): they are the oldest in flight, so they enter the
  // stage first, as one chunk that arrived now. The reader finds the pipe
  // empty when it wakes and reads through the stages from then on.
  Item item;
  item.bytes = splice_.drain();
  queued_bytes_ += item.bytes.size();
  feed(0, std::move(item), SteadyClock::now());
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
  counters_.corrupted += out.corrupted;
  queued_bytes_ += static_cast<std::size_t>(out.added);  // wraps back for a negative one, as intended
  if (out.discarded) {
    counters_.discarded += out.discarded;
    queued_bytes_ -= std::min<std::size_t>(queued_bytes_, out.discarded);
    if (queued_bytes_ < kHighWater / 2) wake_reader();
  }
  wake_writer();
}

void Pipe::advance(TimePoint now) {
  const std::size_t before = queued_bytes_;
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    auto& queue = slots_[i].queue;
    while (!queue.empty() && queue.front().due <= now) {
      Item item = std::move(queue.front());
      queue.pop_front();
      const TimePoint left = item.due;  // its own time, not the writer's wake-up: delays do not add up
      if (i + 1 < slots_.size()) {
        StageOutput out{slots_[i + 1].queue};
        slots_[i + 1].stage->push(std::move(item), left, out);
        queued_bytes_ += static_cast<std::size_t>(out.added);
        counters_.discarded += out.discarded;
        counters_.corrupted += out.corrupted;
        queued_bytes_ -= std::min<std::size_t>(queued_bytes_, out.discarded);
      } else {
        out_.push_back(std::move(item));
      }
    }
  }
  // A later stage discarded what an earlier one held (a blackhole behind a
  // latency): the reader, parked at the high-water mark, waits for exactly
  // this, and no write will ever wake it.
  if (queued_bytes_ < before && queued_bytes_ < kHighWater / 2) wake_reader();
}

void Pipe::release(std::uint64_t fault, TimePoint now) {
  for (auto& slot : slots_) {
    if (slot.fault != fault) continue;
    for (auto& item : slot.queue) item.due = std::min(item.due, now);  // still in order: dues never decrease
    slot.stage->release(now);
  }
  wake_writer();
}

TimePoint Pipe::next_due() const {
  TimePoint next = TimePoint::max();
  for (const auto& s : slots_)
    if (!s.queue.empty()) next = std::min(next, s.queue.front().due);
  return next;
}

void Pipe::poke() {
  if (stopped_ || slots_.empty()) return;
  feed(0, Item{}, SteadyClock::now());
}

void Pipe::wake_writer() { writer_wake_.cancel(); }

void Pipe::wake_reader() { reader_wake_.cancel(); }

}  // namespace faultline::proxy

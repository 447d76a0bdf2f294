// StopSource: one flag and the set of timers currently waiting on it. A
// request cancels every registered timer, so each wait wakes up at once and
// reports that it was stopped. Everything runs on one single-threaded
// io_context, so no locking is needed.
#include "os/stop.hpp"

#include <signal.h>

#include <boost/asio/error.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

namespace faultline {

namespace {

volatile sig_atomic_t g_early_signal = 0;
constexpr int kStopSignals[] = {SIGINT, SIGTERM, SIGHUP};
struct sigaction g_previous[3];
bool g_saved = false;

extern "C" void remember_stop_signal(int sig) {
  if (g_early_signal == 0) g_early_signal = sig;
}

/// Keeps a timer registered in a StopSource for the duration of one wait.
class Registration {
 public:
  Registration(std::set<asio::steady_timer*>& set, asio::steady_timer* timer)
      : set_(set), timer_(timer) {
    set_.insert(timer_);
  }
  ~Registration() { set_.erase(timer_); }
  Registration(const Registration&) = delete;
  Registration& operator=(const Registration&) = delete;

 private:
  std::set<asio::steady_timer*>& set_;
  asio::steady_timer* timer_;
};

}  // namespace

void StopSource::request(int signal) {
  if (!requested_) {
    requested_ = true;
    signal_ = signal;
  }
  for (auto* timer : waiting_) timer->cancel();
}

void catch_stop_signals_early() {
  struct sigaction sa {};
  sa.sa_handler = remember_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (int i = 0; i < 3; ++i) ::sigaction(kStopSignals[i], &sa, g_saved ? nullptr : &g_previous[i]);
  g_saved = true;
}

int early_stop_signal() { return g_early_signal; }

void release_early_stop_signals() {
  if (!g_saved) return;
  for (int i = 0; i < 3; ++i) ::sigaction(kStopSignals[i], &g_previous[i], nullptr);
  g_saved = false;
  if (const int sig = g_early_signal) {
    g_early_signal = 0;
    ::raise(sig);
  }
}

int exit_code_for_stop_signal(int sig) { return sig == SIGINT ? 130 : 143; }

asio::awaitable<bool> StopSource::sleep_until(TimePoint deadline) {
  if (requested_) co_return false;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_at(deadline);
  boost::system::error_code ec;
  {
    Registration reg(waiting_, &timer);
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  if (requested_) co_return false;
  // Aborted without a stop request: the caller's own operation was cancelled
  // (e.g. it lost a race); that is not "the deadline was reached".
  if (ec) throw boost::system::system_error(ec);
  co_return true;
}

asio::awaitable<bool> StopSource::sleep_for(Nanos d) {
  co_return co_await sleep_until(SteadyClock::now() +
                                 std::chrono::duration_cast<SteadyClock::duration>(d));
}

}  // namespace faultline

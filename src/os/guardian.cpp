// The guardian's script and the controller's end of it (guardian.hpp says
// what it does and why it is built so). The controller's end is a Child
// (its local process: /bin/sh for LocalShell, the ssh client for SshShell)
// with two pipes: its stdin, written without ever blocking (a line that
// does not fit is dropped: a renewal lost is renewed a third of a lease
// later), and its stdout, read line by line on the event loop.
#include "os/guardian.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/readable_pipe.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstring>
#include <fmt/format.h>
#include <stdexcept>

#include "os/clock.hpp"
#include "os/fd.hpp"
#include "os/subprocess.hpp"

namespace faultline {

using namespace asio::experimental::awaitable_operators;

namespace {

/// Centiseconds, the unit of /proc/uptime, at least 1.
long long centis(Nanos d) {
  const auto cs = std::chrono::duration_cast<std::chrono::milliseconds>(d).count() / 10;
  return cs > 0 ? cs : 1;
}

/// Writes `line` to the non-blocking `fd`: true when all of it went. A
/// reader that is gone (EPIPE) raises no SIGPIPE, whatever the process does
/// with it (blocked around the write, the one raised taken back).
bool write_line(int fd, std::string_view line) noexcept {
  if (fd < 0) return false;
  sigset_t pipe_only, old, pending;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  ::pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
  sigpending(&pending);
  const bool was_pending = sigismember(&pending, SIGPIPE) == 1;
  ssize_t n;
  do {
    n = ::write(fd, line.data(), line.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0 && errno == EPIPE && !was_pending) {
    const timespec now{};
    while (::sigtimedwait(&pipe_only, nullptr, &now) < 0 && errno == EINTR) {
    }
  }
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return n == static_cast<ssize_t>(line.size());
}

}  // namespace

std::string guardian_marker(const std::string& id) { return "faultline-guardian " + id; }

std::string guardian_script(const GuardianSpec& spec) {
  // Every line is plain POSIX sh (dash, bash --posix, busybox ash); the
  // only Linux-specific piece is /proc/uptime, the host's monotonic clock
  // in centiseconds once the dot is dropped (leading zeros stripped, or
  // $((...)) would read octal). A `sleep` that refuses fractions makes the
  // tick one second.
  return fmt::format(
      R"(: {marker}
trap '' PIPE
why= renew=
trap 'renew=1' USR1
trap 'why=${{why:-controller}}' USR2
trap 'why=${{why:-hangup}}' HUP
trap 'why=${{why:-terminated}}' TERM INT
lease={lease} cap={cap}
revert_script={revert}
now() {{ read t _ </proc/uptime; t=${{t%.*}}${{t#*.}}; while :; do case $t in 0?*) t=${{t#0}} ;; *) break ;; esac; done; }}
if sleep 0.01 2>/dev/null; then nap={nap}; else nap=1; fi
exec 3<&0
{{ while IFS= read -r l; do case $l in renew) kill -USR1 $$ ;; revert) kill -USR2 $$; exit 0 ;; esac; done; kill -HUP $$; }} <&3 >/dev/null 2>&1 &
rp=$!
exec 3<&- 0</dev/null
now; start=$t; last=$t
echo "armed $$"
while [ -z "$why" ]; do
  now
  if [ -n "$renew" ]; then renew=; last=$t; fi
  if [ $((t - last)) -ge $lease ]; then why=lease; break; fi
  if [ $cap -gt 0 ] && [ $((t - start)) -ge $cap ]; then why=duration; break; fi
  sleep $nap & sp=$!
  wait $sp || {{ kill $sp 2>/dev/null; wait $sp 2>/dev/null; }}
done
kill -KILL $rp 2>/dev/null; wait $rp 2>/dev/null
(eval "$revert_script") </dev/null >&2
st=$?
echo "reverted $why $st"
exit $st
)",
      fmt::arg("marker", guardian_marker(spec.id)), fmt::arg("lease", centis(spec.lease)),
      fmt::arg("cap", spec.cap > Nanos::zero() ? centis(spec.cap) : 0), fmt::arg("revert", shell_quote(spec.revert)),
      fmt::arg("nap", fmt::format("{}.{}", kGuardianTick.count() / 1'000'000'000,
                                  kGuardianTick.count() % 1'000'000'000 / 100'000'000)));
}

std::optional<GuardianEnd> parse_guardian_end(std::string_view line) {
  constexpr std::string_view head = "reverted ";
  if (line.substr(0, head.size()) != head) return std::nullopt;
  line.remove_prefix(head.size());
  const auto space = line.find(' ');
  if (space == std::string_view::npos || space == 0) return std::nullopt;
  GuardianEnd end;
  end.reason = std::string(line.substr(0, space));
  const auto num = line.substr(space + 1);
  const auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), end.revert_status);
  if (ec != std::errc() || p != num.data() + num.size()) return std::nullopt;
  return end;
}

struct Guardian::State {
  State(asio::any_io_executor ex, std::string h, GuardianSpec s)
      : host(std::move(h)), spec(std::move(s)), out(ex), timer(ex) {}
  std::string host;
  GuardianSpec spec;
  std::unique_ptr<Child> child;
  UniqueFd in;               ///< the guardian's stdin (non-blocking)
  asio::readable_pipe out;   ///< the guardian's stdout
  asio::steady_timer timer;  ///< the renewals' pace
  std::string buf;           ///< stdout read but not yet split into lines
  bool eof = false;
  bool closed = false;     ///< no more renewals (reverting, or the controller's end gone)
  bool reverting = false;  ///< revert() owns the ending
  pid_t remote_pid = 0;

  /// The next line of stdout, or nullopt at EOF or once `deadline` passed.
  asio::awaitable<std::optional<std::string>> line(TimePoint deadline) {
    for (;;) {
      if (auto nl = buf.find('\n'); nl != std::string::npos) {
        std::string l = buf.substr(0, nl);
        buf.erase(0, nl + 1);
        co_return l;
      }
      if (eof || SteadyClock::now() >= deadline) co_return std::nullopt;
      char chunk[512];
      boost::system::error_code ec;
      asio::steady_timer t(out.get_executor());
      t.expires_at(deadline);
      auto r = co_await (out.async_read_some(asio::buffer(chunk), asio::redirect_error(asio::use_awaitable, ec)) ||
                         t.async_wait(asio::use_awaitable));
      if (r.index() == 1) co_return std::nullopt;
      const std::size_t n = std::get<0>(r);
      if (n > 0 && buf.size() < 64 * 1024) buf.append(chunk, n);
      if (ec) eof = true;
    }
  }

  /// Closes stdin and stops renewing.
  void close() {
    closed = true;
    in.reset();
    timer.cancel();
  }

  /// Waits until the local end exits (at most until `deadline`), then stops it.
  asio::awaitable<void> reap(TimePoint deadline) {
    if (!child) co_return;
    asio::steady_timer t(out.get_executor());
    t.expires_at(deadline);
    co_await (child->wait() || t.async_wait(asio::use_awaitable));
    co_await child->stop(SIGKILL, Nanos::zero());
  }
};

namespace {

/// Renews every lease/3 until closed; then, unless revert() took over,
/// gives the guardian a moment to revert on its EOF and reaps its local end.
asio::awaitable<void> keep_renewing(std::shared_ptr<Guardian::State> s) {
  while (!s->closed) {
    s->timer.expires_after(std::chrono::duration_cast<SteadyClock::duration>(s->spec.lease / 3));
    boost::system::error_code ec;
    co_await s->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (s->closed) break;
    write_line(s->in.get(), "renew\n");
  }
  if (!s->reverting) co_await s->reap(SteadyClock::now() + std::chrono::seconds(10));
}

}  // namespace

Guardian::Guardian(std::shared_ptr<State> state) : state_(std::move(state)) {}

Guardian::~Guardian() {
  if (!state_->reverting) state_->close();
}

pid_t Guardian::remote_pid() const { return state_->remote_pid; }
const std::string& Guardian::host() const { return state_->host; }

bool Guardian::renew() { return !state_->closed && write_line(state_->in.get(), "renew\n"); }

asio::awaitable<std::unique_ptr<Guardian>> Guardian::start(asio::any_io_executor ex, const RemoteShell& shell,
                                                           GuardianSpec spec, Nanos timeout) {
  const std::string where = shell.host().empty() ? std::string("this machine") : "host '" + shell.host() + "'";
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0) throw std::runtime_error(fmt::format("guardian on {}: pipe: {}", where, std::strerror(errno)));
  UniqueFd in_r(in[0]), in_w(in[1]);
  if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error(fmt::format("guardian on {}: pipe: {}", where, std::strerror(errno)));
  UniqueFd out_r(out[0]), out_w(out[1]);
  ::fcntl(in_w.get(), F_SETFL, ::fcntl(in_w.get(), F_GETFL) | O_NONBLOCK);

  auto s = std::make_shared<State>(ex, shell.host(), std::move(spec));
  SpawnOptions opts;
  opts.argv = shell.argv(guardian_script(s->spec));
  opts.log = s->spec.log;
  opts.in_fd = in_r.get();
  opts.out_fd = out_w.get();
  s->child = Child::spawn(ex, opts);  // throws, naming the command
  in_r.reset();
  out_w.reset();  // only the guardian holds its ends now
  s->in = std::move(in_w);
  s->out.assign(out_r.release());

  const auto deadline = SteadyClock::now() + std::chrono::duration_cast<SteadyClock::duration>(timeout);
  std::string said;
  while (auto l = co_await s->line(deadline)) {
    if (l->rfind("armed ", 0) == 0) {
      s->remote_pid = static_cast<pid_t>(std::atol(l->c_str() + 6));
      break;
    }
    said = *l;
  }
  if (s->remote_pid <= 0) {
    s->close();
    co_await s->reap(SteadyClock::now() + std::chrono::seconds(2));
    const auto st = s->child->status();
    throw std::runtime_error(fmt::format("could not leave a guardian on {}: {}{}", where,
                                         st ? st->describe() : std::string("it did not arm in time"),
                                         said.empty() ? std::string() : " (" + said + ")"));
  }
  asio::co_spawn(ex, keep_renewing(s), asio::detached);
  co_return std::unique_ptr<Guardian>(new Guardian(std::move(s)));
}

asio::awaitable<GuardianEnd> Guardian::revert(Nanos timeout) {
  auto s = state_;  // the renewal loop may outlive this call's caller
  const auto deadline = SteadyClock::now() + std::chrono::duration_cast<SteadyClock::duration>(timeout);
  s->reverting = true;
  if (!s->closed) write_line(s->in.get(), "revert\n");
  GuardianEnd end;
  while (auto l = co_await s->line(deadline)) {
    if (auto e = parse_guardian_end(*l)) {
      end = *e;
      break;
    }
  }
  s->close();
  co_await s->reap(deadline);
  co_return end;
}

}  // namespace faultline

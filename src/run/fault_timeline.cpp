// The fault timeline of an iteration (phase 4c of runner.cpp): inject,
// hold and revert at the seeded offsets, every step recorded in the crash
// ledger before it can matter, so that whatever kills the harness, the
// watchdog or `faultline cleanup` knows what to undo. Also the test hook
// that lets the fault matrix stop a run at an exact moment of a fault.
#include "run/run.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fmt/format.h>

#include "os/fd_reserve.hpp"
#include "run/target_select.hpp"
#include "scenario/check_context.hpp"
#include "scenario/dynamic_target.hpp"

namespace faultline {

namespace {

/// What a data fault did (issue 19), once inject returned: its damage goes
/// to `ev` (unless the fault failed: a partial damage is in its error), and
/// the line to log is returned ("" when there is nothing to say). Not a
/// coroutine: GCC 12 mis-compiles conditionals in coroutine bodies.
std::string record_done(FaultEvent& ev, const Injector& injector) {
  FaultDone did = injector.done();
  if (ev.ok) ev.damage = std::move(did.damage);
  return did.what.empty() ? std::string() : fmt::format("{}: {}", ev.fault, did.what);
}

}  // namespace

void Run::ledger_state(std::size_t event, const std::string& state) {
  for (auto& f : ledger_->faults)
    if (f.id == std::to_string(event)) f.state = state;
  save_progress();
}

void Run::save_progress() {
  try {
    ledger_note(save_ledger(*ledger_, Durability::crash_safe));
  } catch (const std::exception& e) {
    // The revert must not depend on a writable disk: the fault's state is
    // kept here, and the watchdog re-reverts from the older copy (idempotent).
    fail(Outcome::harness_error, fmt::format("the crash ledger could not record the run's progress: {}", e.what()));
  }
}

void Run::ledger_note(const std::string& note) {
  if (note.empty() || ledger_noted_) return;
  ledger_noted_ = true;
  warn("the crash ledger was not written the usual way (atomically, both copies): " + note);
}

asio::awaitable<void> Run::test_hook(std::string_view moment, const std::string& fault) {
  if (test_block_in_ != moment) co_return;
  test_block_in_.clear();  // once per run
  const std::string line = fmt::format("faultline-test-hook: in {} of fault '{}'\n", moment, fault);
  if (::write(STDERR_FILENO, line.data(), line.size()) < 0) co_return;
  co_await stop_.sleep_for(std::chrono::hours(24));
}

InjectorContext Run::context(int it) {
  InjectorContext ctx{io_.get_executor(), *clone_, stop_, Bindings{{"iteration", std::to_string(it)}},
                      &links_, rec_.seed, it, network_, 0, remote_.get(), run_dir_};
  return ctx;
}

asio::awaitable<void> Run::apply_faults(int it, IterationWindow& w) {
  const auto plan = schedule_iteration(s_, rec_.seed, it);
  const TimePoint t0 = clock_.at(w.start);
  std::size_t next = 0;
  bool first = true;
  for (;;) {
    // The earliest pending revert, if any.
    Applied* due = nullptr;
    for (auto& a : applied_)
      if (a.revert_due && (!due || *a.revert_due < *due->revert_due)) due = &a;
    const bool inject_next =
        next < plan.size() && (!due || t0 + plan[next].offset < *due->revert_due);
    if (!inject_next && !due) break;
    if (inject_next) {
      phase(it, "fault timeline", w.start + plan[next].offset, "inject " + s_.faults[plan[next].fault].name);
      if (!co_await stop_.sleep_until(t0 + plan[next].offset)) co_return;
      const FaultEvent& ev = rec_.faults[co_await inject(it, plan[next])];
      // Reverted by a stop while it was being applied: it has no t_inject,
      // and the timeline ends here (the stop ends the iteration).
      if (!ev.inject_end) co_return;
      // A timed action (injection = false) is no injection: measurement never sees it.
      if (ev.injection && first) {
        w.inject_start = ev.inject_start;
        w.inject = *ev.inject_end;
        w.first_fault = ev.fault;
        first = false;
      } else if (ev.injection) {
        w.later_injections.emplace_back(ev.inject_start, *ev.inject_end, ev.fault);
      }
      ++next;
    } else {
      phase(it, "fault timeline");
      if (!co_await stop_.sleep_until(*due->revert_due)) co_return;
      const FaultEvent& ev = rec_.faults[co_await revert(*due)];
      // Nothing more is injected once something could not be undone.
      if (!ev.ok) throw HarnessError(fmt::format("fault '{}' could not be reverted: {}", ev.fault, ev.error));
      if (ev.revert_end) w.revert = std::max(w.revert.value_or(Nanos{0}), *ev.revert_end);
    }
  }
}

asio::awaitable<std::size_t> Run::inject(int it, const PlannedInjection& p) {
  const FaultSpec& declared = s_.faults[p.fault];
  FaultEvent ev;
  ev.iteration = it;
  ev.fault = declared.repeat > 1 ? fmt::format("{} ({}/{})", declared.name, p.repetition, declared.repeat) : declared.name;
  ev.kind = declared.kind;
  ev.target = declared.target;
  ev.injection = declared.injection;
  rec_.faults.push_back(ev);
  const std::size_t idx = rec_.faults.size() - 1;

  // A dynamic target is chosen now, right before the fault's prepare.
  auto chosen = co_await choose_target(idx, declared);
  const FaultSpec& spec = chosen ? *chosen : declared;
  Applied a{make_injector(spec, s_.network), idx, std::nullopt, nullptr};
  a.spec = std::move(chosen);  // kept while the fault lives: the injector may refer to it
  auto ctx = context(it);
  ctx.event = idx;
  try {
    co_await a.injector->prepare(ctx);
  } catch (const FaultError& e) {
    fault_failed(idx, "cannot be applied", e);
  }
  // The intent goes to the crash ledger (fsynced) before anything is
  // applied: if the harness dies from here on, the watchdog or `faultline
  // cleanup` knows what to undo. A run that cannot record it must not apply.
  try {
    ledger_->faults.push_back({std::to_string(idx), ev.fault, ev.kind, "applying", a.injector->undo_plan(ctx)});
    ledger_note(save_ledger(*ledger_));
  } catch (const std::exception& e) {
    throw HarnessError(fmt::format("fault '{}' not applied: cannot write the crash ledger: {}", ev.fault, e.what()));
  }
  // From here on the fault may be (partly) applied: it is in applied_ so
  // that every exit path reverts it.
  applied_.push_back(std::move(a));
  // Who owns the injector: applied_, and nothing reverts while this
  // coroutine waits in it: a stop only ends the waits, and phase 5 (the
  // revert of everything, shut_down) starts after the timeline has returned,
  // on the same single chain of coroutines (run.cpp main). The UBSan report
  // of issue 16 here ("member call on ... invalid vptr" with no descriptor
  // free) was the sanitizer's own: see meson.build. The entry is found again
  // by its event after the wait all the same: a reference into a vector is
  // not kept across a suspension.
  auto still_applied = [this, idx]() -> Applied* {
    for (auto& x : applied_)
      if (x.event == idx) return &x;
    return nullptr;
  };
  rec_.faults[idx].inject_start = clock_.now();
  scheduler_->cut(rec_.faults[idx].inject_start);
  try {
    co_await applied_.back().injector->inject(ctx);
  } catch (const FaultError& e) {
    fault_failed(idx, "could not be applied", e);
  }
  co_await test_hook("inject", rec_.faults[idx].fault);
  Applied* found = still_applied();
  if (!found) co_return idx;  // reverted by a stop while it was being applied
  Applied& held = *found;
  const Nanos t_inject = clock_.now();
  scheduler_->cut(t_inject);
  rec_.faults[idx].inject_end = t_inject;
  log(fmt::format("inject {}: {}", rec_.faults[idx].fault, held.injector->describe()));
  // What a data fault did (issue 19): its offsets and bytes, logged and recorded.
  if (const std::string did = record_done(rec_.faults[idx], *held.injector); !did.empty()) log(did);
  const FaultEvent& ev_now = rec_.faults[idx];
  const std::string label =
      fmt::format("{} ({}{}{})", ev_now.fault, ev_now.kind, ev_now.target.empty() ? "" : " ", target_text(ev_now));
  if (held.injector->reversible() && p.hold) {
    held.revert_due = clock_.at(t_inject + *p.hold);
    obs_.fault_applied(t_inject, idx, label, t_inject + *p.hold);
    ledger_state(idx, "applied");
    co_await test_hook("hold", rec_.faults[idx].fault);
  } else {
    // Nothing to undo (a kill, a restart, an exec without revert).
    std::erase_if(applied_, [idx](const Applied& x) { return x.event == idx; });
    obs_.fault_applied(t_inject, idx, label, std::nullopt);
    ledger_state(idx, "reverted");
  }
  co_return idx;
}

namespace {

/// Places the chosen `name` in `spec` and on its event; the log line. Not a
/// coroutine: GCC 12 mis-compiles conditionals in coroutine bodies.
std::string record_choice(FaultEvent& ev, FaultSpec& spec, const std::string& name, Nanos took) {
  const TargetSelect& sel = *spec.select;
  place_selected(spec, name);
  ev.target = name;
  ev.selected = sel.as.empty() ? "selected" : sel.as;
  return fmt::format("{}: {} is {} (`{}` succeeded for it alone among {}; chosen in {})", ev.fault, sel.key,
                     target_text(ev), sel.command.display(), join_comma(sel.among), format_ms(took));
}

}  // namespace

asio::awaitable<std::unique_ptr<FaultSpec>> Run::choose_target(std::size_t event, const FaultSpec& declared) {
  if (!declared.select) co_return nullptr;
  const TargetSelect& sel = *declared.select;
  const Nanos start = clock_.now();
  // Named, not temporaries of the co_await: GCC 12 mis-evaluates a
  // conditional there (it read the hub of a null network plan).
  const auto bindings = candidate_bindings(s_, sel, network_);
  std::string hub;
  if (network_) hub = network_->hub;
  std::optional<std::string> name;
  try {
    name = co_await select_target(io_.get_executor(), sel, bindings, hub, stop_);
  } catch (const FaultError& e) {
    fault_failed(event, "was not applied", e);
  }
  if (!name)
    throw HarnessError(fmt::format("fault '{}' was not applied: the run was stopped while its target was chosen",
                                   rec_.faults[event].fault));
  auto spec = std::make_unique<FaultSpec>(declared);
  log(record_choice(rec_.faults[event], *spec, *name, clock_.now() - start));
  co_return spec;
}

void Run::fault_failed(std::size_t event, std::string_view what, const FaultError& e) {
  rec_.faults[event].ok = false;
  rec_.faults[event].error = e.what();
  throw HarnessError(fmt::format("fault '{}' {}: {}", rec_.faults[event].fault, what, e.what()));
}

asio::awaitable<std::size_t> Run::revert(Applied& a) {
  FaultEvent& ev = rec_.faults[a.event];
  auto ctx = context(ev.iteration);
  ev.revert_start = clock_.now();
  co_await test_hook("revert", ev.fault);
  // The descriptors held in reserve are for this moment (fd_reserve.hpp).
  release_reserved_descriptors();
  try {
    co_await a.injector->revert(ctx);
    ev.revert_end = clock_.now();
    scheduler_->cut(*ev.revert_end);
    log(fmt::format("revert {}", ev.fault));
    ledger_state(a.event, "reverted");
  } catch (const FaultError& e) {
    ev.ok = false;
    ev.error = e.what();
    rec_.left_behind.push_back(fmt::format("{}: {} ({})", ev.fault, a.injector->describe(), e.what()));
    fail(Outcome::harness_error, fmt::format("fault '{}' could not be reverted: {}", ev.fault, e.what()));
  }
  if (!stop_.requested()) reserve_descriptors();  // for the next revert; teardown keeps them free
  const std::size_t event = a.event;
  obs_.fault_reverted(clock_.now(), event);
  std::erase_if(applied_, [&](const Applied& x) { return x.event == event; });
  co_return event;
}

}  // namespace faultline

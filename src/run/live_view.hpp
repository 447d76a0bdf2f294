// The live console view of a run on a terminal: a block at the bottom of the
// screen, redrawn in place, with the phase, iteration i of N, each applied
// fault with a countdown to its revert, a health strip per probe (its last
// samples as coloured blocks) and the elapsed time; event lines scroll above
// it as they happen. Split in two: the state and its rendering (LiveState,
// render_live_view: pure, tested as text) and the terminal side
// (LiveConsole: cursor movement, terminal size, writing).
#pragma once

#include <cstdint>
#include <cstdio>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "run/run_observer.hpp"

namespace faultline {

/// How many of a probe's latest samples its health strip shows.
inline constexpr std::size_t kStripLength = 40;

/// One probe as the live view shows it.
struct LiveProbe {
  std::string name;
  bool steady_state = true;
  std::deque<bool> recent;       ///< the latest outcomes, oldest first, at most kStripLength
  std::string failing_detail;    ///< the latest sample's detail when it failed
  std::uint64_t samples = 0;     ///< taken so far
};

/// A fault applied and not yet reverted (or, with nothing to revert, applied
/// in the current iteration).
struct LiveFault {
  std::size_t id = 0;
  std::string label;
  Nanos applied{0};
  std::optional<Nanos> revert_due;
};

/// Everything the live view shows, updated from the runner's reports.
struct LiveState {
  std::string scenario;
  std::string run_id;
  int iterations = 0;  ///< planned
  int iteration = 0;   ///< current; 0 before the first
  std::string phase;
  std::optional<Nanos> phase_until;  ///< what the phase counts down to...
  std::string phase_until_what;      ///< ...and what happens then ("deadline")
  std::vector<LiveFault> faults;
  std::vector<LiveProbe> probes;
  Nanos now{0};  ///< the latest time reported

  /// Scenario, run id, iterations and probes from the record of a run that begins.
  void begin(const RunRecord& rec);
  /// A new phase; faults with nothing to revert are dropped when the iteration changes.
  void enter_phase(Nanos at, int iteration, std::string_view what, std::optional<Nanos> until,
                   std::string_view until_what);
  void fault_applied(Nanos at, std::size_t id, std::string_view label, std::optional<Nanos> revert_due);
  void fault_reverted(Nanos at, std::size_t id);
  void add_sample(std::size_t probe, const Sample& s);
};

/// How the view is drawn.
struct LiveStyle {
  bool color = false;      ///< ANSI colours (green/red strips, yellow faults, bold header)
  std::size_t width = 80;  ///< no line is wider (in columns), so none wraps
  std::size_t height = 24; ///< the view takes at most height - 1 lines
};

/// The view as lines (without newlines). Health strips draw an ok sample as
/// a half block and a failing one as a full block, so that the shape tells
/// them apart without colour too.
std::vector<std::string> render_live_view(const LiveState& state, const LiveStyle& style);

/// `line` cut to `width` columns (ANSI colour sequences take none, each UTF-8
/// character one); a colour reset is appended when a coloured line was cut.
std::string fit_columns(std::string_view line, std::size_t width);

/// The live view on a terminal: keeps a LiveState, prints event lines above
/// the view and redraws it in place (ANSI cursor movement) on every change
/// and every refresh_interval().
class LiveConsole : public RunObserver {
 public:
  /// Writes the view and the events to `out` (a terminal) and warnings to `err`.
  explicit LiveConsole(bool color, std::FILE* out = stdout, std::FILE* err = stderr);

  void begin(const RunRecord& rec) override;
  void event(Nanos at, std::string_view text) override;
  void warning(Nanos at, std::string_view text) override;
  void phase(Nanos at, int iteration, std::string_view what, std::optional<Nanos> until,
             std::string_view until_what) override;
  void fault_applied(Nanos at, std::size_t id, std::string_view label, std::optional<Nanos> revert_due) override;
  void fault_reverted(Nanos at, std::size_t id) override;
  void sample(std::size_t probe, const Sample& s) override;
  Nanos refresh_interval() const override;
  void tick(Nanos now) override;
  /// Erases the view, so that the summary follows the event lines.
  void end(Nanos at) override;

  /// The state shown (for tests).
  const LiveState& state() const { return state_; }

 private:
  void advance(Nanos at);
  /// Erases the view, writes `above` (whole lines) and draws the view again.
  void redraw(std::string_view above = {});
  std::string erase() const;

  LiveState state_;
  bool color_;
  std::FILE* out_;
  std::FILE* err_;
  std::size_t drawn_ = 0;  ///< lines of the view on screen now
  bool below_output_ = false;  ///< an event line was written: the view may be drawn
  bool ended_ = false;
};

/// The observer for a console mode: PlainProgress or LiveConsole.
std::unique_ptr<RunObserver> make_run_observer(ConsoleMode mode, bool color);

}  // namespace faultline

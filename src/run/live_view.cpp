// The live console view (see live_view.hpp). The rendering is a pure
// function of LiveState; LiveConsole owns the terminal: it erases the view
// (cursor up over the lines it drew, clear to the end of the screen), prints
// whatever scrolls above it, and draws the view again, in one write so that
// the terminal never shows half a frame.
#include "run/live_view.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <fmt/format.h>

#include "run/progress.hpp"

namespace faultline {

namespace {

constexpr const char* kOkCell = "\u2584";    // lower half block
constexpr const char* kFailCell = "\u2588";  // full block

std::string paint(bool color, const char* code, std::string_view text) {
  return color ? fmt::format("\033[{}m{}\033[0m", code, text) : std::string(text);
}

std::string seconds(Nanos d) { return fmt::format("{:.1f} s", static_cast<double>(d.count()) / 1e9); }

/// Display columns of plain text (no escape sequences): one per UTF-8 character.
std::size_t columns(std::string_view s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string strip(const LiveProbe& p, bool color) {
  std::string out(kStripLength - p.recent.size(), ' ');
  // Equal neighbours share one colour sequence: a 40-cell strip stays short.
  std::size_t i = 0;
  while (i < p.recent.size()) {
    std::size_t j = i;
    std::string cells;
    while (j < p.recent.size() && p.recent[j] == p.recent[i]) cells += p.recent[j++] ? kOkCell : kFailCell;
    out += paint(color, p.recent[i] ? "32" : "31", cells);
    i = j;
  }
  return out;
}

std::string probe_status(const LiveProbe& p, bool color) {
  if (p.recent.empty()) return "no sample yet";
  if (p.recent.back()) return paint(color, "32", "ok");
  return paint(color, "31", "FAILING") + (p.failing_detail.empty() ? "" : ": " + p.failing_detail);
}

/// The countdown first, so that a narrow terminal cuts the label, not it.
std::string fault_line(const LiveFault& f, Nanos now, bool color) {
  std::string when;
  if (!f.revert_due)
    when = fmt::format("injected {} ago", seconds(now - f.applied));
  else if (*f.revert_due > now)
    when = "reverts in " + seconds(*f.revert_due - now);
  else
    when = "reverting";
  return fmt::format("fault    {:<20}  {}{}", when, paint(color, "33;1", f.label), f.revert_due ? "" : ", nothing to revert");
}

}  // namespace

void LiveState::begin(const RunRecord& rec) {
  scenario = rec.scenario_name;
  run_id = rec.run_id;
  iterations = rec.iteration_strategies.empty() ? rec.scenario.iterations
                                                : static_cast<int>(rec.iteration_strategies.size());
  probes.clear();
  for (const auto& p : rec.scenario.probes) probes.push_back(LiveProbe{p.name, p.steady_state, {}, {}, 0});
}

void LiveState::enter_phase(Nanos at, int it, std::string_view what, std::optional<Nanos> until,
                            std::string_view until_what) {
  now = std::max(now, at);
  if (it != iteration) std::erase_if(faults, [](const LiveFault& f) { return !f.revert_due; });
  iteration = it;
  phase = what;
  phase_until = until;
  phase_until_what = until_what;
}

void LiveState::fault_applied(Nanos at, std::size_t id, std::string_view label, std::optional<Nanos> revert_due) {
  now = std::max(now, at);
  faults.push_back(LiveFault{id, std::string(label), at, revert_due});
}

void LiveState::fault_reverted(Nanos at, std::size_t id) {
  now = std::max(now, at);
  std::erase_if(faults, [&](const LiveFault& f) { return f.id == id; });
}

void LiveState::add_sample(std::size_t probe, const Sample& s) {
  if (probe >= probes.size()) return;
  LiveProbe& p = probes[probe];
  p.recent.push_back(s.ok);
  if (p.recent.size() > kStripLength) p.recent.pop_front();
  p.failing_detail = s.ok ? "" : s.detail;
  ++p.samples;
}

std::string fit_columns(std::string_view line, std::size_t width) {
  std::string out;
  std::size_t cols = 0;
  bool colored = false;
  for (std::size_t i = 0; i < line.size();) {
    if (line[i] == '\033') {  // CSI: ESC [ parameters final-byte
      std::size_t j = i + 1;
      if (j < line.size() && line[j] == '[') ++j;
      while (j < line.size() && !(line[j] >= '@' && line[j] <= '~')) ++j;
      out.append(line.substr(i, j + 1 - i));
      colored = true;
      i = j + 1;
      continue;
    }
    if ((static_cast<unsigned char>(line[i]) & 0xC0) != 0x80) {
      if (cols == width) {
        if (colored) out += "\033[0m";
        return out;
      }
      ++cols;
    }
    out += line[i++];
  }
  return out;
}

std::vector<std::string> render_live_view(const LiveState& s, const LiveStyle& style) {
  const bool c = style.color;
  std::vector<std::string> lines;

  // The run, and how long it has been going.
  const std::string left = fmt::format("faultline  {}  run {}", s.scenario, s.run_id);
  const std::string right = "elapsed " + seconds(s.now);
  const std::size_t gap = columns(left) + columns(right) + 2 <= style.width ? style.width - columns(left) - columns(right) : 2;
  lines.push_back(paint(c, "1", left) + std::string(gap, ' ') + right);

  // Where it is.
  std::string where = s.iteration > 0 ? fmt::format("iteration {}/{}  ", s.iteration, s.iterations) : "";
  where += s.phase.empty() ? "starting" : s.phase;
  if (s.phase_until && *s.phase_until > s.now)
    where += fmt::format(", {} in {}", s.phase_until_what, seconds(*s.phase_until - s.now));
  lines.push_back(paint(c, "1", where));

  // What is applied.
  if (s.faults.empty()) lines.push_back("fault    none applied");
  for (const auto& f : s.faults) lines.push_back(fault_line(f, s.now, c));

  // How each probe is doing.
  std::size_t name_w = 0;
  for (const auto& p : s.probes) name_w = std::max(name_w, columns(p.name));
  name_w = std::min<std::size_t>(name_w, 24);
  if (!s.probes.empty())
    lines.push_back(fmt::format("probes   {:<{}}  {:<{}}  now", "", name_w, "last samples, newest right", kStripLength));
  const std::size_t room = style.height > lines.size() + 1 ? style.height - 1 - lines.size() : 1;
  for (std::size_t i = 0; i < s.probes.size(); ++i) {
    if (s.probes.size() > room && i + 1 == room) {
      lines.push_back(fmt::format("         ... and {} more probe(s)", s.probes.size() - i));
      break;
    }
    const LiveProbe& p = s.probes[i];
    std::string name = fit_columns(p.name, name_w);
    name += std::string(name_w - columns(name), ' ');
    lines.push_back(fmt::format("         {}  {}  {}{}", name, strip(p, c), probe_status(p, c),
                                p.steady_state ? "" : " (observed)"));
  }
  for (auto& l : lines) l = fit_columns(l, style.width);
  return lines;
}

// ---------------------------------------------------------------------------
// The terminal

LiveConsole::LiveConsole(bool color, std::FILE* out, std::FILE* err) : color_(color), out_(out), err_(err) {}

void LiveConsole::advance(Nanos at) { state_.now = std::max(state_.now, at); }

std::string LiveConsole::erase() const {
  // Up to the view's first line, then clear from there to the end of the screen.
  return drawn_ ? fmt::format("\033[{}A\r\033[J", drawn_) : std::string();
}

void LiveConsole::redraw(std::string_view above) {
  LiveStyle style;
  style.color = color_;
  winsize ws{};
  if (::ioctl(::fileno(out_), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0) {
    style.width = ws.ws_col;
    style.height = ws.ws_row;
  }
  std::string frame = erase();
  frame += above;
  drawn_ = 0;
  // The view is drawn below a first line of output, never from the top-left
  // corner: clearing from there to the end of the screen is "clearing the
  // screen" to some terminals (tmux's scroll-on-clear), which then keep the
  // erased view in their scrollback.
  below_output_ |= !above.empty();
  if (!ended_ && below_output_)
    for (const auto& l : render_live_view(state_, style)) {
      frame += l + "\n";
      ++drawn_;
    }
  std::fwrite(frame.data(), 1, frame.size(), out_);
  std::fflush(out_);
}

void LiveConsole::begin(const RunRecord& rec) {
  state_.begin(rec);
  redraw();
}

void LiveConsole::event(Nanos at, std::string_view text) {
  advance(at);
  redraw(progress_line(at, text, color_) + "\n");
}

void LiveConsole::warning(Nanos at, std::string_view text) {
  advance(at);
  // The view goes, the warning is written to stderr, the view comes back.
  const std::string gone = erase();
  std::fwrite(gone.data(), 1, gone.size(), out_);
  std::fflush(out_);
  drawn_ = 0;
  const std::string line =
      progress_line(at, color_ ? fmt::format("\033[33m{}\033[0m", text) : std::string(text), color_) + "\n";
  std::fwrite(line.data(), 1, line.size(), err_);
  std::fflush(err_);
  redraw();
}

void LiveConsole::phase(Nanos at, int iteration, std::string_view what, std::optional<Nanos> until,
                        std::string_view until_what) {
  state_.enter_phase(at, iteration, what, until, until_what);
  redraw();
}

void LiveConsole::fault_applied(Nanos at, std::size_t id, std::string_view label, std::optional<Nanos> revert_due) {
  state_.fault_applied(at, id, label, revert_due);
  redraw();
}

void LiveConsole::fault_reverted(Nanos at, std::size_t id) {
  state_.fault_reverted(at, id);
  redraw();
}

// Samples only change the state: at 1 kHz a redraw each would be a flood.
void LiveConsole::sample(std::size_t probe, const Sample& s) { state_.add_sample(probe, s); }

Nanos LiveConsole::refresh_interval() const { return std::chrono::milliseconds(100); }

void LiveConsole::tick(Nanos now) {
  advance(now);
  redraw();
}

void LiveConsole::end(Nanos at) {
  advance(at);
  ended_ = true;
  redraw();
}

std::unique_ptr<RunObserver> make_run_observer(ConsoleMode mode, bool color) {
  if (mode == ConsoleMode::live) return std::make_unique<LiveConsole>(color);
  return std::make_unique<PlainProgress>(mode == ConsoleMode::quiet, color);
}

}  // namespace faultline

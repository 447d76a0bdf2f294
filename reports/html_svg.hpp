// The SVG geometry the HTML report's charts share: the plot's extent in the
// viewBox, the time scale mapping run times onto it, the time axis and its
// grid, the left column of row labels, labels placed in rows so that they do
// not overlap, and what both charts draw of a record (each probe as runs of
// equal outcome, each fault's extent). The window of an iteration's charts
// is chosen here too (html.cpp's drawing rules). Pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "record/record.hpp"

namespace faultline::html {

/// Text escaped for HTML and SVG content and attributes (xml_escape).
std::string esc(std::string_view s);

/// An SVG coordinate with one decimal.
std::string n1(double v);

/// A duration in milliseconds.
double ms_of(Nanos d);

inline constexpr double kWidth = 1100;   ///< viewBox width of every chart
inline constexpr double kPlotX0 = 190;   ///< left edge of the plot (labels to its left)
inline constexpr double kPlotX1 = 1080;  ///< right edge of the plot
inline constexpr double kCharW = 6.4;    ///< average glyph width at font-size 11, for label fitting

/// Maps run times onto the plot's x range; `zero` is where "0 ms" is.
struct XScale {
  Nanos lo{0}, hi{1}, zero{0};
  std::string axis_title = "time relative to the injection (t_inject)";

  /// The x coordinate of `t`, clamped to the plot.
  double x(Nanos t) const;
  /// Whether `t` lies in [lo, hi].
  bool contains(Nanos t) const { return lo <= t && t <= hi; }
  /// "+12.5 ms" relative to zero, for tooltips.
  std::string rel(Nanos t) const;
};

/// The window of an iteration's charts: at most a third of the
/// post-injection span before the injection, to the end of observation.
XScale iteration_scale(const IterationMetrics& m);

/// A step of 1, 2 or 5 times a power of ten giving about `target` ticks over `span`.
double nice_step(double span, int target);

/// The decimals a tick label needs at `step`.
int decimals_for(double step);

/// Rows of labels: a label goes into the first row where it does not overlap
/// the previous label; none fits: -1 (the element keeps its tooltip).
class LabelRows {
 public:
  /// `rows` rows, all empty.
  explicit LabelRows(int rows) : right_(static_cast<std::size_t>(rows), -1e9) {}
  /// The row a label spanning [left, right] goes into, or -1.
  int place(double left, double right);

 private:
  std::vector<double> right_;
};

/// The width a label takes at font-size 11 (an estimate).
double text_width(std::string_view s);

/// `s` cut to at most `max` bytes with an ellipsis, never inside a UTF-8 sequence.
std::string truncate(const std::string& s, std::size_t max);

/// The vertical grid and the time axis under a plot spanning [top, bottom].
std::string time_axis(const XScale& xs, double top, double bottom);

/// A label in the left column.
std::string row_label(double y, const std::string& text, const std::string& cls = "row-label");

/// A fault event of an iteration, with the extent it covers.
struct FaultSpan {
  const FaultEvent* ev;
  Nanos from, to;
  bool left_applied;  ///< never reverted: drawn to the end of the window
};

/// The fault events of iteration `iteration`, in the record's order.
std::vector<FaultSpan> fault_spans(const RunRecord& r, int iteration, const XScale& xs);

/// A probe as the charts draw it: its runs, computed once per page.
struct Drawn {
  const ProbeSeries* probe;
  std::vector<SampleRun> runs;
  bool every_sample;  ///< the record keeps every sample: the latency chart draws them
};

/// Every probe of the record, as drawn.
std::vector<Drawn> drawn_probes(const RunRecord& r);

}  // namespace faultline::html

// The HTML report's comparison of strategies (issue 17): the conclusion,
// one row per strategy (as the console and Markdown tables have it, with how
// finely its times are known), the pairs with their intervals, the recovery
// times of every strategy as box plots side by side in one SVG (a shared
// time axis, one row each: whiskers from the fastest to the slowest
// iteration, the box from the first to the third quartile, the median, a dot
// per iteration; an iteration that never recovered sits at the right edge as
// "> deadline", never at a number), and the timeline of one representative
// iteration per strategy (the one whose recovery time is the strategy's
// median), drawn by html_timeline. A pure function of the record; "" for a
// run without strategies.
//
// Classes and data attributes (stable, as html.hpp's):
//   <section id="strategies">
//   <svg class="strategy-boxes">            the box plots
//   <g class="strategy-box" data-strategy=NAME data-rank=N>   one row
//   <line class="median" data-ns=...>        its median (absent when "> deadline")
//   <circle class="iteration-dot" data-iteration=N>           one per iteration
//   <figure class="strategy-timeline" data-strategy=NAME data-iteration=N>
#pragma once

#include <string>
#include <vector>

#include "record/record.hpp"
#include "reports/html_svg.hpp"

namespace faultline::html {

/// The iteration of strategy `name` whose recovery time is the strategy's
/// (nearest-rank) median, a never-recovered one counting as the slowest;
/// nullptr when none of its iterations was measured.
const IterationMetrics* representative_iteration(const RunRecord& r, const std::string& name);

/// The box plots of every strategy's recovery times, one row each.
std::string strategy_boxes_svg(const RunRecord& r);

/// The whole "Strategies" section, or "" without strategies.
std::string strategies_section(const RunRecord& r, const std::vector<Drawn>& probes);

}  // namespace faultline::html

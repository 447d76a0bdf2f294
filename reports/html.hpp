// The drill report: ONE self-contained HTML file (inline CSS and SVG, no
// script, no external fetch of any kind; a Content-Security-Policy forbids
// it) that an SRE team reads at a glance and can print. A pure function of
// the run record.
//
// Per iteration an SVG timeline, x = milliseconds relative to the
// iteration's injection (t_inject):
//   <g class="fault-window" data-fault=...>   each fault event, shaded across the lanes
//   <g class="service-event" ...>             service events (exited, restarting, ready, ...)
//   <rect class="episode" data-relapse=...>   each outage [t_fail, t_recover)
//   <g class="ttd">, <g class="ttr">          the measured intervals, labelled
//   <g class="relapse">                       a flag on every relapse
//   <g class="recovery-marker" data-ns=...>   t_recover of the iteration
//   <g class="deadline-marker">               the deadline, when not recovered
//   <g class="lane" data-probe=NAME>          one lane per probe, coloured sample by
//                                             sample (<rect class="seg ok|fail">,
//                                             consecutive equal outcomes merged)
// and a probe-latency chart (<polyline class="latency" data-probe=NAME>;
// for a probe the record keeps as runs, a <g class="latency-run"> per run).
// Then the metrics, statistics and verdict tables, and the fault, step and
// service events. These classes and data attributes are stable: tests and
// users' tooling may select on them.
#pragma once

#include <string>

#include "record/record.hpp"

namespace faultline {

/// The report as a complete HTML document.
std::string render_html(const RunRecord& r);

}  // namespace faultline

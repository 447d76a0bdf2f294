// Shared wording and escaping for the reports (see report_text.hpp).
#include "reports/report_text.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "measure/measurement.hpp"

namespace faultline {

std::string outcome_word(Outcome o) {
  switch (o) {
    case Outcome::passed: return "PASS";
    case Outcome::failed: return "FAIL";
    case Outcome::usage_error: return "USAGE ERROR";
    case Outcome::inconclusive: return "INCONCLUSIVE";
    case Outcome::harness_error: return "HARNESS ERROR";
    case Outcome::interrupted: return "INTERRUPTED";
  }
  return "UNKNOWN";
}

std::string outcome_meaning(Outcome o) {
  switch (o) {
    case Outcome::passed: return "every threshold met";
    case Outcome::failed: return "a recovery objective was missed";
    case Outcome::usage_error: return "invalid scenario or command line; nothing was started";
    case Outcome::inconclusive: return "the clone did not start or steady state was not met";
    case Outcome::harness_error: return "a fault could not be applied or reverted";
    case Outcome::interrupted: return "stopped by a signal after every fault was reverted";
  }
  return "unknown outcome";
}

std::string outcome_meaning(const RunRecord& r) {
  if (r.partial)
    return "the harness ended before concluding (killed, or still running): nothing was measured or judged; the "
           "watchdog or faultline cleanup reverts what it left";
  return outcome_meaning(r.outcome);
}

std::size_t iterations_run(const RunRecord& r) {
  return r.partial ? static_cast<std::size_t>(r.partial->iterations_done) : r.iterations.size();
}

std::size_t iterations_planned(const RunRecord& r) {
  return r.iteration_strategies.empty() ? static_cast<std::size_t>(r.scenario.iterations) : r.iteration_strategies.size();
}

std::string ms_or_dash(const std::optional<Nanos>& d) { return d ? format_ms(*d) : "-"; }

std::string relative_ms(Nanos d, int decimals) {
  const double ms = static_cast<double>(d.count()) / 1e6;
  std::string s = fmt::format("{:+.{}f} ms", ms, decimals);
  // "-0.0 ms" and "+0.0 ms" both mean the reference itself.
  if (s.find_first_not_of("+-0. ms") == std::string::npos) s = fmt::format("{:.{}f} ms", 0.0, decimals);
  return s;
}

std::string recovery_text(const RunRecord& r, const IterationMetrics& m) {
  if (!m.recovered || !m.recovery_time) return "> " + format_ms(r.scenario.give_up_after);
  return format_ms(*m.recovery_time);
}

std::string impact_text(const IterationMetrics& m) {
  // Undetermined: no trustworthy sample saw an impact, which is not absorption.
  return m.impact ? "yes" : m.undetermined ? "unknown" : "absorbed";
}

Nanos max_uncertainty(const RunRecord& r) {
  Nanos u{0};
  for (const auto& m : r.iterations) u = std::max(u, m.uncertainty);
  return u;
}

std::string figure_text(const std::optional<Nanos>& d, const std::optional<Bracket>& b, Nanos resolution) {
  if (!d) return "-";
  const std::string note = bracket_note(*d, b, resolution);
  return note.empty() ? fmt::format("{} +/- {}", format_ms(*d), format_ms(resolution))
                      : fmt::format("{}, {}", format_ms(*d), note);
}

std::vector<std::string> episode_lines(const RunRecord& r) {
  std::vector<std::string> out;
  for (const auto& m : r.iterations) {
    for (std::size_t i = 0; i < m.episodes.size(); ++i) {
      const Episode& e = m.episodes[i];
      std::string after;
      const auto j = static_cast<std::size_t>(e.injection);
      if (j >= 1 && j <= m.injections.size() && !m.injections[j - 1].fault.empty())
        after = fmt::format(" after '{}'", m.injections[j - 1].fault);
      std::string line = fmt::format("iteration {} episode {}{}{}: outage from {} ({})", m.index, i + 1,
                                     e.relapse ? " RELAPSE" : "", after, format_ms(e.start),
                                     "between " + format_ms(e.start_bracket.earliest) + " and " + format_ms(e.start_bracket.latest));
      if (e.end)
        line += fmt::format(" to {}, TTR {}", format_ms(*e.end), figure_text(e.ttr(), e.ttr_bracket, m.uncertainty));
      else
        line += ", not recovered";
      std::string probes;
      for (const auto& p : e.failing_probes) probes += (probes.empty() ? "" : ", ") + p;
      if (!probes.empty()) line += "; failing: " + probes;
      out.push_back(std::move(line));
    }
  }
  return out;
}

std::vector<std::string> injection_lines(const RunRecord& r) {
  std::vector<std::string> out;
  for (const auto& m : r.iterations) {
    const bool actions = std::any_of(r.faults.begin(), r.faults.end(),
                                     [&](const FaultEvent& f) { return f.iteration == m.index && !f.injection; });
    const bool wide = std::any_of(m.injections.begin(), m.injections.end(), [&](const InjectionMetrics& im) {
      return (im.ttd && !bracket_note(*im.ttd, im.ttd_bracket, m.uncertainty).empty()) ||
             (im.recovery_time && !bracket_note(*im.recovery_time, im.recovery_bracket, m.uncertainty).empty());
    });
    if (m.injections.size() <= 1 && !actions && !wide) continue;
    for (const auto& im : m.injections) {
      std::string line = fmt::format("iteration {} injection '{}' at {}: ", m.index, im.fault, format_ms(im.inject));
      if (im.impact)
        line += "TTD " + figure_text(im.ttd, im.ttd_bracket, m.uncertainty) + ", ";
      else if (im.during_outage)
        line += fmt::format("during the outage of episode {}, ", im.episode);
      else if (m.undetermined)
        line += "no impact seen (undetermined), ";
      else
        line += "absorbed, ";
      line += "recovery time " + (im.recovered ? figure_text(im.recovery_time, im.recovery_bracket, m.uncertainty)
                                               : "> " + format_ms(r.scenario.give_up_after));
      out.push_back(std::move(line));
    }
    for (const auto& f : r.faults)
      if (f.iteration == m.index && !f.injection)
        out.push_back(fmt::format("iteration {} action '{}' at {} (not an injection)", m.index, f.fault,
                                  format_ms(f.inject_end.value_or(f.inject_start))));
  }
  return out;
}

std::vector<std::string> harness_warnings(const RunRecord& r) {
  std::vector<std::string> out;
  // The record holds only stalls longer than a probe interval; under load
  // they can be many, so they are summed up with the longest named.
  // A record entry may be a span of several stalls (record/stall_spans.hpp).
  if (!r.stalls.empty()) {
    Nanos total{0};
    std::uint64_t count = 0;
    const HarnessStall* longest = &r.stalls.front();
    for (const auto& s : r.stalls) {
      total += s.stalled_time();
      count += s.count;
      if (s.longest_stall() > longest->longest_stall()) longest = &s;
    }
    const std::string where = longest->count > 1 ? fmt::format("within {} stalls from {} to {}", longest->count,
                                                               format_ms(longest->start), format_ms(longest->end))
                                                 : fmt::format("from {} to {}", format_ms(longest->start), format_ms(longest->end));
    out.push_back(fmt::format("the harness did not run on schedule {} time(s), {} in all; the longest {} {}{}: "
                              "the figures around them are bracketed accordingly",
                              count, format_ms(total), format_ms(longest->longest_stall()), where,
                              longest->probe.empty() ? "" : " (probe '" + longest->probe + "')"));
  }
  for (const auto& m : r.iterations) {
    if (m.harness_decided > 0)
      out.push_back(fmt::format("iteration {}: {} sample(s) were decided by the harness, not the system (not evidence)",
                                m.index, m.harness_decided));
    if (m.undetermined)
      out.push_back(fmt::format("iteration {}: no trustworthy sample showed whether the fault had an impact", m.index));
  }
  return out;
}

std::string availability_text(const Availability& a) {
  std::string out = fmt::format("{:.2f} % of the observed time", a.percent());
  const std::string low = fmt::format("{:.2f}", a.percent_low()), high = fmt::format("{:.2f}", a.percent_high());
  if (low != high) out += fmt::format(", between {} % and {} %", low, high);
  if (a.unknown.count() > 0) out += fmt::format(" ({} unknown)", format_ms(a.unknown));
  if (a.ticks > 0) out += fmt::format(", {:.2f} % of {} ticks ok", a.tick_percent(), std::max(a.ticks, a.total));
  return out;
}

std::vector<std::string> runbook_lines(const RunRecord& r) {
  std::vector<std::string> out;
  for (const auto& m : r.iterations) {
    bool any = false;
    for (const auto& st : r.steps) {
      if (st.phase != "recovery" || st.iteration != m.index) continue;
      any = true;
      if (!st.ran) {
        out.push_back(fmt::format("iteration {}: '{}' ({}) did not run: {}", m.index, st.name, st.trigger, st.output));
        continue;
      }
      std::string line = fmt::format("iteration {}: '{}' ({}) at {}, took {}, exit {}{}: {}", m.index, st.name,
                                     st.trigger, format_ms(st.start), format_ms(st.end - st.start), st.exit_code,
                                     st.timed_out ? " (timed out)" : "", st.ok ? "ok" : "FAILED");
      if (!st.ok && !st.output.empty()) {
        std::string first = st.output.substr(0, st.output.find('\n'));
        line += " - " + (first.size() > 160 ? first.substr(0, 160) + "..." : first);
      }
      out.push_back(std::move(line));
    }
    if (any)
      out.push_back(fmt::format("iteration {}: time to mitigate {}, runbook duration {}", m.index,
                                ms_or_dash(m.time_to_mitigate), ms_or_dash(m.runbook_duration)));
  }
  return out;
}

std::vector<std::string> data_loss_lines(const RunRecord& r) {
  std::vector<std::string> out;
  for (const auto& w : r.workloads) {
    std::string line = fmt::format("iteration {}: workload '{}': {} writes, {} acknowledged, ", w.iteration, w.workload,
                                   w.writes, w.acknowledged);
    if (!w.read_ok)
      line += "read FAILED (" + w.read_error + ")";
    else
      line += fmt::format("{} lost{}", w.lost, w.lost ? fmt::format(" spanning {} (recovery point)", format_ms(w.loss_window)) : "");
    const double rate = w.fault_writes ? 100.0 * double(w.fault_errors) / double(w.fault_writes) : 0.0;
    line += fmt::format("; during the fault {} writes, {} errors ({:.1f} %), latency p50 {} p99 {}", w.fault_writes,
                        w.fault_errors, rate, format_ms(w.fault_latency_p50), format_ms(w.fault_latency_p99));
    out.push_back(std::move(line));
  }
  return out;
}

std::vector<std::string> link_damage_lines(const RunRecord& r) {
  std::vector<std::string> out;
  for (const auto& l : r.links)
    if (l.corrupted_upstream + l.corrupted_downstream > 0)
      out.push_back(fmt::format("link '{}': {} byte(s) corrupted upstream (of {}), {} downstream (of {})", l.name,
                                l.corrupted_upstream, l.bytes_upstream, l.corrupted_downstream, l.bytes_downstream));
  return out;
}

namespace {

/// The first line of a step's output, at most 160 characters.
std::string first_line(const std::string& output) {
  std::string first = output.substr(0, output.find('\n'));
  return first.size() > 160 ? first.substr(0, 160) + "..." : first;
}

}  // namespace

std::vector<std::string> integrity_lines(const RunRecord& r) {
  std::vector<std::string> out;
  for (const auto& st : r.steps) {
    if (st.phase != "verify" || !st.integrity) continue;
    std::string line = fmt::format("iteration {}: integrity check '{}': ", st.iteration, st.name);
    if (st.ok) {
      line += "intact";
    } else {
      line += st.timed_out ? "NOT INTACT (timed out)" : fmt::format("NOT INTACT (exit {})", st.exit_code);
      if (const std::string first = first_line(st.output); !first.empty()) line += " - " + first;
    }
    out.push_back(std::move(line));
  }
  return out;
}

std::vector<std::string> fault_damage_lines(const RunRecord& r) {
  std::vector<std::string> out;
  for (const auto& f : r.faults) {
    if (!f.damage) continue;
    const DataDamage& d = *f.damage;
    std::vector<std::string> amounts;
    if (d.bits > 0) amounts.push_back(fmt::format("{} bit(s) flipped", d.bits));
    if (d.bytes_changed > 0 || (d.mode == "flip" || d.mode == "zero"))
      amounts.push_back(fmt::format("{} byte(s) changed", d.bytes_changed));
    if (d.bytes_cut > 0 || d.mode == "truncate" || d.mode == "delete")
      amounts.push_back(fmt::format("{} byte(s) {}", d.bytes_cut, d.mode == "delete" ? "removed" : "cut"));
    if (d.bytes_added > 0 || d.mode == "garbage_tail" || d.mode == "fill")
      amounts.push_back(fmt::format("{} byte(s) {}", d.bytes_added, d.mode == "fill" ? "filled" : "appended"));
    std::string line = fmt::format("iteration {}: '{}' ({}) on {}: {} {}: {} in {} file(s)", f.iteration, f.fault,
                                   f.kind, target_text(f), d.mode, d.path.empty() ? "-" : d.path,
                                   fmt::format("{}", fmt::join(amounts, ", ")), d.files);
    if (!d.offsets.empty())
      line += fmt::format(" at {}{}", fmt::join(d.offsets, ", "), d.offsets_truncated ? ", ..." : "");
    if (d.permanent) line += " (permanent)";
    out.push_back(std::move(line));
  }
  return out;
}

std::string verdict_name(const Verdict& v) {
  if (v.threshold == "verify") return "verify " + v.scope;
  if (v.threshold == "integrity") return "integrity " + v.scope;
  if (v.scope.empty() || v.scope == "run") return v.threshold;
  return fmt::format("{} ({})", v.threshold, v.scope);
}

std::optional<Availability> combined_availability(const std::vector<Availability>& av) {
  for (const auto& a : av)
    if (a.probe == "combined" && a.total > 0) return a;
  return std::nullopt;
}

std::string latency_text(const LatencySummary& l) {
  if (l.count == 0) return "-";
  std::string p50 = format_ms(l.p50);
  p50.resize(p50.size() - 3);  // "3.120": the unit follows p99
  return fmt::format("{} / {} (n={})", p50, format_ms(l.p99), l.count);
}

std::string latency_precision_note(const RunRecord& r) {
  std::string names;
  for (const auto& p : r.probes)
    if (!keeps_every_sample(p)) names += (names.empty() ? "" : ", ") + p.name;
  if (names.empty()) return "";
  return fmt::format(" Probes with more than {} samples ({}) keep most of them folded in memory: their p50 and p99 "
                     "are within {:.0f} % of the exact ones.",
                     kMaxFullSamples, names, 100 * kSketchRelativeError);
}

bool any_latency(const RunRecord& r) {
  return std::any_of(r.iterations.begin(), r.iterations.end(),
                     [](const IterationMetrics& m) { return !m.latency.empty(); });
}

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

/// Length of the well-formed UTF-8 sequence at `s[i]`, or 0 if ill-formed;
/// `cp` receives its code point. `consumed` is how many bytes to skip when
/// ill-formed (the maximal valid prefix, at least 1).
std::size_t utf8_sequence(std::string_view s, std::size_t i, char32_t& cp, std::size_t& consumed) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  consumed = 1;
  if (c < 0x80) {
    cp = c;
    return 1;
  }
  std::size_t len = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
    cp = c & 0x1Fu;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    cp = c & 0x0Fu;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;  // no surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    cp = c & 0x07u;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  for (std::size_t k = 1; k < len; ++k) {
    if (i + k >= s.size()) return 0;
    const unsigned char x = b(i + k);
    const unsigned char min = k == 1 ? lo : 0x80, max = k == 1 ? hi : 0xBF;
    if (x < min || x > max) return 0;
    cp = (cp << 6) | (x & 0x3Fu);
    consumed = k + 1;
  }
  consumed = len;
  return len;
}

/// Characters XML 1.0 does not allow in a document at all.
bool xml_forbidden(char32_t cp) {
  return (cp < 0x20 && cp != 0x09 && cp != 0x0A && cp != 0x0D) || cp == 0xFFFE || cp == 0xFFFF;
}

template <class Emit>
void each_code_point(std::string_view s, Emit emit) {
  std::size_t i = 0;
  while (i < s.size()) {
    char32_t cp = 0;
    std::size_t consumed = 1;
    const std::size_t len = utf8_sequence(s, i, cp, consumed);
    if (len == 0) {
      emit(std::string_view(), char32_t{0xFFFD});
      i += consumed;
    } else {
      emit(s.substr(i, len), cp);
      i += len;
    }
  }
}

}  // namespace

std::string valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  each_code_point(text, [&](std::string_view bytes, char32_t) {
    out += bytes.empty() ? kReplacement : bytes;
  });
  return out;
}

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  each_code_point(text, [&](std::string_view bytes, char32_t cp) {
    if (bytes.empty() || xml_forbidden(cp)) {
      out += kReplacement;
      return;
    }
    switch (cp) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += bytes;
    }
  });
  return out;
}

}  // namespace faultline

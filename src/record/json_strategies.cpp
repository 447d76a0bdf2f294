// The strategies' part of the run record (json_strategies.hpp): writer and
// strict reader side by side, each field once in each, in the same order.
#include "record/json_strategies.hpp"

#include <boost/json.hpp>

namespace faultline {

namespace json = boost::json;
using json_strict::Object;
using json_strict::read_array;
using json_strict::Reader;

namespace {

json::value ns(const std::optional<Nanos>& d) { return d ? json::value(d->count()) : json::value(nullptr); }

json::value time_json(const std::optional<StrategyTime>& t) {
  if (!t) return nullptr;
  return json::object{{"ns", t->beyond_deadline ? json::value(nullptr) : json::value(t->value.count())},
                      {"beyond_deadline", t->beyond_deadline}};
}

json::value bound_json(Nanos b) {
  if (b == Nanos::max()) return "> deadline";
  if (b == -Nanos::max()) return "< -deadline";
  return b.count();
}

json::object stats_json(const StrategyStats& s) {
  return {{"name", s.name},
          {"iterations", s.iterations},
          {"not_recovered", s.not_recovered},
          {"recovery_p50", time_json(s.recovery_p50)},
          {"recovery_p95", time_json(s.recovery_p95)},
          {"recovery_max", time_json(s.recovery_max)},
          {"ttr_n", s.ttr_n},
          {"ttr_p50_ns", ns(s.ttr_p50)},
          {"ttr_p95_ns", ns(s.ttr_p95)},
          {"ttr_max_ns", ns(s.ttr_max)},
          {"mitigate_p50_ns", ns(s.mitigate_p50)},
          {"runbook_p50_ns", ns(s.runbook_p50)},
          {"secondary_outages", s.secondary_outages},
          {"secondary_outage_rate", s.secondary_outage_rate},
          {"failed_steps", s.failed_steps},
          {"failed_verifications", s.failed_verifications},
          {"data_lost", s.data_lost},
          {"availability_percent", s.availability ? json::value(*s.availability) : json::value(nullptr)},
          {"eligible", s.eligible},
          {"ineligible_why", s.ineligible_why},
          {"rank", s.rank}};
}

json::object pair_json(const StrategyPair& p) {
  return {{"a", p.a},
          {"b", p.b},
          {"difference_ns", ns(p.difference)},
          {"ci_low_ns", bound_json(p.ci_low)},
          {"ci_high_ns", bound_json(p.ci_high)},
          {"significant", p.significant},
          {"verdict", p.verdict},
          {"iterations_needed", p.iterations_needed}};
}

std::optional<StrategyTime> read_time(const Reader& c, const json::value& v, const std::string& path) {
  if (v.is_null()) return std::nullopt;
  Object o(c, v, path);
  StrategyTime t;
  t.beyond_deadline = o.boolean("beyond_deadline");
  const auto value = o.opt_ns("ns");
  if (t.beyond_deadline == value.has_value())
    c.fail(o.at_path("ns"), "must be null exactly when beyond_deadline is true");
  if (value) t.value = *value;
  o.finish();
  return t;
}

Nanos read_bound(const Reader& c, const json::value& v, const std::string& path) {
  if (v.is_string()) {
    if (v.get_string() == "> deadline") return Nanos::max();
    if (v.get_string() == "< -deadline") return -Nanos::max();
    c.fail(path, "a bound is an integer, \"> deadline\" or \"< -deadline\"");
  }
  return Nanos{c.i64(v, path)};
}

StrategyStats read_stats(const Reader& c, const json::value& v, const std::string& path) {
  Object o(c, v, path);
  StrategyStats s;
  s.name = o.str("name");
  s.iterations = o.i32("iterations");
  s.not_recovered = o.i32("not_recovered");
  s.recovery_p50 = read_time(c, o.at("recovery_p50"), o.at_path("recovery_p50"));
  s.recovery_p95 = read_time(c, o.at("recovery_p95"), o.at_path("recovery_p95"));
  s.recovery_max = read_time(c, o.at("recovery_max"), o.at_path("recovery_max"));
  s.ttr_n = o.i32("ttr_n");
  s.ttr_p50 = o.opt_ns("ttr_p50_ns");
  s.ttr_p95 = o.opt_ns("ttr_p95_ns");
  s.ttr_max = o.opt_ns("ttr_max_ns");
  s.mitigate_p50 = o.opt_ns("mitigate_p50_ns");
  s.runbook_p50 = o.opt_ns("runbook_p50_ns");
  s.secondary_outages = o.i32("secondary_outages");
  s.secondary_outage_rate = o.num("secondary_outage_rate");
  s.failed_steps = o.i32("failed_steps");
  s.failed_verifications = o.i32("failed_verifications");
  s.data_lost = o.u64("data_lost");
  if (!o.at("availability_percent").is_null()) s.availability = o.num("availability_percent");
  s.eligible = o.boolean("eligible");
  s.ineligible_why = o.str("ineligible_why");
  s.rank = o.i32("rank");
  o.finish();
  return s;
}

StrategyPair read_pair(const Reader& c, const json::value& v, const std::string& path) {
  Object o(c, v, path);
  StrategyPair p;
  p.a = o.str("a");
  p.b = o.str("b");
  p.difference = o.opt_ns("difference_ns");
  p.ci_low = read_bound(c, o.at("ci_low_ns"), o.at_path("ci_low_ns"));
  p.ci_high = read_bound(c, o.at("ci_high_ns"), o.at_path("ci_high_ns"));
  p.significant = o.boolean("significant");
  p.verdict = o.str("verdict");
  p.iterations_needed = o.i32("iterations_needed");
  o.finish();
  return p;
}

StrategyComparison read_comparison(const Reader& c, Object o) {
  StrategyComparison k;
  k.confidence = o.num("confidence_percent");
  k.bootstrap_seed = o.u64("bootstrap_seed");
  k.bootstrap_resamples = o.i32("bootstrap_resamples");
  k.strategies = read_array<StrategyStats>(c, o, "strategies", read_stats);
  k.pairs = read_array<StrategyPair>(c, o, "pairs", read_pair);
  k.fastest = o.str("fastest");
  k.conclusion = o.str("conclusion");
  o.finish();
  return k;
}

}  // namespace

json::object strategies_json(const RunRecord& r) {
  const Scenario& s = r.scenario;
  json::array declared;
  for (const auto& st : s.strategies) declared.push_back(json::object{{"name", st.name}, {"description", st.description}});
  json::array order;
  for (const auto& name : r.iteration_strategies) order.push_back(json::string(name));
  json::object out{{"confidence_percent", s.confidence},
                   {"max_secondary_outage_rate_percent", s.max_secondary_outage_rate},
                   {"declared", std::move(declared)},
                   {"iteration_strategies", std::move(order)}};
  if (r.comparison) {
    const StrategyComparison& k = *r.comparison;
    json::array stats, pairs;
    for (const auto& x : k.strategies) stats.push_back(stats_json(x));
    for (const auto& x : k.pairs) pairs.push_back(pair_json(x));
    out["comparison"] = json::object{{"confidence_percent", k.confidence},
                                     {"bootstrap_seed", k.bootstrap_seed},
                                     {"bootstrap_resamples", k.bootstrap_resamples},
                                     {"strategies", std::move(stats)},
                                     {"pairs", std::move(pairs)},
                                     {"fastest", k.fastest},
                                     {"conclusion", k.conclusion}};
  } else {
    out["comparison"] = nullptr;
  }
  return out;
}

void read_strategies(const Reader& c, Object o, RunRecord& r) {
  r.scenario.confidence = o.num("confidence_percent");
  r.scenario.max_secondary_outage_rate = o.num("max_secondary_outage_rate_percent");
  r.scenario.strategies = read_array<StrategySpec>(c, o, "declared", [](const Reader& cx, const json::value& v,
                                                                         const std::string& p) {
    Object d(cx, v, p);
    StrategySpec st;
    st.name = d.str("name");
    st.description = d.str("description");
    d.finish();
    return st;
  });
  r.iteration_strategies = json_strict::read_strings(c, o, "iteration_strategies");
  if (!o.at("comparison").is_null()) r.comparison = read_comparison(c, o.obj("comparison"));
  o.finish();
}

}  // namespace faultline

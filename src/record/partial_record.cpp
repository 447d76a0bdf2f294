// The partial record (partial_record.hpp): built from the live record, and
// its "partial" object in JSON.
#include "record/partial_record.hpp"

#include <fmt/format.h>

namespace faultline {

namespace json = boost::json;
using json_strict::Object;
using json_strict::Reader;

RunRecord make_partial_record(const RunRecord& live, int iterations_done) {
  RunRecord r = live;
  r.probes.clear();  // empty in a live record; never copied into a partial one
  r.iterations.clear();
  r.verdicts.clear();
  r.statistics = {};
  r.comparison.reset();
  PartialRun p;
  p.reason = "the harness ended before concluding";
  p.iterations_done = iterations_done;
  for (const auto& st : live.scenario.strategies) p.per_strategy[st.name] = 0;
  for (int i = 0; i < iterations_done && static_cast<std::size_t>(i) < live.iteration_strategies.size(); ++i)
    ++p.per_strategy[live.iteration_strategies[static_cast<std::size_t>(i)]];
  r.outcome = Outcome::interrupted;
  r.exit_code = exit_code_for(Outcome::interrupted);
  r.error = partial_text(p);
  r.partial = std::move(p);
  return r;
}

std::string partial_text(const PartialRun& p) {
  std::string per;
  for (const auto& [name, n] : p.per_strategy) per += fmt::format("{}{} {}", per.empty() ? "" : ", ", name, n);
  return fmt::format("partial: the harness did not conclude ({}); figures only for the {} iteration(s) done{}; "
                     "nothing was measured or judged",
                     p.reason, p.iterations_done, per.empty() ? "" : " (per strategy: " + per + ")");
}

json::object partial_json(const PartialRun& p) {
  json::object per;
  for (const auto& [name, n] : p.per_strategy) per[name] = n;
  return json::object{{"reason", p.reason}, {"iterations_done", p.iterations_done}, {"per_strategy", per}};
}

PartialRun read_partial(const Reader& c, Object o) {
  PartialRun p;
  p.reason = o.str("reason");
  p.iterations_done = o.i32("iterations_done");
  if (p.iterations_done < 0) c.wrong(o.at_path("iterations_done"), "a count >= 0", o.at("iterations_done"));
  const json::value& v = o.at("per_strategy");
  Object per(c, v, o.at_path("per_strategy"));
  for (const auto& kv : v.get_object()) p.per_strategy[std::string(kv.key())] = per.i32(kv.key());
  per.finish();
  o.finish();
  return p;
}

}  // namespace faultline

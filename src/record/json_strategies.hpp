// The strategies of a run record in JSON (issue 17): the declared
// strategies, the strategy of each iteration and the comparison, under the
// record's "strategies" key, written only for a scenario with strategies
// (older records and records of other runs have no such key and read as
// before). Times are integer nanoseconds; a figure that falls on a
// never-recovered iteration is never a number: a StrategyTime is
// {"ns": null, "beyond_deadline": true}, an interval bound the string
// "> deadline" or "< -deadline".
#pragma once

#include <boost/json/object.hpp>

#include "record/json_strict.hpp"
#include "record/record.hpp"

namespace faultline {

/// The "strategies" object of `r`; call only when r.scenario.strategies is not empty.
boost::json::object strategies_json(const RunRecord& r);

/// Reads the "strategies" object into `r`: the scenario's strategies (name
/// and description), confidence and limit, the iterations' strategies and
/// the comparison. Throws JsonError (with the key path) on anything else.
void read_strategies(const json_strict::Reader& c, json_strict::Object o, RunRecord& r);

}  // namespace faultline

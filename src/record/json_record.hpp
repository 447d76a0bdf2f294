// The run record as JSON (Boost.JSON): the record every other report can be
// rendered from. Times are integer nanoseconds since the run origin
// (fields ending in _ns), so nothing is rounded away. A probe's samples are
// written in full when it has at most kMaxFullSamples of them, else as runs
// of equal outcome with each run's first and last sample exact (record.hpp).
#pragma once

#include <boost/json/value.hpp>
#include <string>

#include "record/record.hpp"

namespace faultline {

/// The schema_version this build writes (src/record/schema/run-record.schema.json).
inline constexpr int kRecordSchemaVersion = 3;

/// The record as a JSON value (schema_version kRecordSchemaVersion, whatever
/// version it was read from).
boost::json::value to_json(const RunRecord& r);

/// The record as indented JSON text, ending with a newline: exactly
/// pretty_json(to_json(r)), built one probe at a time.
std::string render_json(const RunRecord& r);

/// Indented JSON text of any value (two spaces, keys in insertion order).
std::string pretty_json(const boost::json::value& v);

}  // namespace faultline

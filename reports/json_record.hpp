// The run record as JSON (Boost.JSON): the record every other report can be
// rendered from. Times are integer nanoseconds since the run origin
// (fields ending in _ns), so nothing is rounded away.
#pragma once

#include <boost/json/value.hpp>
#include <string>

#include "record.hpp"

namespace faultline {

/// The record as a JSON value (schema_version 1).
boost::json::value to_json(const RunRecord& r);

/// The record as indented JSON text, ending with a newline.
std::string render_json(const RunRecord& r);

/// Indented JSON text of any value (two spaces, keys in insertion order).
std::string pretty_json(const boost::json::value& v);

}  // namespace faultline

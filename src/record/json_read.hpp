// Reading a run record back from its JSON (the inverse of json_record.hpp's
// to_json), so that `faultline report run.json` can re-render every report
// from the record alone. Strict: every field to_json writes must be present
// with its type, nothing else may be, and an unknown schema_version is
// refused with the versions this build reads. Records of schema_version 1
// (every sample as [start_ns, end_ns, ok, detail]) are still read.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

#include "record/json_record.hpp"
#include "record/record.hpp"

namespace faultline {

/// The oldest schema_version this build reads; it reads every version from
/// this one to kRecordSchemaVersion (json_record.hpp), the one it writes.
inline constexpr int kOldestReadableSchemaVersion = 1;

/// A record that cannot be read. what() names the source and the field, e.g.
/// "run.json: iterations[1].episodes[0].end_ns: expected an integer (ns) or null, found a string".
class RecordError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A record written with a schema_version this build does not read.
class SchemaVersionError : public RecordError {
 public:
  /// `found` is the version in the record.
  SchemaVersionError(const std::string& message, std::int64_t found)
      : RecordError(message), found_(found) {}
  /// The schema_version the record has.
  std::int64_t found() const { return found_; }

 private:
  std::int64_t found_;
};

/// Parses JSON text written by to_json/render_json back into a RunRecord;
/// to_json(read_run_record(render_json(r))) == to_json(r). A probe written
/// as runs comes back with `runs` and no `samples`; the record's
/// schema_version is the one the text has. `source` names
/// the text in error messages (a file name). Numbers are parsed exactly
/// (doubles round-trip bit for bit). Derived fields (percent, ttr_ns,
/// mttr_ns) are checked for type and recomputed rather than trusted.
/// Throws SchemaVersionError or RecordError.
RunRecord read_run_record(std::string_view json_text, std::string_view source = "run record");

/// Reads and parses a file; RecordError naming the file when it cannot be read.
RunRecord read_run_record_file(const std::filesystem::path& path);

}  // namespace faultline

// Writing the partial record during a run (record/partial_record.hpp): the
// runner calls it when the clone is ready and after each iteration ends,
// only when the run's record is written to a file at all
// (RunOptions::write_record); the concluded record replaces it.
#pragma once

#include <filesystem>

#include "record/record.hpp"

namespace faultline {

/// Writes RUN_DIR/run.json as the partial record of `live` with iterations
/// 1..k ended, atomically and crash-safe (not fsynced: a reader sees the old
/// or the new file, never a torn one). Throws std::runtime_error on failure.
void write_partial_record(const RunRecord& live, int iterations_done, const std::filesystem::path& run_dir);

}  // namespace faultline

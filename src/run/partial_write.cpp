// The partial record written during a run (partial_write.hpp). Crash-safe
// rather than durable: it is written between iterations, and an fsync there
// would cost the run milliseconds for a record that only a harness killed
// before concluding ever leaves behind.
#include "run/partial_write.hpp"

#include "os/atomic_file.hpp"
#include "record/json_record.hpp"
#include "record/partial_record.hpp"

namespace faultline {

void write_partial_record(const RunRecord& live, int iterations_done, const std::filesystem::path& run_dir) {
  write_file_atomic(run_dir / "run.json", render_json(make_partial_record(live, iterations_done)),
                    Durability::crash_safe);
}

}  // namespace faultline

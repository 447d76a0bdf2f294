// What `faultline cleanup --run ID` says about a run that was already
// cleaned up. Resolving a dead run's ledger removes its copy in the state
// directory, which is where `cleanup` looks runs up by id; without a trace,
// a user who runs `faultline cleanup --run ID` after the watchdog (or an
// earlier `cleanup`) did the work would be told the run is unknown. So the
// one who resolved it leaves a one-line note there, RUN_ID.cleaned: who,
// when, and where the run directory is. Notes are small and written only
// for runs that died (a run that ends itself leaves none); those older than
// 30 days are removed when the next one is written.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace faultline {

struct Ledger;

/// After `by` ("the watchdog", "faultline cleanup") resolved the ledger of
/// a dead run `l`: writes its note (see above). Never throws: a note that
/// cannot be written costs only that message.
void write_cleaned_note(const Ledger& l, std::string_view by);

/// The note of run `run_id` ("cleaned up by the watchdog at
/// 2026-12-05T16:40:02Z; run directory /tmp/r"), or nullopt.
std::optional<std::string> read_cleaned_note(const std::string& run_id);

}  // namespace faultline

// libfaketime as clock.skew uses it (fault_injectors/clock_skew.cpp): where
// Debian installed it, the environment that preloads it with a run-owned
// control file, and the control file's neutral content. The control file
// holds one FAKETIME specification ("+0 x1", "+172800 x1", "-30 x1",
// "+0 x2", "@... " is not used); with FAKETIME_NO_CACHE=1 libfaketime reads
// it again on every clock call, so a rename over it takes effect at once.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace faultline {

/// The control file's content while no clock.skew is applied: no offset, rate 1.
/// ("+0" alone would keep a rate written before: libfaketime keeps the last
/// 'x' it parsed; measured with Debian's 0.9.10.)
inline constexpr const char* kFaketimeNeutral = "+0 x1\n";

/// Debian's libfaketime.so.1: $FAULTLINE_LIBFAKETIME when set, else the
/// first of the multiarch directories (/usr/lib/<triplet>/faketime/, found
/// by listing /usr/lib) and /usr/lib/faketime, /usr/local/lib/faketime that
/// holds it; nullopt when none does (`apt-get install libfaketime`).
std::optional<std::filesystem::path> libfaketime_path();

/// The environment that preloads `library` with `control` as its control
/// file, read on every clock call (FAKETIME_NO_CACHE=1), absolute times
/// written as epoch seconds (FAKETIME_FMT=%s). An LD_PRELOAD the
/// service sets itself (`inherited`, "" = none) is kept after libfaketime.
std::map<std::string, std::string> faketime_env(const std::filesystem::path& library,
                                                const std::filesystem::path& control,
                                                const std::string& inherited = {});

/// Writes `text` into the control file atomically (a rename over it, so a
/// reading process sees the old or the new specification, never half).
/// Throws std::runtime_error naming the path.
void write_faketime_control(const std::filesystem::path& control, const std::string& text);

/// Removes control files and the temporaries beside them, then their
/// directory when it is left empty. Never throws; returns what could not be removed.
std::string remove_faketime_controls(const std::vector<std::string>& controls);

}  // namespace faultline

// clock.skew's parameters and the pieces its tests and the runner use; the
// kind itself is in clock_skew.cpp.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scenario/scenario.hpp"

namespace faultline {

class Clone;

/// A clock.skew fault's keys, as written (checked by the kind's check()).
struct ClockSkewParams {
  std::string offset;   ///< "+2d", "-30s", "+1h30m"; "" = no step
  std::string rate;     ///< "2x", "0.5x"; "" = real speed
  bool freeze = false;  ///< the clock stands still for the hold
};

/// Seconds of a signed offset ("+2d" = 172800, "-30s" = -30; units s, m, h,
/// d, combined as "1h30m"; the sign is required). nullopt with `why` set.
std::optional<long long> parse_clock_offset(std::string_view text, std::string* why);

/// The factor of a rate ("2x" = 2, "0.5x" = 0.5; more than 0, at most
/// 1000). nullopt with `why` set.
std::optional<double> parse_clock_rate(std::string_view text, std::string* why);

/// The libfaketime specification that applies `p` from `now` (real time,
/// seconds since the epoch) to a process whose libfaketime started at
/// `start` (libfaketime's speed-up runs from its own start, so a rate is
/// written with the offset that makes the clock continuous at `now`):
/// "+172800 x1", "-30 x1", "-1.25 x2", or an epoch second for a freeze.
/// `p` must have passed the kind's check.
std::string clock_skew_spec(const ClockSkewParams& p, double now, double start);

/// The services the clock.skew faults of `s` may act on (a dynamic target's
/// candidates included), each once, in declaration order of the faults.
std::vector<std::string> clock_skew_services(const Scenario& s);

/// The control file of `service` in run directory `run_dir` (run_dir/clock/SERVICE.faketime).
std::filesystem::path clock_control_path(const std::filesystem::path& run_dir, const std::string& service);

/// Before the clone starts: gives each service of clock_skew_services its
/// control file (neutral) and the environment that preloads libfaketime with
/// it. The control files must be in the crash ledger already. Throws
/// std::runtime_error when libfaketime is not installed or a file cannot be written.
void arm_clock_skew(Clone& clone, const Scenario& s, const std::filesystem::path& run_dir);

/// What to add to the error of a service that failed to start when it was
/// started with libfaketime preloaded (clock_skew_services): why that may be
/// the cause; "" for any other service.
std::string clock_skew_start_note(const Scenario& s, const std::string& service);

}  // namespace faultline

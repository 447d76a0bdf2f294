// Files the command line names as inputs (scenarios, run records, baselines)
// are looked at before they are opened: only a regular file no larger than
// a documented limit is read. A character device (/dev/zero) would be read
// without end, a FIFO would block the open forever, and a directory is not
// a file; each is refused in one line naming the path, before any read.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace faultline {

/// The largest scenario file faultline reads: 1 MiB (shipped scenarios are a
/// few KiB).
inline constexpr std::uintmax_t kMaxScenarioBytes = std::uintmax_t{1} << 20;
/// The largest run record (run.json) faultline reads: 256 MiB (a record
/// holds every probe sample; an hour of 10 probes at 20 Hz is about 40 MiB).
inline constexpr std::uintmax_t kMaxRecordBytes = std::uintmax_t{256} << 20;

/// Why `path` cannot be read as an input of at most `max_bytes`, in plain
/// words for "PATH: " to precede ("" when it can): missing, not a regular
/// file (says which kind it is), or larger than the limit. Uses stat(2)
/// only, so a FIFO or a device is never opened.
std::string input_file_problem(const std::filesystem::path& path, std::uintmax_t max_bytes);

/// Reads the whole of `path` into `text` (replacing what it held); returns
/// "" when it could, else why not in plain words: "it is a directory", or
/// the system's message for the open or the read that failed. One open, one
/// fstat and reads into a string sized from it (a stream copied through a
/// string stream took four times the file in heap: the start-up of
/// `validate` counts its pages, issue 21). Call input_file_problem first
/// where a FIFO or a device may be named.
std::string read_input_file(const std::filesystem::path& path, std::string& text);

/// "a directory", "a FIFO", "a character device", ... for an st_mode.
std::string file_kind_name(unsigned mode);

}  // namespace faultline

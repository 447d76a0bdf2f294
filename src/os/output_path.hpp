// Output paths the command line names (--out, --json, --junit, --markdown,
// --html, report --output) are checked before anything starts, so that a
// drill is never run only to fail at its end for want of a place to write:
// a directory that is a file, /proc or /sys, a read-only filesystem, a
// device or a directory where a file is wanted. Nothing is created by the
// check: it looks at the nearest directory that exists (the writers create
// the missing ones) and tries an unnamed O_TMPFILE there, which vanishes
// when closed.
#pragma once

#include <filesystem>
#include <string>

namespace faultline {

/// What a flag names: a file to write, or a directory to write into.
enum class OutputKind { file, directory };

/// Why faultline could not write `path` as `kind`, in plain words starting
/// with the path ("" when it can).
std::string output_path_problem(const std::filesystem::path& path, OutputKind kind);

}  // namespace faultline

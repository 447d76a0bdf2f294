// Files that are either wholly there or not at all: written to a temporary
// beside the target, fsynced, then renamed over it.
#pragma once

#include <filesystem>
#include <string_view>

namespace faultline {

/// Writes `content` to `path` atomically. Throws std::runtime_error naming
/// the path on failure.
void write_file_atomic(const std::filesystem::path& path, std::string_view content);

}  // namespace faultline

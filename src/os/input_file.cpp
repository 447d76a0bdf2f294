// One stat(2) (following symlinks, as the open would) and a verdict.
#include "os/input_file.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>

namespace faultline {

std::string file_kind_name(unsigned mode) {
  switch (mode & S_IFMT) {
    case S_IFREG: return "a regular file";
    case S_IFDIR: return "a directory";
    case S_IFIFO: return "a FIFO";
    case S_IFCHR: return "a character device";
    case S_IFBLK: return "a block device";
    case S_IFSOCK: return "a socket";
    default: return "not a regular file";
  }
}

namespace {

std::string size_text(std::uintmax_t bytes) {
  if (bytes >= (std::uintmax_t{1} << 20) && bytes % (std::uintmax_t{1} << 20) == 0)
    return fmt::format("{} MiB", bytes >> 20);
  return fmt::format("{} bytes", bytes);
}

}  // namespace

std::string input_file_problem(const std::filesystem::path& path, std::uintmax_t max_bytes) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return fmt::format("cannot be read: {}", std::strerror(errno));
  if (!S_ISREG(st.st_mode))
    return fmt::format("is {}, not a regular file: faultline reads only regular files", file_kind_name(st.st_mode));
  if (static_cast<std::uintmax_t>(st.st_size) > max_bytes)
    return fmt::format("is {} bytes, over the limit of {} for this kind of file", static_cast<std::uintmax_t>(st.st_size),
                       size_text(max_bytes));
  return {};
}

}  // namespace faultline

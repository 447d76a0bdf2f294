// One stat(2) (following symlinks, as the open would) and a verdict; and
// the read of a whole input file.
#include "os/input_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>

#include "os/fd.hpp"

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

std::string read_input_file(const std::filesystem::path& path, std::string& text) {
  text.clear();
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return std::strerror(errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return std::strerror(errno);
  if (S_ISDIR(st.st_mode)) return "it is a directory";
  // One byte more than the size, so that a file that did not change ends
  // with the first read that returns 0; a file that grew meanwhile is read
  // to its end all the same.
  std::size_t used = 0;
  text.resize(S_ISREG(st.st_mode) ? static_cast<std::size_t>(st.st_size) + 1 : 4096);
  for (;;) {
    if (used == text.size()) text.resize(text.size() * 2);
    const ssize_t n = ::read(fd.get(), text.data() + used, text.size() - used);
    if (n > 0) {
      used += static_cast<std::size_t>(n);
    } else if (n == 0) {
      break;
    } else if (errno != EINTR) {
      const int err = errno;
      text.clear();
      return std::strerror(err);
    }
  }
  text.resize(used);
  return {};
}

}  // namespace faultline

#include "os/saved_copy.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "os/fd.hpp"

namespace faultline {

namespace fs = std::filesystem;

namespace {

fs::path partial_of(const fs::path& p) {
  return p.parent_path() / (p.filename().string() + ".partial");
}

void fsync_path(const fs::path& p, bool directory) {
  UniqueFd fd(::open(p.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC));
  if (!fd || ::fsync(fd.get()) != 0)
    throw std::runtime_error(fmt::format("cannot fsync {}: {}", p.string(), std::strerror(errno)));
}

/// Copies the tree at `from` to `to` (which must not exist), fsyncing every
/// file and directory it writes.
void copy_tree(const fs::path& from, const fs::path& to) {
  const fs::file_status st = fs::symlink_status(from);
  if (fs::is_symlink(st)) {
    fs::copy_symlink(from, to);
    return;
  }
  if (fs::is_directory(st)) {
    fs::create_directory(to);
    for (const auto& entry : fs::directory_iterator(from))
      copy_tree(entry.path(), to / entry.path().filename());
    fs::permissions(to, st.permissions());
    fsync_path(to, true);
    return;
  }
  if (!fs::is_regular_file(st))
    throw std::runtime_error(fmt::format(
        "{} is neither a regular file, a directory nor a symbolic link", from.string()));
  fs::copy_file(from, to);
  fs::permissions(to, st.permissions());
  fsync_path(to, false);
}

bool same_file_bytes(const fs::path& a, const fs::path& b) {
  UniqueFd fa(::open(a.c_str(), O_RDONLY | O_CLOEXEC)), fb(::open(b.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fa || !fb) return false;
  char ba[65536], bb[65536];
  for (;;) {
    const ssize_t na = ::read(fa.get(), ba, sizeof ba);
    ssize_t nb = 0;
    while (nb < na) {  // read b to the same length
      const ssize_t n = ::read(fb.get(), bb + nb, static_cast<std::size_t>(na - nb));
      if (n <= 0) break;
      nb += n;
    }
    if (na < 0 || na != nb || std::memcmp(ba, bb, static_cast<std::size_t>(na)) != 0) return false;
    if (na == 0) return ::read(fb.get(), bb, 1) == 0;
  }
}

}  // namespace

void save_copy(const fs::path& original, const fs::path& saved) {
  const fs::path tmp = partial_of(saved);
  try {
    fs::create_directories(saved.parent_path());
    fs::remove_all(tmp);
    fs::remove_all(saved);
    copy_tree(original, tmp);
    fs::rename(tmp, saved);
    fsync_path(saved.parent_path(), true);
  } catch (const std::exception& e) {
    std::error_code ec;
    fs::remove_all(tmp, ec);
    throw std::runtime_error(
        fmt::format("cannot save {} to {}: {}", original.string(), saved.string(), e.what()));
  }
}

std::string restore_copy(const fs::path& saved, const fs::path& target) {
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(saved, ec))) return "";  // never saved: nothing was changed
  const fs::path tmp = target.parent_path() / ("." + target.filename().string() + ".restoring");
  const fs::path aside = target.parent_path() / ("." + target.filename().string() + ".damaged");
  try {
    fs::remove_all(tmp);
    fs::remove_all(aside);
    fs::create_directories(target.parent_path());
    copy_tree(saved, tmp);
    // A directory cannot be renamed over a non-empty one: the damaged tree
    // goes aside first (rename is atomic; a crash between the two renames
    // leaves the target absent and the copy intact, and a rerun restores).
    if (fs::is_directory(fs::symlink_status(target, ec))) fs::rename(target, aside);
    fs::rename(tmp, target);
    fsync_path(target.parent_path(), true);
    fs::remove_all(aside);
  } catch (const std::exception& e) {
    fs::remove_all(tmp, ec);
    return fmt::format("cannot restore {} from {}: {}", target.string(), saved.string(), e.what());
  }
  return "";
}

void drop_copy(const fs::path& saved) {
  std::error_code ec;
  fs::remove_all(saved, ec);
  fs::remove_all(partial_of(saved), ec);
}

bool same_tree(const fs::path& a, const fs::path& b) {
  std::error_code ec;
  const fs::file_status sa = fs::symlink_status(a, ec), sb = fs::symlink_status(b, ec);
  if (sa.type() != sb.type() || sa.permissions() != sb.permissions()) return false;
  if (fs::is_symlink(sa)) return fs::read_symlink(a, ec) == fs::read_symlink(b, ec);
  if (fs::is_regular_file(sa)) return same_file_bytes(a, b);
  if (!fs::is_directory(sa)) return false;
  std::size_t na = 0, nb = 0;
  for (const auto& e : fs::directory_iterator(a, ec)) {
    ++na;
    if (!same_tree(e.path(), b / e.path().filename())) return false;
  }
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(b, ec)) ++nb;
  return na == nb;
}

}  // namespace faultline

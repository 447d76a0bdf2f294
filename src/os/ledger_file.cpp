// The crash ledger's files (see ledger_file.hpp): atomic when the disk
// allows, in place in the reserved space when it does not.
#include "os/ledger_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <stdexcept>

namespace faultline {

namespace fs = std::filesystem;

namespace {

/// The size a copy holding `text` is given: at least kLedgerReserve and the
/// size it has, doubled until the text and its newline fit.
std::size_t reserve_for(std::size_t text, std::size_t current) {
  std::size_t want = std::max(current, kLedgerReserve);
  while (want < text + 1) want *= 2;
  return want;
}

/// `text`, spaces up to `size` - 1 bytes, a newline (still one JSON value).
std::string padded(std::string_view text, std::size_t size) {
  std::string s(text);
  s.resize(size - 1, ' ');
  s.push_back('\n');
  return s;
}

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

bool write_all(int fd, const std::string& content) {
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::pwrite(fd, content.data() + done, content.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

/// A temporary beside `path` with its blocks allocated, written, fsynced
/// when `sync`, renamed over `path`. Returns its open descriptor, or none
/// with `why` set.
UniqueFd write_atomic(const fs::path& path, const std::string& content, bool sync, std::string& why) {
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  std::error_code ec;
  fs::create_directories(dir, ec);
  const fs::path tmp = dir / ("." + path.filename().string() + ".tmp" + std::to_string(::getpid()));
  UniqueFd fd(::open(tmp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) {
    why = errno_text("open " + tmp.string());
    return {};
  }
  auto fail = [&](const char* what) {
    why = errno_text(std::string(what) + " " + tmp.string());
    ::unlink(tmp.c_str());
    return UniqueFd();
  };
  if (const int e = ::posix_fallocate(fd.get(), 0, static_cast<off_t>(content.size())); e != 0) {
    errno = e;
    if (e != EOPNOTSUPP && e != EINVAL) return fail("fallocate");
  }
  if (!write_all(fd.get(), content)) return fail("write");
  if (sync && ::fsync(fd.get()) != 0) return fail("fsync");
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail("rename");
  if (sync) {
    UniqueFd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (d) ::fsync(d.get());
  }
  return fd;
}

/// Overwrites the file open at `fd` with `text`, padded to the file's size,
/// without changing the size (no block is allocated).
bool write_in_place(int fd, std::string_view text, bool sync, std::string& why) {
  struct stat st{};
  if (::fstat(fd, &st) != 0) {
    why = errno_text("fstat");
    return false;
  }
  const auto size = static_cast<std::size_t>(st.st_size);
  if (size < text.size() + 1) {
    why = fmt::format("the ledger ({} bytes) no longer fits the space reserved for it ({} bytes)", text.size(), size);
    return false;
  }
  if (!write_all(fd, padded(text, size)) || (sync && ::fdatasync(fd) != 0)) {
    why = errno_text("write in place");
    return false;
  }
  return true;
}

}  // namespace

std::string LedgerFile::write(std::string_view text, Durability durability) {
  const bool sync = durability == Durability::durable;
  const std::size_t size = reserve_for(text.size(), reserved_);
  std::string why;
  if (UniqueFd fd = write_atomic(path_, padded(text, size), sync, why)) {
    fd_ = std::move(fd);  // the old file's descriptor is closed: the new one is current
    reserved_ = size;
    return {};
  }
  if (!fd_) fd_.reset(::open(path_.c_str(), O_WRONLY | O_CLOEXEC));
  std::string in_place = fd_ ? std::string() : errno_text("open");
  if (fd_ && write_in_place(fd_.get(), text, sync, in_place)) return "written in place (" + why + ")";
  throw std::runtime_error(fmt::format("cannot write {}: {}; in place: {}", path_.string(), why, in_place));
}

std::string write_ledger_file(const fs::path& path, std::string_view text, Durability durability) {
  LedgerFile f(path);
  return f.write(text, durability);
}

}  // namespace faultline

#define FUSE_USE_VERSION 31
#include "os/iofs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <fuse3/fuse.h>
#include <fuse3/fuse_lowlevel.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "os/run_mount.hpp"


namespace faultline {

namespace fs = std::filesystem;

namespace {

/// What fi->fh holds for an open file or directory: its descriptor (closed
/// with it), and its path when it was opened (operations on an open file may
/// come without a path: nullpath_ok, or a file unlinked while open).
struct OpenFile {
  OpenFile(int fd_, std::string path_) : fd(fd_), path(std::move(path_)) {}
  OpenFile(const OpenFile&) = delete;
  OpenFile& operator=(const OpenFile&) = delete;
  ~OpenFile() {
    if (fd >= 0) ::close(fd);
  }
  int fd = -1;
  std::string path;
};

}  // namespace

struct IoFs::Impl {
  fs::path dir;
  int base = -1;  ///< the directory underneath, opened before the mount hid it
  struct fuse* fuse = nullptr;
  std::string device;  ///< the mount's "MAJOR:MINOR" (/proc/self/mountinfo)
  std::thread thread;
  bool stopped = false;
  std::mutex loop_mu;
  std::condition_variable loop_cv;
  bool loop_ended = false;  ///< fuse_loop_mt returned (under loop_mu)

  struct Rule {
    IoRule rule;
    std::mt19937_64 rng;
    IoCounts counts;
  };
  mutable std::mutex mu;
  std::condition_variable changed;  ///< a rule went: its held operations go on
  std::map<std::uint64_t, Rule> rules;

  /// The files and directories open through the mount, owned here until the
  /// kernel releases them (fi->fh points at one). A close that races the
  /// unmount sends its release after the serving loop has ended, and it is
  /// never read: stop() frees what is left and closes its descriptors.
  std::mutex handles_mu;
  std::map<const OpenFile*, std::unique_ptr<OpenFile>> handles;

  /// A new handle for fi->fh.
  std::uint64_t adopt(int fd, const char* path) {
    auto h = std::make_unique<OpenFile>(fd, path ? path : "/");
    const OpenFile* key = h.get();
    std::lock_guard lock(handles_mu);
    handles.emplace(key, std::move(h));
    return reinterpret_cast<std::uint64_t>(key);
  }
  /// The kernel released fi->fh: closes and frees it.
  void release(std::uint64_t fh) {
    std::unique_ptr<OpenFile> gone;
    std::lock_guard lock(handles_mu);
    if (auto it = handles.find(reinterpret_cast<const OpenFile*>(fh)); it != handles.end()) {
      gone = std::move(it->second);
      handles.erase(it);
    }
  }

  /// Applies the rules to one operation on `path`: 0 = go on, else -errno.
  int act(const char* path, IoOp op) {
    std::unique_lock lock(mu);
    if (rules.empty()) return 0;
    const char* rel = path && path[0] == '/' ? path + 1 : (path ? path : "");
    Nanos delay{0};
    std::uint64_t holder = 0;  // the rule whose delay is the longest
    int error = 0;
    for (auto& [id, r] : rules) {
      if (!(r.rule.ops & op) || ::fnmatch(r.rule.path.c_str(), rel, 0) != 0) continue;
      ++r.counts.matched;
      if (r.rule.probability < 1 &&
          std::uniform_real_distribution<double>(0, 1)(r.rng) >= r.rule.probability)
        continue;
      if (r.rule.delay.count() > 0) {
        ++r.counts.delayed;
        if (r.rule.delay > delay) {
          delay = r.rule.delay;
          holder = id;
        }
      }
      if (r.rule.error != 0) {
        ++r.counts.failed;
        if (error == 0) error = r.rule.error;
      }
    }
    if (delay.count() > 0) {
      // Held until the delay passes or its rule goes (the revert wakes it).
      changed.wait_for(lock, delay, [&] { return !rules.contains(holder); });
    }
    return -error;
  }
};

namespace {

OpenFile& of(const fuse_file_info* fi) { return *reinterpret_cast<OpenFile*>(fi->fh); }
int fd_of(const fuse_file_info* fi) { return of(fi).fd; }

IoFs::Impl& self() { return *static_cast<IoFs::Impl*>(fuse_get_context()->private_data); }

/// The path relative to the directory underneath ("." for the root).
const char* rel(const char* path) {
  return path && path[0] == '/' && path[1] != '\0' ? path + 1 : ".";
}

int err(int r) { return r < 0 ? -errno : r; }

/// A new file or directory belongs to the caller, as it would without the mount.
void own(int fd_or_base, const char* name, int flags) {
  const fuse_context* c = fuse_get_context();
  (void)::fchownat(fd_or_base, name, c->uid, c->gid, flags);
}

void* op_init(fuse_conn_info*, fuse_config* cfg) {
  cfg->use_ino = 1;
  cfg->nullpath_ok = 1;
  cfg->hard_remove = 1;  // we hold descriptors: no .fuse_hidden files
  cfg->direct_io = 1;    // every read and write reaches the rules
  // Names and attributes cached for 1 s (libfuse's default): the directory
  // underneath changes only through this mount. Opens, reads, writes and
  // fsyncs always reach the server.
  cfg->entry_timeout = 1;
  cfg->attr_timeout = 1;
  cfg->negative_timeout = 0;
  return fuse_get_context()->private_data;
}

int op_getattr(const char* path, struct stat* st, fuse_file_info* fi) {
  if (fi && fd_of(fi) >= 0) return err(::fstat(fd_of(fi), st));
  if (fi) path = of(fi).path.c_str();
  return err(::fstatat(self().base, rel(path), st, AT_SYMLINK_NOFOLLOW));
}

int op_access(const char* path, int mask) {
  return err(::faccessat(self().base, rel(path), mask, 0));
}

int op_readlink(const char* path, char* buf, size_t size) {
  const ssize_t n = ::readlinkat(self().base, rel(path), buf, size - 1);
  if (n < 0) return -errno;
  buf[n] = '\0';
  return 0;
}

int op_opendir(const char* path, fuse_file_info* fi) {
  fi->fh = self().adopt(-1, path);
  return 0;
}

int op_releasedir(const char*, fuse_file_info* fi) {
  self().release(fi->fh);
  return 0;
}

int op_readdir(const char*, void* buf, fuse_fill_dir_t filler, off_t, fuse_file_info* fi,
               fuse_readdir_flags) {
  const int fd = ::openat(self().base, rel(of(fi).path.c_str()), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -errno;
  DIR* d = ::fdopendir(fd);
  if (!d) {
    const int e = errno;
    ::close(fd);
    return -e;
  }
  while (dirent* e = ::readdir(d)) {
    struct stat st {};
    st.st_ino = e->d_ino;
    st.st_mode = static_cast<mode_t>(DTTOIF(e->d_type));
    if (filler(buf, e->d_name, &st, 0, static_cast<fuse_fill_dir_flags>(0))) break;
  }
  ::closedir(d);
  return 0;
}

int op_mknod(const char* path, mode_t mode, dev_t rdev) {
  const int r = ::mknodat(self().base, rel(path), mode, rdev);
  if (r == 0) own(self().base, rel(path), AT_SYMLINK_NOFOLLOW);
  return err(r);
}

int op_mkdir(const char* path, mode_t mode) {
  const int r = ::mkdirat(self().base, rel(path), mode);
  if (r == 0) own(self().base, rel(path), AT_SYMLINK_NOFOLLOW);
  return err(r);
}

int op_unlink(const char* path) { return err(::unlinkat(self().base, rel(path), 0)); }
int op_rmdir(const char* path) { return err(::unlinkat(self().base, rel(path), AT_REMOVEDIR)); }

int op_symlink(const char* target, const char* path) {
  const int r = ::symlinkat(target, self().base, rel(path));
  if (r == 0) own(self().base, rel(path), AT_SYMLINK_NOFOLLOW);
  return err(r);
}

int op_rename(const char* from, const char* to, unsigned int flags) {
  return err(::renameat2(self().base, rel(from), self().base, rel(to), flags));
}

int op_link(const char* from, const char* to) {
  return err(::linkat(self().base, rel(from), self().base, rel(to), 0));
}

int op_chmod(const char* path, mode_t mode, fuse_file_info* fi) {
  if (fi && fd_of(fi) >= 0) return err(::fchmod(fd_of(fi), mode));
  if (fi) path = of(fi).path.c_str();
  return err(::fchmodat(self().base, rel(path), mode, 0));
}

int op_chown(const char* path, uid_t uid, gid_t gid, fuse_file_info* fi) {
  if (fi && fd_of(fi) >= 0) return err(::fchown(fd_of(fi), uid, gid));
  if (fi) path = of(fi).path.c_str();
  return err(::fchownat(self().base, rel(path), uid, gid, AT_SYMLINK_NOFOLLOW));
}

int op_truncate(const char* path, off_t size, fuse_file_info* fi) {
  if (const int r = self().act(fi ? of(fi).path.c_str() : path, io_write)) return r;
  if (fi && fd_of(fi) >= 0) return err(::ftruncate(fd_of(fi), size));
  if (fi) path = of(fi).path.c_str();
  const int fd = ::openat(self().base, rel(path), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  const int r = err(::ftruncate(fd, size));
  ::close(fd);
  return r;
}

int op_utimens(const char* path, const timespec tv[2], fuse_file_info* fi) {
  if (fi && fd_of(fi) >= 0) return err(::futimens(fd_of(fi), tv));
  if (fi) path = of(fi).path.c_str();
  return err(::utimensat(self().base, rel(path), tv, AT_SYMLINK_NOFOLLOW));
}

int op_open(const char* path, fuse_file_info* fi) {
  if (const int r = self().act(path, io_open)) return r;
  const int fd = ::openat(self().base, rel(path), (fi->flags & ~O_NOFOLLOW) | O_CLOEXEC);
  if (fd < 0) return -errno;
  fi->fh = self().adopt(fd, path);
  fi->direct_io = 1;
  return 0;
}

int op_create(const char* path, mode_t mode, fuse_file_info* fi) {
  if (const int r = self().act(path, io_open)) return r;
  const int fd = ::openat(self().base, rel(path), fi->flags | O_CREAT | O_CLOEXEC, mode);
  if (fd < 0) return -errno;
  own(fd, "", AT_EMPTY_PATH);
  fi->fh = self().adopt(fd, path);
  fi->direct_io = 1;
  return 0;
}

int op_read(const char*, char* buf, size_t size, off_t off, fuse_file_info* fi) {
  if (const int r = self().act(of(fi).path.c_str(), io_read)) return r;
  const ssize_t n = ::pread(fd_of(fi), buf, size, off);
  return n < 0 ? -errno : static_cast<int>(n);
}

int op_write(const char*, const char* buf, size_t size, off_t off, fuse_file_info* fi) {
  if (const int r = self().act(of(fi).path.c_str(), io_write)) return r;
  const ssize_t n = ::pwrite(fd_of(fi), buf, size, off);
  return n < 0 ? -errno : static_cast<int>(n);
}

int op_statfs(const char*, struct statvfs* st) { return err(::fstatvfs(self().base, st)); }

int op_flush(const char*, fuse_file_info* fi) {
  // Called at each close(2) of a descriptor: a close of a duplicate reports
  // the underlying filesystem's deferred errors, as close(2) would.
  const int fd = ::dup(fd_of(fi));
  if (fd < 0) return -errno;
  return err(::close(fd));
}

int op_release(const char*, fuse_file_info* fi) {
  self().release(fi->fh);
  return 0;
}

int op_fsync(const char*, int datasync, fuse_file_info* fi) {
  if (const int r = self().act(of(fi).path.c_str(), io_fsync)) return r;
  const int fd = fd_of(fi);
  return err(datasync ? ::fdatasync(fd) : ::fsync(fd));
}

int op_fallocate(const char*, int mode, off_t off, off_t len, fuse_file_info* fi) {
  if (const int r = self().act(of(fi).path.c_str(), io_write)) return r;
  return err(::fallocate(fd_of(fi), mode, off, len));
}

fuse_operations make_operations() {
  fuse_operations o{};
  o.init = op_init;
  o.getattr = op_getattr;
  o.access = op_access;
  o.readlink = op_readlink;
  o.opendir = op_opendir;
  o.readdir = op_readdir;
  o.releasedir = op_releasedir;
  o.mknod = op_mknod;
  o.mkdir = op_mkdir;
  o.unlink = op_unlink;
  o.rmdir = op_rmdir;
  o.symlink = op_symlink;
  o.rename = op_rename;
  o.link = op_link;
  o.chmod = op_chmod;
  o.chown = op_chown;
  o.truncate = op_truncate;
  o.utimens = op_utimens;
  o.open = op_open;
  o.create = op_create;
  o.read = op_read;
  o.write = op_write;
  o.statfs = op_statfs;
  o.flush = op_flush;
  o.release = op_release;
  o.fsync = op_fsync;
  o.fallocate = op_fallocate;
  return o;
}

}  // namespace

namespace {

/// Writes "1" to `file`; false when it cannot be opened or written.
bool write_one(const std::string& file) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::write(fd, "1", 1) == 1;
  ::close(fd);
  return ok;
}

}  // namespace

bool abort_fuse_connection(const std::string& device) {
  // The FUSE control filesystem names each connection by its device number
  // as the kernel encodes it: MAJOR << 20 | MINOR.
  unsigned major = 0, minor = 0;
  if (std::sscanf(device.c_str(), "%u:%u", &major, &minor) != 2) return false;
  const std::string file =
      fmt::format("/sys/fs/fuse/connections/{}/abort", (static_cast<unsigned long>(major) << 20) | minor);
  if (write_one(file)) return true;
  // Not mounted at /sys/fs/fuse/connections (systemd mounts it on a host, a
  // container may not): mounted by a thread in a mount namespace of its own
  // (unshare(CLONE_NEWNS) applies to the calling thread only), made private
  // first so that nothing propagates back; both go with the thread.
  bool ok = false;
  try {
    std::thread t([&] {
      if (::unshare(CLONE_NEWNS) != 0) return;
      if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return;
      if (::mount("fusectl", "/sys/fs/fuse/connections", "fusectl", 0, nullptr) != 0) return;
      ok = write_one(file);
    });
    t.join();
  } catch (const std::system_error&) {
    return false;  // no thread to be had (the run exhausted them): the loop is waited for instead
  }
  return ok;
}

std::unique_ptr<IoFs> IoFs::mount(const fs::path& dir) {
  std::unique_ptr<IoFs> fsys(new IoFs());
  fsys->impl_ = std::make_unique<Impl>();
  Impl& m = *fsys->impl_;
  m.dir = dir;
  m.base = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (m.base < 0)
    throw std::runtime_error(fmt::format("cannot open {}: {}", dir.string(), std::strerror(errno)));
  static const fuse_operations ops = make_operations();
  // fsname names the directory served, for mount(8) and the leftover checks.
  const std::string fsname = "-ofsname=faultline-iofs:" + dir.string();
  const char* argv[] = {"faultline", "-oallow_other,default_permissions,subtype=faultline",
                        fsname.c_str()};
  fuse_args args = FUSE_ARGS_INIT(3, const_cast<char**>(argv));
  m.fuse = fuse_new(&args, &ops, sizeof ops, &m);
  fuse_opt_free_args(&args);  // fuse_new's option parsing may have copied the arguments
  if (!m.fuse) {
    ::close(m.base);
    m.base = -1;
    throw std::runtime_error(fmt::format("cannot make a FUSE filesystem for {}", dir.string()));
  }
  if (fuse_mount(m.fuse, dir.c_str()) != 0) {
    fuse_destroy(m.fuse);
    m.fuse = nullptr;
    ::close(m.base);
    m.base = -1;
    const std::string why = iofs_unavailable();
    throw std::runtime_error(fmt::format("cannot mount a FUSE filesystem at {}{}", dir.string(),
                                         why.empty() ? "" : ": " + why));
  }
  // The serving thread (and the workers it starts) take no signals: the
  // run's signal handling stays the main thread's.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  m.device = top_mount_device(dir);
  try {
    m.thread = std::thread([&m] {
      fuse_loop_mt(m.fuse, 0);
      std::lock_guard lock(m.loop_mu);
      m.loop_ended = true;
      m.loop_cv.notify_all();
    });
  } catch (...) {
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    throw;  // ~IoFs unmounts it (stop() with no thread to wait for)
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return fsys;
}

IoFs::~IoFs() {
  if (impl_) stop();
}

void IoFs::set_rule(std::uint64_t id, const IoRule& rule) {
  std::lock_guard lock(impl_->mu);
  auto& r = impl_->rules[id];
  r.rule = rule;
  r.rng.seed(rule.seed);
  r.counts = {};
}

IoCounts IoFs::clear_rule(std::uint64_t id) {
  IoCounts c;
  {
    std::lock_guard lock(impl_->mu);
    auto it = impl_->rules.find(id);
    if (it == impl_->rules.end()) return c;
    c = it->second.counts;
    impl_->rules.erase(it);
  }
  impl_->changed.notify_all();
  return c;
}

IoCounts IoFs::counts(std::uint64_t id) const {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->rules.find(id);
  return it == impl_->rules.end() ? IoCounts{} : it->second.counts;
}

void IoFs::stop() {
  Impl& m = *impl_;
  if (m.stopped) return;
  m.stopped = true;
  if (!m.fuse) return;  // mount() failed before it had a filesystem: nothing to stop
  {
    std::lock_guard lock(m.mu);
    m.rules.clear();
  }
  m.changed.notify_all();
  // Still connected: the device reports POLLERR once the connection is
  // gone, as libfuse checks.
  const auto connected = [&m] {
    pollfd pfd{fuse_session_fd(fuse_get_session(m.fuse)), 0, 0};
    return ::poll(&pfd, 1, 0) == 0 || !(pfd.revents & POLLERR);
  };
  // Still mounted (a test, or a run that failed before its unmount): one
  // detach of the top mount at the directory when it is ours (never what is
  // under it, a tmpfs of the run's), and the kernel ends the connection: the
  // loop's reads of /dev/fuse see ENODEV. When that cannot be told (no
  // descriptor left to read the mount table with), detached all the same.
  if (connected()) {
    const std::string top = top_mount_device(m.dir);
    if (m.device.empty() || top.empty() || top == m.device) (void)::umount2(m.dir.c_str(), MNT_DETACH);
  }
  // The kernel ends it only with the last copy of the mount, though: a
  // process that entered a mount namespace of its own while it was mounted
  // (`ip netns exec` of a concurrent run's service, unshare(1)) holds one,
  // and the loop would serve it until that process exits. Not ended within
  // a second and still connected: the connection is aborted (every access
  // through a copy fails with ENOTCONN from then on), and the loop ends;
  // tried again each second should that fail. Not aborted once the
  // connection is gone: its device number may be a new mount's by then.
  if (m.thread.joinable()) {
    std::unique_lock lock(m.loop_mu);
    while (!m.loop_cv.wait_for(lock, std::chrono::seconds(1), [&m] { return m.loop_ended; })) {
      lock.unlock();
      if (connected()) (void)abort_fuse_connection(m.device);
      lock.lock();
    }
  }
  if (m.thread.joinable()) m.thread.join();
  // fuse_unmount finds the connection gone and unmounts nothing more (it
  // must not: under the mount point there may be the run's tmpfs).
  fuse_unmount(m.fuse);
  fuse_destroy(m.fuse);
  m.fuse = nullptr;
  m.handles.clear();  // the loop has ended: what the kernel never released
  ::close(m.base);
  m.base = -1;
}

std::string iofs_unavailable() {
  if (::geteuid() != 0) return "mounting a FUSE filesystem for the run needs root";
  struct stat st {};
  if (::stat("/dev/fuse", &st) != 0 || !S_ISCHR(st.st_mode))
    return "/dev/fuse is missing (load the fuse module: modprobe fuse)";
  const int fd = ::open("/dev/fuse", O_RDWR | O_CLOEXEC);
  if (fd < 0) return fmt::format("/dev/fuse cannot be opened: {}", std::strerror(errno));
  ::close(fd);
  return "";
}

namespace {

std::mutex g_served_mu;
std::map<std::string, std::unique_ptr<IoFs>>& served() {
  static std::map<std::string, std::unique_ptr<IoFs>> m;
  return m;
}

}  // namespace

void serve_iofs(const fs::path& dir) {
  auto fsys = IoFs::mount(dir);
  std::lock_guard lock(g_served_mu);
  served()[dir.string()] = std::move(fsys);
}

IoFs* served_iofs(const fs::path& dir) {
  std::lock_guard lock(g_served_mu);
  auto it = served().find(dir.string());
  return it == served().end() ? nullptr : it->second.get();
}

void stop_iofs(const fs::path& dir) {
  std::unique_ptr<IoFs> fsys;
  {
    std::lock_guard lock(g_served_mu);
    auto it = served().find(dir.string());
    if (it == served().end()) return;
    fsys = std::move(it->second);
    served().erase(it);
  }
  fsys->stop();
}

}  // namespace faultline

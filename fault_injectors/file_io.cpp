// file.io — make a service's file operations fail with an errno, or slow
// them, for a path pattern and a probability.
//
// What it acts through: a scenario with a file.io fault on service S gets,
// before the clone starts, a FUSE passthrough filesystem mounted over S's
// directory in the run (run_dir/services/S; src/run/run_mounts.cpp), served
// by a thread of the harness (src/os/iofs.hpp) and recorded in the crash
// ledger before it exists (Ledger::mounts). With no rule set it passes
// every operation to the directory underneath unchanged (a descriptor
// opened before the mount hid it): the same bytes, sizes, names and modes.
// Mounting needs root and /dev/fuse: without either, the fault is refused at
// validation with the reason. Like disk.full, it refuses a service with a
// `workdir` of its own, an attached one and one on a [[host]].
//
// How it works: inject sets a rule on that filesystem: the operations named
// by `ops` (open, read, write, fsync) on paths that match the glob `path`
// (fnmatch(3) on the path relative to the service's directory; '*' crosses
// '/') are, each with `probability` drawn from a stream seeded by the run's
// seed, the iteration and the fault's name, held for `delay` and/or failed
// with `errno` instead of being carried out. Files are opened with direct
// I/O, so every read and write reaches the rule; none is answered from the
// page cache. After the revert, done() says how many operations the rule
// selected, failed and delayed.
//
// How it is undone: revert removes the rule (operations held by it go on at
// once); the filesystem stays mounted, passing everything through, until the
// clone has stopped, when the run unmounts it (and aborts its connection,
// should a copy of the mount live on in a mount namespace another process
// made meanwhile: os/iofs.hpp). Should the harness die, its
// serving thread dies with it: every access under the mount fails with
// ENOTCONN until the watchdog or `faultline cleanup`, having stopped the
// run's processes, unmount it from the ledger.
#include "fault_injectors/file_io.hpp"

#include <fmt/format.h>
#include <cerrno>
#include <sstream>

#include "fault_injectors/injector.hpp"
#include "scenario/schedule.hpp"

namespace faultline {

namespace fs = std::filesystem;

const std::vector<std::pair<std::string, int>>& file_io_errnos() {
  static const std::vector<std::pair<std::string, int>> names = {
      {"EIO", EIO},       {"ENOSPC", ENOSPC}, {"EDQUOT", EDQUOT}, {"EROFS", EROFS},
      {"EACCES", EACCES}, {"EPERM", EPERM},   {"EFBIG", EFBIG},   {"ENOMEM", ENOMEM},
  };
  return names;
}

namespace {

const std::vector<std::pair<std::string, unsigned>> kOps = {
    {"open", io_open}, {"read", io_read}, {"write", io_write}, {"fsync", io_fsync}};

/// "read,write" -> the bit mask; false with `error` on an unknown name.
bool parse_ops(const std::string& text, unsigned& ops, std::string& error) {
  ops = 0;
  std::istringstream in(text);
  std::string name;
  while (std::getline(in, name, ',')) {
    while (!name.empty() && name.front() == ' ') name.erase(0, 1);
    while (!name.empty() && name.back() == ' ') name.pop_back();
    unsigned bit = 0;
    for (const auto& [n, b] : kOps)
      if (n == name) bit = b;
    if (bit == 0) {
      error = fmt::format(
          "unknown operation '{}' in ops '{}': write a comma-separated list of open, read, write "
          "and fsync",
          name, text);
      return false;
    }
    ops |= bit;
  }
  if (ops == 0) {
    error = "ops is empty: name at least one of open, read, write and fsync";
    return false;
  }
  return true;
}

std::string rule_text(const FileIoParams& p) {
  std::string what;
  if (p.rule.delay.count() > 0) what = "hold " + format_duration(p.rule.delay);
  if (p.rule.error != 0) what += (what.empty() ? "fail with " : " then fail with ") + p.error_name;
  what += fmt::format(" {} on '{}'", p.ops, p.rule.path);
  if (p.rule.probability < 1) what += fmt::format(", {:g}% of them", p.rule.probability * 100);
  return what;
}

class FileIo final : public Injector {
 public:
  explicit FileIo(const FaultSpec& spec)
      : target_(spec.target), name_(spec.name), params_(spec.params.get<FileIoParams>()) {}

  asio::awaitable<void> prepare(InjectorContext& ctx) override {
    if (ctx.run_dir.empty()) throw FaultError("file.io needs the run directory");
    dir_ = ctx.run_dir / "services" / target_;
    if (!served_iofs(dir_))
      throw FaultError(fmt::format(
          "{} is not served by the run's passthrough filesystem: refusing", dir_.string()));
    id_ = ctx.event;
    params_.rule.seed =
        mix_seed(ctx.seed, static_cast<std::uint64_t>(ctx.iteration), name_hash(name_));
    co_return;
  }

  asio::awaitable<void> inject(InjectorContext&) override {
    IoFs* fsys = served_iofs(dir_);
    if (!fsys) throw FaultError(fmt::format("{} is no longer served", dir_.string()));
    fsys->set_rule(id_, params_.rule);
    set_ = true;
    co_return;
  }

  asio::awaitable<void> revert(InjectorContext&) override {
    if (!set_) co_return;
    if (IoFs* fsys = served_iofs(dir_)) counts_ = fsys->clear_rule(id_);
    set_ = false;
    reverted_ = true;
    co_return;
  }

  bool reversible() const override { return true; }

  std::string describe() const override {
    return fmt::format("{} under service '{}''s directory", rule_text(params_), target_);
  }

  /// Nothing at injection (the rule has not met an operation yet); after
  /// the revert, what it did.
  FaultDone done() const override {
    if (set_ || !reverted_) return {};
    return {fmt::format("{} operation(s) selected, {} failed, {} delayed", counts_.matched,
                        counts_.failed, counts_.delayed),
            std::nullopt};
  }


 private:
  std::string target_;
  std::string name_;
  FileIoParams params_;
  fs::path dir_;
  std::uint64_t id_ = 0;
  bool set_ = false;
  bool reverted_ = false;
  IoCounts counts_;
};

FaultParams read(ParamReader& r) {
  FileIoParams p;
  if (const auto path = r.text("path")) {
    p.rule.path = *path;
    if (path->starts_with("/") || path->find("..") != std::string::npos)
      p.bad.emplace_back("path", fmt::format("path '{}' must be relative to the service's "
                                             "directory, without '..'",
                                             *path));
  }
  if (const auto ops = r.text("ops")) {
    p.ops = *ops;
    std::string error;
    if (!parse_ops(*ops, p.rule.ops, error)) p.bad.emplace_back("ops", error);
  }
  std::vector<std::string> names;
  for (const auto& [n, v] : file_io_errnos()) names.push_back(n);
  if (const auto e = r.choice("errno", names)) {
    p.error_name = *e;
    for (const auto& [n, v] : file_io_errnos())
      if (n == *e) p.rule.error = v;
  }
  assign(p.rule.delay, r.duration("delay", DurationMin::positive));
  assign(p.rule.probability, r.probability("probability"));
  return p;
}

void check(FaultCheck& c) {
  const auto* p = c.fault().params.get_if<FileIoParams>();
  if (!p) return;
  for (const auto& [key, message] : p->bad)
    c.error(c.at(key), fmt::format("{}: {}", c.label(), message));
  if (p->rule.error == 0 && p->rule.delay.count() == 0)
    c.error(c.at("kind"),
            fmt::format("{}: file.io needs 'errno', 'delay' or both: what should the selected "
                        "operations suffer?",
                        c.label()));
  if (const std::string why = iofs_unavailable(); !why.empty())
    c.error(c.at("kind"),
            fmt::format("{}: file.io mounts a FUSE filesystem over service '{}''s directory, and "
                        "this host cannot: {}",
                        c.label(), c.fault().target, why),
            "run faultline as root where /dev/fuse exists (a CI container with --privileged, or "
            "--device /dev/fuse --cap-add SYS_ADMIN)");
  const FaultSpec& f = c.fault();
  for (const auto& s : c.scenario().services) {
    if (s.name != f.target) continue;
    std::string why;
    if (!s.workdir.empty()) why = fmt::format("its workdir '{}' is not the run's", s.workdir);
    if (s.attach.attached()) why = "it is an attached service: its files are not the run's";
    if (!s.host.empty() && c.scenario().network != NetworkMode::namespaces)
      why = fmt::format("it runs on host '{}': only files on this machine can be served", s.host);
    if (!why.empty())
      c.error(c.at("target"),
              fmt::format("{}: service '{}' cannot get the run's passthrough filesystem: {}",
                          c.label(), f.target, why),
              "let the service use its own directory in the run ({service.dir}), where the run "
              "mounts the filesystem");
  }
}

std::string describe(const FaultSpec& f) {
  const auto* p = f.params.get_if<FileIoParams>();
  return p ? fmt::format("{} under '{}''s directory", rule_text(*p), f.target) : std::string();
}

}  // namespace

const InjectorKind& file_io_kind() {
  static const InjectorKind kind{
      .kind =
          {
              .spec = {"file.io",
                       "fail (errno) or slow (delay) the target service's file operations that "
                       "match 'path' and 'ops', through a FUSE passthrough filesystem the run "
                       "mounts over its directory before it starts (root, /dev/fuse)",
                       true,
                       {
                           {"path", "string", "*",
                            "glob (fnmatch, '*' crosses '/') on the path relative to the "
                            "service's directory: \"*.aof\", \"appendonlydir/*\"",
                            false},
                           {"ops", "string", "read,write,fsync",
                            "comma-separated operations selected: open (and create), read, write "
                            "(and truncate, fallocate), fsync (and fdatasync)",
                            false},
                           {"errno", "string", "",
                            "the error the selected operations fail with: EIO, ENOSPC, EDQUOT, "
                            "EROFS, EACCES, EPERM, EFBIG or ENOMEM; 'errno', 'delay' or both",
                            false},
                           {"delay", "duration", "",
                            "how long each selected operation is held before it runs (or fails); "
                            "> 0",
                            false},
                           {"probability", "probability", "1",
                            "chance that a selected operation is acted on, drawn per operation "
                            "from the run's seed; 0..1",
                            false},
                       }},
              .target = FaultTarget::service,
              .duration = FaultDuration::required,
              .duration_why = "needs to know how long to keep the rule",
              .read = &read,
              .check = &check,
              .describe = &describe,
          },
      .make = &make_injector_of<FileIo>,
  };
  return kind;
}

}  // namespace faultline

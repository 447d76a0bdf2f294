// file.corrupt — damage a file or directory a service keeps its data in:
// flip bits, zero a range, cut the tail, append junk or delete it, the way a
// torn write, a bad sector, a crash mid-append or an operator's `rm` would.
//
// What it may touch: only what the run owns, a path inside the target
// service's own directory in the run directory (run_dir/services/NAME, the
// service's default working directory). Validation refuses an absolute path,
// a '..', a service with a `workdir` of its own (not the run's), an attached
// service and one on a [[host]]; prepare refuses a path that resolves
// outside that directory through a symbolic link, and one that does not
// exist. It acts whether the service runs or not: between a process.kill and
// the restart is where an append-only file is truncated mid-record.
//
// How it works: the draws (which bits, which junk) come from a stream seeded
// by the run's seed, the iteration and the fault's name, so a replay with
// the same seed on the same bytes damages the same places. A directory's
// regular files are taken in path order: as one stream of bytes for `flip`
// and `zero`, one by one for `truncate` and `garbage_tail`. What was done
// (bits flipped, bytes changed, cut or added, the first offsets) goes to the
// log, to the record (FaultEvent::damage, damage_of) and to every report.
//
// How it is undone: before anything is changed, the crash ledger names the
// saved copy's path (run_dir/saved/event-N/NAME) and the target (undo kind
// `restore`), fsynced; then inject saves the original byte for byte
// (os/saved_copy.hpp: complete or absent, so a copy that is not there means
// nothing was changed yet) and only then damages it. revert puts the copy
// back (through a temporary and a rename: never half restored), reads it
// back, and drops the copy; reverting twice is harmless. Should the harness
// die, the watchdog or `faultline cleanup` restores it the same way once
// the run's processes are stopped (os/cleanup.cpp, step 3a). With
// `permanent = true` nothing is restored (a restore drill's point: the
// runbook must repair or restore it) and the ledger has nothing to undo; the
// original is still saved, for the record and the curious.
#include "fault_injectors/file_corrupt.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <random>
#include <set>

#include "fault_injectors/injector.hpp"
#include "os/fd.hpp"
#include "os/saved_copy.hpp"
#include "scenario/byte_size.hpp"
#include "scenario/schedule.hpp"
#include "system/clone.hpp"

namespace faultline {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kOffsetsKept = 8;  ///< offsets named in the record

/// One regular file of the target, in path order.
struct Part {
  fs::path path;
  std::string name;  ///< relative to the target's parent: what the record shows
  std::int64_t size = 0;
};

std::vector<Part> parts_of(const fs::path& target) {
  std::vector<Part> parts;
  const fs::path base = target.parent_path();
  auto add = [&](const fs::path& p) {
    parts.push_back(
        {p, p.lexically_relative(base).string(), static_cast<std::int64_t>(fs::file_size(p))});
  };
  if (fs::is_regular_file(fs::symlink_status(target))) {
    add(target);
    return parts;
  }
  for (const auto& e : fs::recursive_directory_iterator(target))
    if (e.is_regular_file() && !e.is_symlink()) add(e.path());
  std::sort(parts.begin(), parts.end(),
            [](const Part& a, const Part& b) { return a.path < b.path; });
  return parts;
}

UniqueFd open_rw(const fs::path& p, int extra = 0) {
  UniqueFd fd(::open(p.c_str(), O_RDWR | O_CLOEXEC | extra));
  if (!fd)
    throw std::runtime_error(fmt::format("cannot open {}: {}", p.string(), std::strerror(errno)));
  return fd;
}

void write_at(int fd, const void* data, std::size_t n, std::int64_t at, const fs::path& p) {
  if (::pwrite(fd, data, n, at) != static_cast<ssize_t>(n))
    throw std::runtime_error(fmt::format("cannot write {}: {}", p.string(), std::strerror(errno)));
}

void note(Corruption& c, const Part& part, std::int64_t at) {
  if (c.offsets.size() < kOffsetsKept) c.offsets.push_back(fmt::format("{}@{}", part.name, at));
  else c.more = true;
}

/// The bit positions to flip in a stream of `total` bits.
std::vector<std::uint64_t> flip_positions(const FileCorruptParams& p, std::uint64_t total,
                                          std::mt19937_64& rng) {
  std::vector<std::uint64_t> out;
  if (total == 0) return out;
  if (p.bits) {
    const auto k = std::min<std::uint64_t>(static_cast<std::uint64_t>(*p.bits), total);
    std::set<std::uint64_t> chosen;
    std::uniform_int_distribution<std::uint64_t> any(0, total - 1);
    while (chosen.size() < k) chosen.insert(any(rng));
    return {chosen.begin(), chosen.end()};
  }
  const double rate = p.rate.value_or(0);
  if (rate <= 0) return out;
  // Each bit flips with chance `rate`: the gaps between flips are geometric.
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const double log_keep = std::log1p(-std::min(rate, 1.0 - 1e-12));
  for (std::uint64_t pos = 0;;) {
    const double gap = rate >= 1 ? 0 : std::floor(std::log1p(-u(rng)) / log_keep);
    if (gap >= static_cast<double>(total - pos)) break;
    pos += static_cast<std::uint64_t>(gap);
    out.push_back(pos++);
    if (pos >= total) break;
  }
  return out;
}

/// Finds the part holding byte `at` of the stream; its start in `start`.
std::size_t part_at(const std::vector<Part>& parts, std::int64_t at, std::int64_t& start) {
  start = 0;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (at < start + parts[i].size) return i;
    start += parts[i].size;
  }
  return parts.size();
}

void flip(const std::vector<Part>& parts, const FileCorruptParams& p, std::mt19937_64& rng,
          Corruption& c) {
  std::int64_t total = 0;
  for (const auto& part : parts) total += part.size;
  const auto positions = flip_positions(p, static_cast<std::uint64_t>(total) * 8, rng);
  std::set<std::size_t> touched;
  for (std::size_t i = 0; i < positions.size();) {
    const auto byte = static_cast<std::int64_t>(positions[i] / 8);
    unsigned char mask = 0;
    for (; i < positions.size() && static_cast<std::int64_t>(positions[i] / 8) == byte; ++i)
      mask = static_cast<unsigned char>(mask | (1u << (positions[i] % 8)));
    std::int64_t start = 0;
    const std::size_t k = part_at(parts, byte, start);
    const UniqueFd fd = open_rw(parts[k].path);
    unsigned char b = 0;
    if (::pread(fd.get(), &b, 1, byte - start) != 1)
      throw std::runtime_error(
          fmt::format("cannot read {}: {}", parts[k].path.string(), std::strerror(errno)));
    b = static_cast<unsigned char>(b ^ mask);
    write_at(fd.get(), &b, 1, byte - start, parts[k].path);
    note(c, parts[k], byte - start);
    touched.insert(k);
    ++c.bytes;
  }
  c.bits = static_cast<std::int64_t>(positions.size());
  c.files = static_cast<int>(touched.size());
}

void zero(const std::vector<Part>& parts, const FileCorruptParams& p, Corruption& c) {
  std::int64_t start = 0;
  const std::int64_t lo = p.offset, hi = p.offset + p.length.value_or(0);
  const std::vector<char> zeros(65536, 0);
  for (const auto& part : parts) {
    const std::int64_t from = std::max(lo, start), to = std::min(hi, start + part.size);
    start += part.size;
    if (from >= to) continue;
    const UniqueFd fd = open_rw(part.path);
    for (std::int64_t at = from; at < to;) {
      const auto n = static_cast<std::size_t>(
          std::min<std::int64_t>(to - at, static_cast<std::int64_t>(zeros.size())));
      write_at(fd.get(), zeros.data(), n, at - (start - part.size), part.path);
      at += static_cast<std::int64_t>(n);
    }
    note(c, part, from - (start - part.size));
    c.bytes += to - from;
    ++c.files;
  }
}

void truncate(const std::vector<Part>& parts, const FileCorruptParams& p, Corruption& c) {
  for (const auto& part : parts) {
    const std::int64_t keep = p.cut ? std::max<std::int64_t>(0, part.size - *p.cut)
                                    : static_cast<std::int64_t>(std::floor(
                                          static_cast<double>(part.size) * p.keep.value_or(1)));
    if (keep >= part.size) continue;
    if (::truncate(part.path.c_str(), keep) != 0)
      throw std::runtime_error(
          fmt::format("cannot truncate {}: {}", part.path.string(), std::strerror(errno)));
    note(c, part, keep);
    c.bytes += part.size - keep;
    ++c.files;
  }
}

void garbage_tail(const std::vector<Part>& parts, const FileCorruptParams& p, std::mt19937_64& rng,
                  Corruption& c) {
  for (const auto& part : parts) {
    std::string junk(static_cast<std::size_t>(p.length.value_or(0)), '\0');
    for (auto& ch : junk) ch = static_cast<char>(rng() & 0xff);
    const UniqueFd fd = open_rw(part.path);
    write_at(fd.get(), junk.data(), junk.size(), part.size, part.path);
    note(c, part, part.size);
    c.bytes += static_cast<std::int64_t>(junk.size());
    ++c.files;
  }
}

}  // namespace

std::string Corruption::text() const {
  std::string where =
      offsets.empty() ? std::string() : " at " + fmt::format("{}", fmt::join(offsets, ", "));
  if (more) where += ", ...";
  const std::string in = fmt::format("{} file{}", files, files == 1 ? "" : "s");
  if (bits > 0)
    return fmt::format("flipped {} bit{} ({} byte{}) in {}{}", bits, bits == 1 ? "" : "s", bytes,
                       bytes == 1 ? "" : "s", in, where);
  return fmt::format("{} byte{} in {}{}", bytes, bytes == 1 ? "" : "s", in, where);
}

DataDamage damage_of(const Corruption& c, const FileCorruptParams& p) {
  DataDamage d;
  d.path = p.path;
  d.mode = p.mode;
  d.files = c.files;
  d.bits = c.bits;
  if (p.mode == "flip" || p.mode == "zero") d.bytes_changed = c.bytes;
  else if (p.mode == "garbage_tail") d.bytes_added = c.bytes;
  else d.bytes_cut = c.bytes;  // truncate, delete
  d.offsets = c.offsets;
  d.offsets_truncated = c.more;
  d.permanent = p.permanent;
  return d;
}

Corruption corrupt_tree(const fs::path& target, const FileCorruptParams& p, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  const std::vector<Part> parts = parts_of(target);
  Corruption c;
  if (p.mode == "flip") {
    flip(parts, p, rng, c);
  } else if (p.mode == "zero") {
    zero(parts, p, c);
  } else if (p.mode == "truncate") {
    truncate(parts, p, c);
  } else if (p.mode == "garbage_tail") {
    garbage_tail(parts, p, rng, c);
  } else if (p.mode == "delete") {
    for (const auto& part : parts) c.bytes += part.size;
    c.files = static_cast<int>(parts.size());
    fs::remove_all(target);
  } else {
    throw std::runtime_error(fmt::format("unknown file.corrupt mode '{}'", p.mode));
  }
  return c;
}

namespace {

/// What each mode does, in words, for describe().
std::string mode_text(const FileCorruptParams& p) {
  if (p.mode == "flip")
    return p.bits ? fmt::format("flip {} bit{}", *p.bits, *p.bits == 1 ? "" : "s")
                  : fmt::format("flip bits at rate {}", p.rate.value_or(0));
  if (p.mode == "zero")
    return fmt::format("zero {} from offset {}", format_size(p.length.value_or(0)), p.offset);
  if (p.mode == "truncate")
    return p.cut ? fmt::format("cut the last {}", format_size(*p.cut))
                 : fmt::format("truncate to {:g}% of its size", p.keep.value_or(1) * 100);
  if (p.mode == "garbage_tail")
    return fmt::format("append {} of junk", format_size(p.length.value_or(0)));
  return "delete";
}

class FileCorrupt final : public Injector {
 public:
  explicit FileCorrupt(const FaultSpec& spec)
      : target_(spec.target), name_(spec.name), params_(spec.params.get<FileCorruptParams>()) {}

  asio::awaitable<void> prepare(InjectorContext& ctx) override {
    if (ctx.run_dir.empty()) throw FaultError("file.corrupt needs the run directory");
    const fs::path dir = ctx.run_dir / "services" / target_;
    std::error_code ec;
    const fs::path real_dir = fs::canonical(dir, ec);
    if (ec)
      throw FaultError(
          fmt::format("service '{}' has no directory {} in the run: nothing to corrupt", target_,
                      dir.string()));
    path_ = dir / params_.path;
    if (!fs::exists(fs::symlink_status(path_, ec)))
      throw FaultError(fmt::format("{} does not exist: nothing to corrupt", path_.string()));
    // A symbolic link on the way must not lead out of what the run owns.
    const fs::path real = fs::weakly_canonical(path_, ec);
    const auto rel = real.lexically_relative(real_dir);
    if (ec || rel.empty() || *rel.begin() == "..")
      throw FaultError(
          fmt::format("{} resolves to {}, outside service '{}''s directory {}: refused",
                      path_.string(), real.string(), target_, real_dir.string()));
    saved_ = ctx.run_dir / "saved" / fmt::format("event-{}", ctx.event) / path_.filename();
    seed_ = mix_seed(ctx.seed, static_cast<std::uint64_t>(ctx.iteration), name_hash(name_));
    co_return;
  }

  asio::awaitable<void> inject(InjectorContext& ctx) override {
    running_ = ctx.clone.current(target_) != nullptr;
    try {
      save_copy(path_, saved_);
    } catch (const std::exception& e) {
      throw FaultError(fmt::format("not corrupted: {}", e.what()));
    }
    saved_done_ = true;
    try {
      done_ = corrupt_tree(path_, params_, seed_);
    } catch (const std::exception& e) {
      throw FaultError(fmt::format("{} partly corrupted: {}", path_.string(), e.what()));
    }
    co_return;
  }

  asio::awaitable<void> revert(InjectorContext&) override {
    if (params_.permanent || !saved_done_) co_return;
    if (const std::string why = restore_copy(saved_, path_); !why.empty()) throw FaultError(why);
    if (!same_tree(saved_, path_))
      throw FaultError(fmt::format("{} differs from its saved original {} after the restore",
                                   path_.string(), saved_.string()));
    drop_copy(saved_);
    saved_done_ = false;
    co_return;
  }

  bool reversible() const override { return !params_.permanent; }

  Undo undo_plan(InjectorContext&) const override {
    Undo u;
    if (params_.permanent) return u;
    u.kind = Undo::Kind::restore;
    u.path = path_.string();
    u.saved = saved_.string();
    return u;
  }

  std::string describe() const override {
    return fmt::format("{} of {} in service '{}''s directory{}{}", mode_text(params_), params_.path,
                       target_, running_ ? " while it ran" : " while it was stopped",
                       params_.permanent ? " (permanent)"
                                         : fmt::format(", original saved in {}", saved_.string()));
  }

  FaultDone done() const override {
    return {fmt::format("{}: {}{}", params_.path, done_.text(),
                        params_.permanent ? fmt::format("; original kept in {}", saved_.string())
                                          : std::string()),
            damage_of(done_, params_)};
  }

 private:
  std::string target_;
  std::string name_;
  FileCorruptParams params_;
  fs::path path_;   ///< the target, in the service's directory
  fs::path saved_;  ///< its saved original
  std::uint64_t seed_ = 0;
  bool saved_done_ = false;  ///< the original is saved: revert restores it
  bool running_ = false;     ///< the service ran when it was corrupted
  Corruption done_;
};

const std::vector<std::string> kModes = {"flip", "zero", "truncate", "garbage_tail", "delete"};

/// A size key: parsed, or its problem kept for check().
std::optional<std::int64_t> size_key(ParamReader& r, FileCorruptParams& p, const std::string& key) {
  const auto text = r.text(key);
  if (!text) return std::nullopt;
  std::string error;
  auto size = parse_size(*text, &error);
  if (!size) p.bad_sizes.emplace_back(key, error);
  return size;
}

FaultParams read(ParamReader& r) {
  FileCorruptParams p;
  if (r.require("path")) assign(p.path, r.text("path"));
  if (r.require("mode")) assign(p.mode, r.choice("mode", kModes));
  p.bits = r.integer("bits", 1, std::int64_t{1} << 40);
  p.rate = r.probability("rate");
  assign(p.offset, size_key(r, p, "offset"));
  p.length = size_key(r, p, "length");
  p.cut = size_key(r, p, "cut");
  p.keep = r.probability("keep");
  assign(p.permanent, r.boolean("permanent"));
  return p;
}

/// The keys each mode takes (beyond path, mode, permanent).
std::vector<std::string> mode_keys(const std::string& mode) {
  if (mode == "flip") return {"bits", "rate"};
  if (mode == "zero") return {"offset", "length"};
  if (mode == "truncate") return {"cut", "keep"};
  if (mode == "garbage_tail") return {"length"};
  return {};
}

/// The path must stay inside the service's directory, and the service's
/// directory must be the run's.
void check_path(FaultCheck& c, const FileCorruptParams& p) {
  const FaultSpec& f = c.fault();
  const fs::path path(p.path);
  bool up = false;
  for (const auto& part : path) up |= part == "..";
  if (path.is_absolute() || up)
    c.error(c.at("path"),
            fmt::format("{}: path '{}' is not inside service '{}''s directory in the run",
                        c.label(), p.path, f.target),
            "write it relative to the service's directory (run_dir/services/NAME, {service.dir}), "
            "without '..'");
  for (const auto& s : c.scenario().services) {
    if (s.name != f.target) continue;
    std::string why;
    if (!s.workdir.empty()) why = fmt::format("its workdir '{}' is not the run's", s.workdir);
    if (s.attach.attached()) why = "it is an attached service: its files are not the run's";
    if (!s.host.empty() && c.scenario().network != NetworkMode::namespaces)
      why =
          fmt::format("it runs on host '{}': only files on this machine can be corrupted", s.host);
    if (!why.empty())
      c.error(c.at("target"),
              fmt::format("{}: service '{}' cannot be corrupted: {}", c.label(), f.target, why),
              "let the service use its own directory in the run ({service.dir}), the only files "
              "file.corrupt touches");
  }
}

void check(FaultCheck& c) {
  const auto* p = c.fault().params.get_if<FileCorruptParams>();
  if (!p) return;
  for (const auto& [key, message] : p->bad_sizes)
    c.error(c.at(key), fmt::format("{}: {}", c.label(), message));
  check_path(c, *p);
  if (!p->permanent && !c.fault().duration)
    c.error(c.at("mode"),
            fmt::format("{}: a file.corrupt fault needs 'duration' (how long the damage stays before "
                        "the original is restored), or permanent = true",
                        c.label()),
            "permanent = true leaves the damage for the runbook to repair");
  if (p->mode.empty()) return;
  const auto keys = mode_keys(p->mode);
  const std::pair<const char*, bool> given[] = {
      {"bits", p->bits.has_value()}, {"rate", p->rate.has_value()},
      {"offset", p->offset != 0},    {"length", p->length.has_value()},
      {"cut", p->cut.has_value()},   {"keep", p->keep.has_value()}};
  for (const auto& [key, present] : given)
    if (present && std::find(keys.begin(), keys.end(), key) == keys.end())
      c.error(c.at(key),
              fmt::format("{}: '{}' does not apply to mode '{}'", c.label(), key, p->mode),
              keys.empty() ? "mode 'delete' takes no other key"
                           : fmt::format("mode '{}' takes {}", p->mode, quoted_list(keys)));
  auto one_of = [&](const char* a, bool has_a, const char* b, bool has_b) {
    if (has_a == has_b)
      c.error(c.at(has_a ? b : "mode"),
              fmt::format("{}: mode '{}' needs exactly one of '{}' and '{}'", c.label(), p->mode, a,
                          b));
  };
  if (p->mode == "flip") one_of("bits", p->bits.has_value(), "rate", p->rate.has_value());
  if (p->mode == "truncate") one_of("cut", p->cut.has_value(), "keep", p->keep.has_value());
  if ((p->mode == "zero" || p->mode == "garbage_tail") && !p->length && p->bad_sizes.empty())
    c.error(c.at("mode"), fmt::format("{}: mode '{}' needs 'length' (a size, e.g. \"4KiB\")",
                                      c.label(), p->mode));
}

std::string describe(const FaultSpec& f) {
  const auto* p = f.params.get_if<FileCorruptParams>();
  return p ? fmt::format("{} of {} in '{}''s directory{}", mode_text(*p), p->path, f.target,
                         p->permanent ? " (permanent)" : ", restored at revert")
           : std::string();
}

}  // namespace

const InjectorKind& file_corrupt_kind() {
  static const InjectorKind kind{
      .kind =
          {
              .spec =
                  {"file.corrupt",
                   "damage a file or directory in the target service's directory (flip bits, zero "
                   "a range, "
                   "truncate, append junk, delete); the original is saved and restored at revert "
                   "unless permanent",
                   true,
                   {
                       {"path", "string", "",
                        "the file or directory, relative to the target service's directory in the "
                        "run "
                        "(run_dir/services/NAME, {service.dir}); absolute paths and '..' are "
                        "refused",
                        true},
                       {"mode", "string", "", "flip, zero, truncate, garbage_tail or delete", true},
                       {"bits", "integer", "",
                        "flip: how many bits to flip (distinct positions, seeded), >= 1; or 'rate'",
                        false},
                       {"rate", "probability", "",
                        "flip: each bit's chance to flip, 0..1; or 'bits'", false},
                       {"offset", "size", "0",
                        "zero: where the zeroed range starts (\"4KiB\", bytes)", false},
                       {"length", "size", "",
                        "zero: bytes zeroed; garbage_tail: bytes of seeded junk appended", false},
                       {"cut", "size", "",
                        "truncate: bytes cut off the end of each file; or 'keep'", false},
                       {"keep", "probability", "",
                        "truncate: the fraction of each file kept, 0..1; or 'cut'", false},
                       {"permanent", "bool", "false",
                        "true: not restored at revert (a restore drill's point); the original is "
                        "still saved",
                        false},
                   }},
              .target = FaultTarget::service,
              .duration = FaultDuration::optional,
              .read = &read,
              .check = &check,
              .describe = &describe,
          },
      .make = &make_injector_of<FileCorrupt>,
  };
  return kind;
}

}  // namespace faultline

#include "os/ledger.hpp"

#include <unistd.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <fmt/format.h>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "os/atomic_file.hpp"
#include "os/input_file.hpp"
#include "os/procfs.hpp"
#include "record/json_strict.hpp"

namespace faultline {

namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

const char* undo_kind(Undo::Kind k) {
  switch (k) {
    case Undo::Kind::none: return "none";
    case Undo::Kind::sigcont: return "sigcont";
    case Undo::Kind::command: return "command";
    case Undo::Kind::nft_table: return "nft_table";
    case Undo::Kind::qdisc: return "qdisc";
    case Undo::Kind::restore: return "restore";
    case Undo::Kind::remove: return "remove";
  }
  return "none";
}

Undo::Kind undo_kind_from(const json_strict::Reader& r, const std::string& s, const std::string& path) {
  if (s == "sigcont") return Undo::Kind::sigcont;
  if (s == "command") return Undo::Kind::command;
  if (s == "none") return Undo::Kind::none;
  if (s == "nft_table") return Undo::Kind::nft_table;
  if (s == "qdisc") return Undo::Kind::qdisc;
  if (s == "restore") return Undo::Kind::restore;
  if (s == "remove") return Undo::Kind::remove;
  r.fail(path, "unknown undo kind '" + s + "'");
}

/// A (namespace, device) pair of a qdisc undo.
std::pair<std::string, std::string> qdisc_of(const json_strict::Reader& r, const json::value& v, const std::string& p) {
  const json::array& a = r.arr(v, p);
  if (a.size() != 2) r.fail(p, fmt::format("expected [namespace, device], found {} element(s)", a.size()));
  return {r.str(a[0], json_strict::index_path(p, 0)), r.str(a[1], json_strict::index_path(p, 1))};
}

LedgerHost host_of(const json_strict::Reader& r, const json::value& v, const std::string& p) {
  json_strict::Object o(r, v, p);
  return {o.str("host"), o.str("run_dir"), json_strict::read_strings(r, o, "cleanup")};
}

LedgerProcess process_of(const json_strict::Reader& r, const json::value& v, const std::string& p) {
  json_strict::Object o(r, v, p);
  return {o.str("service"), static_cast<pid_t>(o.i32("pid")), o.u64("start_time")};
}

/// Fields added after the first ledgers (namespace mode) may be missing.
Undo undo_of(const json_strict::Reader& r, json_strict::Object u) {
  Undo undo;
  undo.kind = undo_kind_from(r, u.str("kind"), u.at_path("kind"));
  undo.pid = static_cast<pid_t>(u.i32("pid"));
  undo.start_time = u.u64("start_time");
  undo.group = u.boolean("group");
  undo.argv = json_strict::read_strings(r, u, "argv");
  undo.timeout = u.ns("timeout_ns");
  if (u.has("netns")) undo.netns = u.str("netns");
  if (u.has("table")) undo.table = u.str("table");
  if (u.has("qdiscs")) undo.qdiscs = json_strict::read_array<std::pair<std::string, std::string>>(r, u, "qdiscs", qdisc_of);
  if (u.has("host")) undo.host = u.str("host");
  if (u.has("path")) undo.path = u.str("path");  // file.corrupt, disk.full (issue 19)
  if (u.has("saved")) undo.saved = u.str("saved");
  return undo;
}

LedgerFault fault_of(const json_strict::Reader& r, const json::value& v, const std::string& p) {
  json_strict::Object o(r, v, p);
  LedgerFault f;
  f.id = o.str("id");
  f.fault = o.str("fault");
  f.kind = o.str("kind");
  f.state = o.str("state");
  f.undo = undo_of(r, o.obj("undo"));
  return f;
}

/// The largest ledger read from the state directory (a ledger is a few KiB).
constexpr std::uintmax_t kMaxLedgerBytes = std::uintmax_t{16} << 20;

/// A reader's message without what only its author needs: the
/// "malformed ledger: " prefix (the caller says it is a ledger) and a
/// library's source location ("[boost.json:N at FILE:LINE in function ...]").
std::string plain_reason(std::string what) {
  constexpr std::string_view kPrefix = "malformed ledger: ";
  if (what.starts_with(kPrefix)) what.erase(0, kPrefix.size());
  if (const auto at = what.find(" [boost."); at != std::string::npos) {
    const auto end = what.find(']', at);
    what.erase(at, end == std::string::npos ? std::string::npos : end - at + 1);
  }
  return "not a valid ledger: " + what;
}

fs::path run_dir_file(const Ledger& l) { return fs::path(l.run_dir) / "ledger.json"; }
fs::path state_file(const Ledger& l) { return ledger_state_path(l.run_id); }

}  // namespace

bool Ledger::harness_alive() const { return same_process(harness_pid, harness_start_time); }

fs::path state_dir() {
  if (const char* d = std::getenv("FAULTLINE_STATE_DIR"); d && *d) return d;
  if (const char* x = std::getenv("XDG_STATE_HOME"); x && *x) return fs::path(x) / "faultline";
  if (const char* h = std::getenv("HOME"); h && *h) return fs::path(h) / ".local" / "state" / "faultline";
  return fs::temp_directory_path() / ("faultline-state-" + std::to_string(::getuid()));
}

std::string ledger_to_json(const Ledger& l) {
  json::array processes;
  for (const auto& p : l.processes)
    processes.push_back(json::object{{"service", p.service}, {"pid", p.pid}, {"start_time", p.start_time}});
  json::array faults;
  for (const auto& f : l.faults) {
    json::array argv;
    for (const auto& a : f.undo.argv) argv.push_back(json::string(a));
    json::array qdiscs;
    for (const auto& [ns, dev] : f.undo.qdiscs) qdiscs.push_back(json::array{json::string(ns), json::string(dev)});
    faults.push_back(json::object{{"id", f.id},
                                  {"fault", f.fault},
                                  {"kind", f.kind},
                                  {"state", f.state},
                                  {"undo", json::object{{"kind", undo_kind(f.undo.kind)},
                                                        {"pid", f.undo.pid},
                                                        {"start_time", f.undo.start_time},
                                                        {"group", f.undo.group},
                                                        {"argv", argv},
                                                        {"timeout_ns", f.undo.timeout.count()},
                                                        {"netns", f.undo.netns},
                                                        {"table", f.undo.table},
                                                        {"qdiscs", qdiscs},
                                                        {"host", f.undo.host},
                                                        {"path", f.undo.path},
                                                        {"saved", f.undo.saved}}}});
  }
  json::object o{{"ledger_version", 1},
                 {"run_id", l.run_id},
                 {"scenario", l.scenario},
                 {"run_dir", l.run_dir},
                 {"harness_pid", l.harness_pid},
                 {"harness_start_time", l.harness_start_time},
                 {"watchdog_pid", l.watchdog_pid},
                 {"network_tag", l.network_tag},
                 {"finished", l.finished},
                 {"processes", processes},
                 {"faults", faults},
                 {"cgroup", l.cgroup}};
  if (!l.hosts.empty()) {
    json::array hosts;
    for (const auto& h : l.hosts) {
      json::array cleanup;
      for (const auto& a : h.cleanup) cleanup.push_back(json::string(a));
      hosts.push_back(json::object{{"host", h.host}, {"run_dir", h.run_dir}, {"cleanup", cleanup}});
    }
    o["hosts"] = hosts;
  }
  if (!l.ssh_control_dir.empty()) o["ssh_control_dir"] = l.ssh_control_dir;
  if (!l.mounts.empty()) {
    json::array mounts;
    for (const auto& m : l.mounts) mounts.push_back(json::string(m));
    o["mounts"] = mounts;
  }
  if (!l.control_files.empty()) {
    json::array files;
    for (const auto& f : l.control_files) files.push_back(json::string(f));
    o["control_files"] = files;
  }
  if (!l.resource_cgroups.empty()) {
    json::array dirs;
    for (const auto& d : l.resource_cgroups) dirs.push_back(json::string(d));
    o["resource_cgroups"] = dirs;
  }
  return json::serialize(o) + "\n";
}

Ledger ledger_from_json(const std::string& text) {
  // Every message starts "malformed ledger: " and names the field.
  const json_strict::Reader r{"malformed ledger"};
  const json::value v = json_strict::parse_exact(text, r.source);
  json_strict::Object o(r, v, "");
  if (o.i64("ledger_version") != 1) r.fail("ledger_version", "unknown ledger_version");
  Ledger l;
  l.run_id = o.str("run_id");
  l.scenario = o.str("scenario");
  l.run_dir = o.str("run_dir");
  l.harness_pid = static_cast<pid_t>(o.i32("harness_pid"));
  l.harness_start_time = o.u64("harness_start_time");
  l.watchdog_pid = static_cast<pid_t>(o.i32("watchdog_pid"));
  l.finished = o.boolean("finished");
  // Ledgers written before namespace mode have no network.
  if (o.has("network_tag")) l.network_tag = o.str("network_tag");
  l.processes = json_strict::read_array<LedgerProcess>(r, o, "processes", process_of);
  l.faults = json_strict::read_array<LedgerFault>(r, o, "faults", fault_of);
  // Ledgers written before the run's cgroup have none.
  if (o.has("cgroup")) l.cgroup = o.str("cgroup");
  // Runs without [[host]]s write neither.
  if (o.has("hosts")) l.hosts = json_strict::read_array<LedgerHost>(r, o, "hosts", host_of);
  if (o.has("ssh_control_dir")) l.ssh_control_dir = o.str("ssh_control_dir");
  if (o.has("mounts")) l.mounts = json_strict::read_strings(r, o, "mounts");  // disk.full (issue 19)
  // Runs without clock.skew write none.
  if (o.has("control_files")) l.control_files = json_strict::read_strings(r, o, "control_files");
  // Runs without resource faults write none.
  if (o.has("resource_cgroups")) l.resource_cgroups = json_strict::read_strings(r, o, "resource_cgroups");
  return l;
}

void reserve_ledger_files(Ledger& l) {
  l.files = std::make_shared<LedgerFiles>(LedgerFiles{LedgerFile(run_dir_file(l)), LedgerFile(state_file(l))});
}

std::string save_ledger(const Ledger& l, Durability durability) {
  const std::string text = ledger_to_json(l);
  std::string notes, errors;
  int written = 0;
  auto one = [&](LedgerFile* held, const fs::path& path) {
    try {
      const std::string note = held ? held->write(text, durability) : write_ledger_file(path, text, durability);
      ++written;
      if (!note.empty()) notes += fmt::format("{}{}: {}", notes.empty() ? "" : "; ", path.string(), note);
    } catch (const std::exception& e) {
      errors += fmt::format("{}{}", errors.empty() ? "" : "; ", e.what());
    }
  };
  one(l.files ? &l.files->run_dir : nullptr, run_dir_file(l));
  one(l.files ? &l.files->state : nullptr, state_file(l));
  if (written == 0) throw std::runtime_error(errors);
  if (!errors.empty()) notes += (notes.empty() ? "" : "; ") + errors;
  return notes;
}

std::string finish_ledger(Ledger& l) {
  l.finished = true;
  std::string note;
  try {
    const std::string text = ledger_to_json(l);
    note = l.files ? l.files->run_dir.write(text, Durability::durable)
                   : write_ledger_file(run_dir_file(l), text, Durability::durable);
  } catch (const std::exception& e) {
    note = e.what();
  }
  if (l.files) {
    l.files->run_dir.close();
    l.files->state.close();
  }
  std::error_code ec;
  fs::remove(state_file(l), ec);
  if (ec) note += fmt::format("{}cannot remove {}: {}", note.empty() ? "" : "; ", state_file(l).string(), ec.message());
  try {
    remove_stale_temporaries(state_file(l));
    remove_stale_temporaries(run_dir_file(l));
  } catch (const std::exception&) {
    // only tidiness: the next writer removes them
  }
  return note;
}

namespace {

std::optional<Ledger> read_ledger_file(const fs::path& path, std::string& errors) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  try {
    return ledger_from_json(ss.str());
  } catch (const std::exception& e) {
    errors += fmt::format("{}{}: {}", errors.empty() ? "" : "; ", path.string(), e.what());
    return std::nullopt;
  }
}

}  // namespace

fs::path ledger_state_path(const std::string& run_id) { return state_dir() / (run_id + ".json"); }

Ledger read_latest_ledger(const fs::path& run_dir_copy, const fs::path& state_copy) {
  std::string errors;
  std::optional<Ledger> run = read_ledger_file(run_dir_copy, errors);
  if (run && run->finished) return *run;
  std::optional<Ledger> state = read_ledger_file(state_copy, errors);
  if (!run && !state) throw std::runtime_error(errors.empty() ? "cannot read " + run_dir_copy.string() : errors);
  if (!state) return *run;
  if (!run) return *state;
  const auto size = [](const Ledger& l) {
    return l.faults.size() + l.processes.size() + l.hosts.size() + l.mounts.size() +
           l.resource_cgroups.size();
  };
  return size(*run) > size(*state) ? *run : *state;
}

std::vector<std::pair<fs::path, Ledger>> ledgers_in_state_dir(std::vector<std::string>* errors) {
  std::vector<std::pair<fs::path, Ledger>> out;
  std::error_code ec;
  if (!fs::is_directory(state_dir(), ec)) return out;
  for (const auto& e : fs::directory_iterator(state_dir(), ec)) {
    if (e.path().extension() != ".json") continue;
    // A ledger is a few KiB: anything that is not a regular file of at most
    // kMaxLedgerBytes is refused unread (input_file.hpp).
    if (const std::string why = input_file_problem(e.path(), kMaxLedgerBytes); !why.empty()) {
      if (errors) errors->push_back(fmt::format("ledger {}: {}", e.path().string(), why));
      continue;
    }
    std::ifstream in(e.path());
    std::stringstream ss;
    ss << in.rdbuf();
    try {
      out.emplace_back(e.path(), ledger_from_json(ss.str()));
    } catch (const std::exception& ex) {
      if (errors) errors->push_back(fmt::format("ledger {}: {}", e.path().string(), plain_reason(ex.what())));
    }
  }
  return out;
}

}  // namespace faultline

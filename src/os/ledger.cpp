#include "os/ledger.hpp"

#include <unistd.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "os/atomic_file.hpp"
#include "os/procfs.hpp"

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
  }
  return "none";
}

Undo::Kind undo_kind_from(const std::string& s) {
  if (s == "sigcont") return Undo::Kind::sigcont;
  if (s == "command") return Undo::Kind::command;
  if (s == "none") return Undo::Kind::none;
  if (s == "nft_table") return Undo::Kind::nft_table;
  if (s == "qdisc") return Undo::Kind::qdisc;
  throw std::runtime_error("unknown undo kind '" + s + "'");
}

fs::path run_dir_file(const Ledger& l) { return fs::path(l.run_dir) / "ledger.json"; }
fs::path state_file(const Ledger& l) { return state_dir() / (l.run_id + ".json"); }

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
                                                        {"qdiscs", qdiscs}}}});
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
                 {"faults", faults}};
  return json::serialize(o) + "\n";
}

Ledger ledger_from_json(const std::string& text) {
  try {
    const json::value v = json::parse(text);
    if (v.at("ledger_version").as_int64() != 1) throw std::runtime_error("unknown ledger_version");
    Ledger l;
    l.run_id = json::value_to<std::string>(v.at("run_id"));
    l.scenario = json::value_to<std::string>(v.at("scenario"));
    l.run_dir = json::value_to<std::string>(v.at("run_dir"));
    l.harness_pid = static_cast<pid_t>(v.at("harness_pid").as_int64());
    l.harness_start_time = json::value_to<unsigned long long>(v.at("harness_start_time"));
    l.watchdog_pid = static_cast<pid_t>(v.at("watchdog_pid").as_int64());
    l.finished = v.at("finished").as_bool();
    // Ledgers written before namespace mode have no network.
    if (const auto* t = v.as_object().if_contains("network_tag")) l.network_tag = json::value_to<std::string>(*t);
    for (const auto& p : v.at("processes").as_array())
      l.processes.push_back({json::value_to<std::string>(p.at("service")), static_cast<pid_t>(p.at("pid").as_int64()),
                             json::value_to<unsigned long long>(p.at("start_time"))});
    for (const auto& f : v.at("faults").as_array()) {
      LedgerFault lf;
      lf.id = json::value_to<std::string>(f.at("id"));
      lf.fault = json::value_to<std::string>(f.at("fault"));
      lf.kind = json::value_to<std::string>(f.at("kind"));
      lf.state = json::value_to<std::string>(f.at("state"));
      const auto& u = f.at("undo");
      lf.undo.kind = undo_kind_from(json::value_to<std::string>(u.at("kind")));
      lf.undo.pid = static_cast<pid_t>(u.at("pid").as_int64());
      lf.undo.start_time = json::value_to<unsigned long long>(u.at("start_time"));
      lf.undo.group = u.at("group").as_bool();
      for (const auto& a : u.at("argv").as_array()) lf.undo.argv.push_back(json::value_to<std::string>(a));
      lf.undo.timeout = Nanos(u.at("timeout_ns").as_int64());
      const auto& uo = u.as_object();
      if (const auto* n = uo.if_contains("netns")) lf.undo.netns = json::value_to<std::string>(*n);
      if (const auto* t = uo.if_contains("table")) lf.undo.table = json::value_to<std::string>(*t);
      if (const auto* q = uo.if_contains("qdiscs"))
        for (const auto& pair : q->as_array())
          lf.undo.qdiscs.emplace_back(json::value_to<std::string>(pair.at(0)), json::value_to<std::string>(pair.at(1)));
      l.faults.push_back(std::move(lf));
    }
    return l;
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("malformed ledger: ") + e.what());
  }
}

void save_ledger(const Ledger& l, Durability durability) {
  const std::string text = ledger_to_json(l);
  write_file_atomic(run_dir_file(l), text, durability);
  write_file_atomic(state_file(l), text, durability);
}

void finish_ledger(Ledger& l) {
  l.finished = true;
  write_file_atomic(run_dir_file(l), ledger_to_json(l));
  std::error_code ec;
  fs::remove(state_file(l), ec);
  remove_stale_temporaries(state_file(l));
  remove_stale_temporaries(run_dir_file(l));
}

std::vector<std::pair<fs::path, Ledger>> ledgers_in_state_dir(std::vector<std::string>* errors) {
  std::vector<std::pair<fs::path, Ledger>> out;
  std::error_code ec;
  if (!fs::is_directory(state_dir(), ec)) return out;
  for (const auto& e : fs::directory_iterator(state_dir(), ec)) {
    if (e.path().extension() != ".json") continue;
    std::ifstream in(e.path());
    std::stringstream ss;
    ss << in.rdbuf();
    try {
      out.emplace_back(e.path(), ledger_from_json(ss.str()));
    } catch (const std::exception& ex) {
      if (errors) errors->push_back(e.path().string() + ": " + ex.what());
    }
  }
  return out;
}

}  // namespace faultline

// Loading the PostgreSQL history module (see postgres_module.hpp).
#include "history/postgres_module.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <fmt/format.h>
#include <map>
#include <mutex>

#include "history/history_location.hpp"
#include "module_paths.h"

namespace faultline {

namespace fs = std::filesystem;

namespace {

using ApiFn = const PgModuleApi* (*)();

/// The program's side of a store in the module: each failure the module
/// returns is thrown here, by the program's own runtime.
class ModuleStore final : public HistoryStore {
 public:
  ModuleStore(const PgModuleApi* api, void* store) : api_(api), store_(store) {}
  ~ModuleStore() override { api_->close(store_); }
  ModuleStore(const ModuleStore&) = delete;
  ModuleStore& operator=(const ModuleStore&) = delete;

  bool add(const RunRow& row) override {
    bool added = false;
    std::string error;
    if (!api_->add(store_, &row, &added, &error)) throw HistoryError(error);
    return added;
  }
  std::vector<RunRow> runs(const HistoryQuery& q) override {
    std::vector<RunRow> out;
    std::string error;
    if (!api_->runs(store_, &q, &out, &error)) throw HistoryError(error);
    return out;
  }
  int schema_version() override {
    int version = 0;
    std::string error;
    if (!api_->schema_version(store_, &version, &error)) throw HistoryError(error);
    return version;
  }
  std::string where() const override {
    std::string out, error;
    if (!api_->where(store_, &out, &error)) throw HistoryError(error);
    return out;
  }

 private:
  const PgModuleApi* api_;
  void* store_;
};

}  // namespace

std::vector<fs::path> postgres_module_dirs() {
  std::vector<fs::path> dirs;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    dirs.push_back(exe.parent_path());
    dirs.push_back((exe.parent_path() / FAULTLINE_MODULE_RELDIR).lexically_normal());
  }
  dirs.push_back(fs::path(FAULTLINE_MODULE_DIR).lexically_normal());
  std::vector<fs::path> unique;
  for (const auto& d : dirs)
    if (std::find(unique.begin(), unique.end(), d) == unique.end()) unique.push_back(d);
  return unique;
}

std::unique_ptr<HistoryStore> open_postgres_module(const std::string& conninfo, const std::vector<fs::path>& dirs) {
  const std::string where = redacted_location(conninfo);
  fs::path file;
  std::error_code ec;
  for (const auto& d : dirs)
    if (fs::is_regular_file(d / kPgModuleName, ec)) {
      file = d / kPgModuleName;
      break;
    }
  if (file.empty()) {
    std::string tried;
    for (const auto& d : dirs) tried += (tried.empty() ? "" : ", ") + d.string();
    throw HistoryError(
        fmt::format("history {}: the PostgreSQL module {} is not installed (looked in {})", where, kPgModuleName, tried));
  }
  static std::mutex mutex;
  static std::map<fs::path, const PgModuleApi*> loaded;  // each module file once
  const PgModuleApi* api = nullptr;
  {
    std::lock_guard lock(mutex);
    if (auto i = loaded.find(file); i != loaded.end()) {
      api = i->second;
    } else {
      // Never unloaded (RTLD_NODELETE): a store's code must outlive the store.
      void* handle = ::dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
      if (!handle) throw HistoryError(fmt::format("history {}: cannot load {}: {}", where, file.string(), ::dlerror()));
      const auto* version = static_cast<const char*>(::dlsym(handle, "faultline_history_pg_version"));
      const auto api_of = reinterpret_cast<ApiFn>(::dlsym(handle, "faultline_history_pg_api"));
      if (!version || !api_of || std::string(version) != FAULTLINE_VERSION) {
        const std::string why = !version || !api_of
                                    ? "is not a faultline module"
                                    : fmt::format("is faultline {}'s module, not {}'s", version, FAULTLINE_VERSION);
        ::dlclose(handle);
        throw HistoryError(fmt::format("history {}: {} {}", where, file.string(), why));
      }
      api = api_of();
      loaded.emplace(file, api);
    }
  }
  std::string error;
  void* store = api->open(conninfo.c_str(), &error);
  if (!store) throw HistoryError(error);
  return std::make_unique<ModuleStore>(api, store);
}

}  // namespace faultline

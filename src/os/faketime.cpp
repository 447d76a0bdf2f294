// Finding Debian's libfaketime and writing its control file. The library's
// directory carries the multiarch triplet (x86_64-linux-gnu, aarch64-linux-gnu,
// ...), so it is found by listing /usr/lib rather than by one fixed path.
#include "os/faketime.hpp"

#include <algorithm>
#include <cstdlib>
#include <fmt/format.h>
#include <system_error>
#include <vector>

#include "os/atomic_file.hpp"

namespace faultline {

namespace fs = std::filesystem;

std::optional<fs::path> libfaketime_path() {
  std::error_code ec;
  if (const char* env = std::getenv("FAULTLINE_LIBFAKETIME"); env && *env) {
    if (fs::is_regular_file(env, ec)) return fs::path(env);
    return std::nullopt;
  }
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator("/usr/lib", ec))
    if (e.path().filename().string().find("-linux-") != std::string::npos) dirs.push_back(e.path() / "faketime");
  std::sort(dirs.begin(), dirs.end());
  dirs.push_back("/usr/lib/faketime");
  dirs.push_back("/usr/local/lib/faketime");
  for (const auto& d : dirs)
    if (fs::is_regular_file(d / "libfaketime.so.1", ec)) return d / "libfaketime.so.1";
  return std::nullopt;
}

std::map<std::string, std::string> faketime_env(const fs::path& library, const fs::path& control,
                                                const std::string& inherited) {
  return {
      {"LD_PRELOAD", inherited.empty() ? library.string() : library.string() + ":" + inherited},
      {"FAKETIME_TIMESTAMP_FILE", control.string()},
      {"FAKETIME_NO_CACHE", "1"},
      {"FAKETIME_FMT", "%s"},  // a freeze is written as an epoch second, whatever the service's TZ
  };
}

void write_faketime_control(const fs::path& control, const std::string& text) {
  // Crash-safe, not fsynced: the file means nothing after a power cut (the
  // processes reading it are gone with it).
  write_file_atomic(control, text, Durability::crash_safe);
}

std::string remove_faketime_controls(const std::vector<std::string>& controls) {
  std::string failed;
  for (const auto& c : controls) {
    const fs::path p(c);
    std::error_code ec;
    fs::remove(p, ec);
    if (ec) failed += fmt::format("{}: {}\n", c, ec.message());
    remove_stale_temporaries(p);
    std::error_code ignore;
    if (fs::is_empty(p.parent_path(), ignore)) fs::remove(p.parent_path(), ignore);
  }
  return failed;
}

}  // namespace faultline

#include "os/cleaned_note.hpp"

#include <time.h>

#include <chrono>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <sstream>

#include "os/input_file.hpp"
#include "os/ledger.hpp"

namespace faultline {

namespace fs = std::filesystem;

namespace {

constexpr auto kKeepNotes = std::chrono::hours(24 * 30);
constexpr std::uintmax_t kMaxNoteBytes = 4096;

fs::path note_path(const std::string& run_id) { return state_dir() / (run_id + ".cleaned"); }

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

/// Notes older than kKeepNotes; errors only skip.
void prune_old_notes() {
  std::error_code ec;
  const auto now = fs::file_time_type::clock::now();
  for (const auto& e : fs::directory_iterator(state_dir(), ec)) {
    if (e.path().extension() != ".cleaned") continue;
    std::error_code tec;
    const auto when = fs::last_write_time(e.path(), tec);
    if (!tec && now - when > kKeepNotes) fs::remove(e.path(), tec);
  }
}

}  // namespace

void write_cleaned_note(const Ledger& l, std::string_view by) {
  try {
    if (l.run_id.empty()) return;
    prune_old_notes();
    const fs::path path = note_path(l.run_id), temp = path.string() + ".tmp";
    {
      std::ofstream out(temp, std::ios::trunc);
      out << fmt::format("cleaned up by {} at {}; run directory {}\n", by, utc_now(), l.run_dir);
      if (!out.flush()) {
        std::error_code ec;
        fs::remove(temp, ec);
        return;
      }
    }
    std::error_code ec;
    fs::rename(temp, path, ec);
    if (ec) fs::remove(temp, ec);
  } catch (...) {
    // only a message is lost
  }
}

std::optional<std::string> read_cleaned_note(const std::string& run_id) {
  // A run id names a file: nothing that could leave the state directory.
  if (run_id.empty() || run_id.find('/') != std::string::npos || run_id.front() == '.') return std::nullopt;
  const fs::path path = note_path(run_id);
  std::error_code ec;
  if (!fs::exists(path, ec) || !input_file_problem(path, kMaxNoteBytes).empty()) return std::nullopt;
  std::ifstream in(path);
  std::string line;
  if (!std::getline(in, line) || line.empty()) return std::nullopt;
  return line;
}

}  // namespace faultline

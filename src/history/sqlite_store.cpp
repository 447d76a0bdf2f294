// The SQLite history store (see sqlite_store.hpp): a thin layer of prepared
// statements over sqlite3, one class, no ORM.
#include "history/sqlite_store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <fmt/format.h>
#include <iterator>
#include <unordered_map>

namespace faultline {

namespace {

constexpr int kBusyTimeoutMs = 30'000;

const char* const kRunColumns =
    "id, run_id, scenario, scenario_digest, label, host, faultline_version, started_at, seed, outcome, exit_code, "
    "duration_ns, give_up_after_ns, iterations, unrecovered, recovery_max_ns, recovery_p95_ns, mttr_ns, "
    "ttr_p50_ns, ttr_p95_ns, episodes, relapses, availability, record_path, data_lost";

/// A prepared statement, finalized on every exit path.
class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql, const std::string& where) : db_(db), where_(where) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st_, nullptr) != SQLITE_OK) fail("prepare");
  }
  ~Statement() { sqlite3_finalize(st_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  void text(int i, const std::string& v) { check(sqlite3_bind_text(st_, i, v.c_str(), -1, SQLITE_TRANSIENT)); }
  void integer(int i, std::int64_t v) { check(sqlite3_bind_int64(st_, i, v)); }
  void nanos(int i, const std::optional<Nanos>& v) {
    check(v ? sqlite3_bind_int64(st_, i, v->count()) : sqlite3_bind_null(st_, i));
  }
  void real(int i, const std::optional<double>& v) {
    check(v ? sqlite3_bind_double(st_, i, *v) : sqlite3_bind_null(st_, i));
  }
  /// Steps once: true with a row to read, false when done.
  bool step() {
    const int rc = sqlite3_step(st_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) fail("write");
    return false;
  }
  /// Ready for the next row of bindings.
  void reset() {
    sqlite3_reset(st_);
    sqlite3_clear_bindings(st_);
  }
  std::string col_text(int i) const {
    const auto* p = sqlite3_column_text(st_, i);
    return p ? reinterpret_cast<const char*>(p) : "";
  }
  std::int64_t col_int(int i) const { return sqlite3_column_int64(st_, i); }
  std::optional<Nanos> col_nanos(int i) const {
    if (sqlite3_column_type(st_, i) == SQLITE_NULL) return std::nullopt;
    return Nanos(sqlite3_column_int64(st_, i));
  }
  std::optional<double> col_real(int i) const {
    if (sqlite3_column_type(st_, i) == SQLITE_NULL) return std::nullopt;
    return sqlite3_column_double(st_, i);
  }

 private:
  void check(int rc) {
    if (rc != SQLITE_OK) fail("bind");
  }
  [[noreturn]] void fail(const char* what) {
    throw HistoryError(fmt::format("history {}: cannot {}: {}", where_, what, sqlite3_errmsg(db_)));
  }
  sqlite3* db_;
  sqlite3_stmt* st_ = nullptr;
  std::string where_;
};

/// The WHERE clause of a query, with ?1 scenario, ?2 label, ?3 since.
const char* const kFilter =
    "(?1 = '' OR scenario = ?1) AND (?2 = '' OR label = ?2) AND (?3 = '' OR started_at >= ?3)";

class SqliteStore final : public HistoryStore {
 public:
  SqliteStore(const std::string& path, bool create) : path_(path) {
    const int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
      const std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      throw HistoryError(fmt::format("history {}: cannot open: {}", path, why));
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, kBusyTimeoutMs);
    try {
      exec("PRAGMA foreign_keys = ON");
      // Switching to WAL needs the write lock; a read-only file keeps its
      // journal mode and fails at the first write instead.
      if (!sqlite3_db_readonly(db_, "main")) exec("PRAGMA journal_mode = WAL");
      exec("PRAGMA synchronous = FULL");
      exec("PRAGMA mmap_size = 268435456");  // reads map the file instead of a pread per page
      migrate();
    } catch (...) {
      sqlite3_close(db_);
      throw;
    }
  }
  ~SqliteStore() override { sqlite3_close(db_); }

  bool add(const RunRow& r) override;
  std::vector<RunRow> runs(const HistoryQuery& q) override;
  int schema_version() override { return read_version(); }
  std::string where() const override { return path_; }

 private:
  void exec(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      const std::string why = err ? err : sqlite3_errmsg(db_);
      sqlite3_free(err);
      throw HistoryError(fmt::format("history {}: {}", path_, why));
    }
  }
  int read_version() {
    Statement has(db_, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'", path_);
    if (!has.step() || has.col_int(0) == 0) return 0;
    Statement v(db_, "SELECT max(version) FROM schema_version", path_);
    return v.step() ? static_cast<int>(v.col_int(0)) : 0;
  }
  void migrate();
  void rollback_quietly() { sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr); }

  std::string path_;
  sqlite3* db_ = nullptr;
};

void SqliteStore::migrate() {
  const auto& steps = sqlite_migrations();
  const int latest = static_cast<int>(steps.size());
  int version = read_version();
  if (version == latest) return;
  if (version > latest)
    throw HistoryError(fmt::format("history {}: schema version {} is newer than this faultline's ({}); "
                                   "use a newer faultline or another store",
                                   path_, version, latest));
  exec("BEGIN IMMEDIATE");
  try {
    version = read_version();  // another process may have migrated it meanwhile
    for (int v = version; v < latest; ++v) exec(steps[static_cast<std::size_t>(v)]);
    if (version < latest) {
      exec("DELETE FROM schema_version");
      exec(fmt::format("INSERT INTO schema_version(version) VALUES ({})", latest));
    }
    exec("COMMIT");
  } catch (...) {
    rollback_quietly();
    throw;
  }
}

bool SqliteStore::add(const RunRow& r) {
  exec("BEGIN IMMEDIATE");
  try {
    Statement run(db_, fmt::format("INSERT OR IGNORE INTO runs({}) VALUES (NULL, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
                                   "?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)",
                                   kRunColumns),
                  path_);
    run.text(1, r.run_id), run.text(2, r.scenario), run.text(3, r.scenario_digest), run.text(4, r.label);
    run.text(5, r.host), run.text(6, r.faultline_version), run.text(7, r.started_at);
    run.text(8, std::to_string(r.seed)), run.text(9, r.outcome), run.integer(10, r.exit_code);
    run.integer(11, r.duration.count()), run.integer(12, r.give_up_after.count()), run.integer(13, r.iterations);
    run.integer(14, r.unrecovered), run.nanos(15, r.recovery_max), run.nanos(16, r.recovery_p95);
    run.nanos(17, r.mttr), run.integer(18, r.ttr_p50.count()), run.integer(19, r.ttr_p95.count());
    run.integer(20, r.episodes), run.integer(21, r.relapses), run.real(22, r.availability);
    run.text(23, r.record_path), run.integer(24, static_cast<std::int64_t>(r.data_lost));
    run.step();
    if (sqlite3_changes(db_) == 0) {  // this run id is there already
      rollback_quietly();
      return false;
    }
    const std::int64_t id = sqlite3_last_insert_rowid(db_);
    Statement v(db_, "INSERT INTO verdicts(run, position, threshold, scope, passed, measured, lim, inconclusive) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", path_);
    for (std::size_t i = 0; i < r.verdicts.size(); ++i) {
      const auto& x = r.verdicts[i];
      v.integer(1, id), v.integer(2, static_cast<std::int64_t>(i)), v.text(3, x.threshold), v.text(4, x.scope);
      v.integer(5, x.passed), v.text(6, x.measured), v.text(7, x.limit), v.integer(8, x.inconclusive);
      v.step();
      v.reset();
    }
    Statement it(db_, "INSERT INTO iterations(run, idx, ttd_ns, ttr_ns, recovery_ns, relapses, lost, uncertainty_ns, "
                      "recovery_earliest_ns, recovery_latest_ns) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)", path_);
    for (const auto& x : r.iteration_rows) {
      it.integer(1, id), it.integer(2, x.index), it.nanos(3, x.ttd), it.nanos(4, x.ttr), it.nanos(5, x.recovery_time);
      it.integer(6, x.relapses), it.integer(7, static_cast<std::int64_t>(x.lost)), it.integer(8, x.uncertainty.count());
      it.nanos(9, x.recovery_bracket ? std::optional<Nanos>(x.recovery_bracket->earliest) : std::nullopt);
      it.nanos(10, x.recovery_bracket ? std::optional<Nanos>(x.recovery_bracket->latest) : std::nullopt);
      it.step();
      it.reset();
    }
    exec("COMMIT");
    return true;
  } catch (...) {
    rollback_quietly();
    throw;
  }
}

/// Fills `r` (a row constructed in place) from the current row of `s`.
void read_run(const Statement& s, RunRow& r) {
  r.id = s.col_int(0);
  r.run_id = s.col_text(1), r.scenario = s.col_text(2), r.scenario_digest = s.col_text(3), r.label = s.col_text(4);
  r.host = s.col_text(5), r.faultline_version = s.col_text(6), r.started_at = s.col_text(7);
  const std::string seed = s.col_text(8);
  r.seed = seed.empty() ? 0 : std::stoull(seed);
  r.outcome = s.col_text(9), r.exit_code = static_cast<int>(s.col_int(10));
  r.duration = Nanos(s.col_int(11)), r.give_up_after = Nanos(s.col_int(12));
  r.iterations = static_cast<int>(s.col_int(13)), r.unrecovered = static_cast<int>(s.col_int(14));
  r.recovery_max = s.col_nanos(15), r.recovery_p95 = s.col_nanos(16), r.mttr = s.col_nanos(17);
  r.ttr_p50 = Nanos(s.col_int(18)), r.ttr_p95 = Nanos(s.col_int(19));
  r.episodes = static_cast<int>(s.col_int(20)), r.relapses = static_cast<int>(s.col_int(21));
  r.availability = s.col_real(22), r.record_path = s.col_text(23);
  r.data_lost = static_cast<std::uint64_t>(s.col_int(24));
}

IterationRow read_iteration(const Statement& s) {
  IterationRow x;
  x.index = static_cast<int>(s.col_int(1));
  x.ttd = s.col_nanos(2), x.ttr = s.col_nanos(3), x.recovery_time = s.col_nanos(4);
  x.relapses = static_cast<int>(s.col_int(5)), x.lost = static_cast<std::uint64_t>(s.col_int(6));
  x.uncertainty = Nanos(s.col_int(7));
  if (const auto lo = s.col_nanos(8), hi = s.col_nanos(9); lo && hi) x.recovery_bracket = Bracket{*lo, *hi};
  return x;
}

void bind_filter(Statement& s, const HistoryQuery& q) { s.text(1, q.scenario), s.text(2, q.label), s.text(3, q.since); }

std::vector<RunRow> SqliteStore::runs(const HistoryQuery& q) {
  // One read transaction: the runs and their rows are of the same moment.
  exec("BEGIN");
  try {
    const std::string selected =
        q.last == 0 ? fmt::format("SELECT {} FROM runs WHERE {}", kRunColumns, kFilter)
                    : fmt::format("SELECT {} FROM runs WHERE {} ORDER BY started_at DESC, id DESC LIMIT {}",
                                  kRunColumns, kFilter, q.last);
    std::vector<RunRow> out;
    {
      // Room for every run up front (the count of the whole table is an upper
      // bound, read from an index): no row is moved as the vector grows.
      Statement n(db_, "SELECT count(*) FROM runs", path_);
      const auto all = n.step() ? static_cast<std::size_t>(n.col_int(0)) : 0;
      out.reserve(q.last == 0 ? all : std::min(all, q.last));
    }
    Statement s(db_, fmt::format("SELECT * FROM ({}) ORDER BY started_at, id", selected), path_);
    bind_filter(s, q);
    while (s.step()) read_run(s, out.emplace_back());
    if (!q.details || out.empty()) {
      exec("COMMIT");
      return out;
    }
    std::unordered_map<std::int64_t, std::size_t> at;
    at.reserve(out.size());
    for (std::size_t i = 0; i < out.size(); ++i) {
      at.emplace(out[i].id, i);
      out[i].iteration_rows.reserve(static_cast<std::size_t>(std::max(out[i].iterations, 0)));
    }
    // The rows of the selected runs only (with --last, not of every run the filter matches).
    const std::string ids = fmt::format("SELECT id FROM ({})", selected);
    Statement v(db_, fmt::format("SELECT run, threshold, scope, passed, measured, lim, inconclusive FROM verdicts "
                                 "WHERE run IN ({}) ORDER BY run, position", ids), path_);
    bind_filter(v, q);
    // A run's verdicts arrive together: gathered, then moved into the run at their exact size.
    std::vector<VerdictRow> gathered;
    RunRow* owner = nullptr;
    const auto hand_over = [&] {
      if (owner) owner->verdicts.assign(std::make_move_iterator(gathered.begin()), std::make_move_iterator(gathered.end()));
      gathered.clear();
    };
    while (v.step()) {
      const auto i = at.find(v.col_int(0));
      if (i == at.end()) continue;
      if (&out[i->second] != owner) hand_over(), owner = &out[i->second];
      gathered.push_back({v.col_text(1), v.col_text(2), v.col_int(3) != 0, v.col_text(4), v.col_text(5), v.col_int(6) != 0});
    }
    hand_over();
    Statement it(db_, fmt::format("SELECT run, idx, ttd_ns, ttr_ns, recovery_ns, relapses, lost, uncertainty_ns, "
                                  "recovery_earliest_ns, recovery_latest_ns FROM iterations WHERE "
                                  "run IN ({}) ORDER BY run, idx", ids), path_);
    bind_filter(it, q);
    while (it.step())
      if (auto i = at.find(it.col_int(0)); i != at.end()) out[i->second].iteration_rows.push_back(read_iteration(it));
    exec("COMMIT");
    return out;
  } catch (...) {
    rollback_quietly();
    throw;
  }
}

}  // namespace

const std::vector<std::string>& sqlite_migrations() {
  static const std::vector<std::string> steps{
      // 1: runs, their verdicts and iterations.
      "CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL);"
      "CREATE TABLE runs(id INTEGER PRIMARY KEY, run_id TEXT NOT NULL UNIQUE, scenario TEXT NOT NULL,"
      " scenario_digest TEXT NOT NULL, label TEXT NOT NULL, host TEXT NOT NULL, faultline_version TEXT NOT NULL,"
      " started_at TEXT NOT NULL, seed TEXT NOT NULL, outcome TEXT NOT NULL, exit_code INTEGER NOT NULL,"
      " duration_ns INTEGER NOT NULL, give_up_after_ns INTEGER NOT NULL, iterations INTEGER NOT NULL,"
      " unrecovered INTEGER NOT NULL, recovery_max_ns INTEGER, recovery_p95_ns INTEGER, mttr_ns INTEGER,"
      " ttr_p50_ns INTEGER NOT NULL, ttr_p95_ns INTEGER NOT NULL, episodes INTEGER NOT NULL,"
      " relapses INTEGER NOT NULL, availability REAL, record_path TEXT NOT NULL);"
      "CREATE TABLE verdicts(run INTEGER NOT NULL REFERENCES runs(id), position INTEGER NOT NULL,"
      " threshold TEXT NOT NULL, scope TEXT NOT NULL, passed INTEGER NOT NULL, measured TEXT NOT NULL,"
      " lim TEXT NOT NULL, PRIMARY KEY(run, position));"
      "CREATE TABLE iterations(run INTEGER NOT NULL REFERENCES runs(id), idx INTEGER NOT NULL, ttd_ns INTEGER,"
      " ttr_ns INTEGER, recovery_ns INTEGER, relapses INTEGER NOT NULL, PRIMARY KEY(run, idx));",
      // 2: data lost per run and per iteration; runs found by scenario and time.
      "ALTER TABLE runs ADD COLUMN data_lost INTEGER NOT NULL DEFAULT 0;"
      "ALTER TABLE iterations ADD COLUMN lost INTEGER NOT NULL DEFAULT 0;"
      "CREATE INDEX runs_by_scenario ON runs(scenario, started_at);"
      "CREATE INDEX runs_by_time ON runs(started_at);",
      // 3: each iteration's probe resolution and recovery bracket (history --check widens by it).
      "ALTER TABLE iterations ADD COLUMN uncertainty_ns INTEGER NOT NULL DEFAULT 0;"
      "ALTER TABLE iterations ADD COLUMN recovery_earliest_ns INTEGER;"
      "ALTER TABLE iterations ADD COLUMN recovery_latest_ns INTEGER;",
      // 4: a verdict that is neither passed nor failed (inconclusive; --check skips it).
      "ALTER TABLE verdicts ADD COLUMN inconclusive INTEGER NOT NULL DEFAULT 0;",
  };
  return steps;
}

std::unique_ptr<HistoryStore> open_sqlite_history(const std::string& path, bool create) {
  return std::make_unique<SqliteStore>(path, create);
}

}  // namespace faultline

// The PostgreSQL history store (see postgres_store.hpp): libpq driven
// without blocking, every wait polled against a deadline; one class, no ORM.
#include "history/postgres_store.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <cerrno>
#include <fmt/format.h>
#include <optional>
#include <unordered_map>

#include "history/history_location.hpp"

namespace faultline {

namespace {

using Clock = std::chrono::steady_clock;

/// Server-side bounds, below the client's own deadline so that the server's
/// clear error ("canceling statement due to lock timeout") comes first.
const char* const kSessionSettings =
    "SET lock_timeout = '20s'; SET statement_timeout = '25s'; SET idle_in_transaction_session_timeout = '60s'";

/// The advisory lock migrations hold (any fixed number; "faultlin").
constexpr long long kMigrationLock = 0x6661'756c'746c'696eLL;

const char* const kRunColumns =
    "run_id, scenario, scenario_digest, label, host, faultline_version, started_at, seed, outcome, exit_code, "
    "duration_ns, give_up_after_ns, iterations, unrecovered, recovery_max_ns, recovery_p95_ns, mttr_ns, "
    "ttr_p50_ns, ttr_p95_ns, episodes, relapses, availability, record_path, data_lost";

/// The WHERE clause of a query, with $1 scenario, $2 label, $3 since.
const char* const kFilter =
    "($1::text = '' OR scenario = $1::text) AND ($2::text = '' OR label = $2::text) AND "
    "($3::text = '' OR started_at >= $3::text)";

using Param = std::optional<std::string>;  ///< nullopt: SQL NULL

/// libpq's message on one line: its lines joined by "; ", no trailing newline.
std::string one_line(const char* message) {
  std::string out;
  bool gap = false;
  for (const char* p = message ? message : ""; *p; ++p) {
    if (*p == '\n' || (gap && (*p == '\t' || *p == ' '))) {
      gap = true;
      continue;
    }
    if (gap && !out.empty()) out += "; ";
    gap = false;
    out += *p;
  }
  return out;
}

Param nanos(const std::optional<Nanos>& v) { return v ? Param(std::to_string(v->count())) : std::nullopt; }
std::string num(std::int64_t v) { return std::to_string(v); }

/// The passwords written in `conninfo` (after "user:" and in password=
/// parameters), to be kept out of every message.
std::vector<std::string> passwords_in(const std::string& conninfo) {
  std::vector<std::string> out;
  const auto scheme = conninfo.find("://");
  const auto at = conninfo.find('@', scheme == std::string::npos ? 0 : scheme + 3);
  if (scheme != std::string::npos && at != std::string::npos) {
    const auto colon = conninfo.find(':', scheme + 3);
    if (colon < at && colon + 1 < at) out.push_back(conninfo.substr(colon + 1, at - colon - 1));
  }
  for (auto p = conninfo.find("password="); p != std::string::npos; p = conninfo.find("password=", p + 1)) {
    const auto end = conninfo.find_first_of("& ", p + 9);
    if (const std::string v = conninfo.substr(p + 9, end - (p + 9)); !v.empty()) out.push_back(v);
  }
  return out;
}

/// `text` with `what` replaced by `with` wherever it occurs.
std::string replaced(std::string text, const std::string& what, const std::string& with) {
  for (auto p = text.find(what); !what.empty() && p != std::string::npos; p = text.find(what, p + with.size()))
    text.replace(p, what.size(), with);
  return text;
}

/// A query's result, cleared on every exit path.
class Result {
 public:
  explicit Result(PGresult* r = nullptr) : r_(r) {}
  ~Result() { PQclear(r_); }
  Result(Result&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  Result& operator=(Result&& o) noexcept {
    std::swap(r_, o.r_);
    return *this;
  }
  int rows() const { return r_ ? PQntuples(r_) : 0; }
  bool null(int row, int col) const { return PQgetisnull(r_, row, col) != 0; }
  std::string text(int row, int col) const { return PQgetvalue(r_, row, col); }
  std::int64_t integer(int row, int col) const { return null(row, col) ? 0 : std::stoll(PQgetvalue(r_, row, col)); }
  std::optional<Nanos> nanos(int row, int col) const {
    return null(row, col) ? std::nullopt : std::optional<Nanos>(Nanos(integer(row, col)));
  }
  std::optional<double> real(int row, int col) const {
    return null(row, col) ? std::nullopt : std::optional<double>(std::stod(PQgetvalue(r_, row, col)));
  }

 private:
  PGresult* r_;
};

class PostgresStore final : public HistoryStore {
 public:
  explicit PostgresStore(const std::string& conninfo)
      : where_(redacted_location(conninfo)), conninfo_(conninfo), passwords_(passwords_in(conninfo)) {
    try {
      connect(conninfo, Clock::now() + kPgConnectTimeout);
      deadline_ = Clock::now() + kPgOperationTimeout;
      exec(kSessionSettings);
      migrate();
    } catch (...) {
      PQfinish(conn_);
      throw;
    }
  }
  ~PostgresStore() override { PQfinish(conn_); }

  bool add(const RunRow& r) override;
  std::vector<RunRow> runs(const HistoryQuery& q) override;
  int schema_version() override {
    deadline_ = Clock::now() + kPgOperationTimeout;
    return read_version();
  }
  std::string where() const override { return where_; }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    const std::string why = scrub(conn_ ? one_line(PQerrorMessage(conn_)) : "out of memory");
    throw HistoryError(fmt::format("history {}: {}{}{}", where_, what, why.empty() ? "" : ": ", why));
  }
  /// libpq's message without the connection string or a password (a URL it
  /// cannot parse is quoted whole in its message).
  std::string scrub(std::string why) const {
    why = replaced(std::move(why), conninfo_, where_);
    for (const auto& p : passwords_) why = replaced(std::move(why), p, "***");
    return why;
  }
  /// Waits until the connection's socket is ready, or throws at the deadline.
  void wait_socket(bool for_write, Clock::time_point deadline, const char* doing) const;
  void connect(const std::string& conninfo, Clock::time_point deadline);
  /// Sends `sql` (with `params` when given: one statement) and reads every result; the last one.
  Result run(const std::string& sql, const std::vector<Param>* params);
  Result exec(const std::string& sql) { return run(sql, nullptr); }
  Result query(const std::string& sql, const std::vector<Param>& params) { return run(sql, &params); }
  int read_version();
  void migrate();
  /// Ends a transaction that failed, if the connection still can; never throws.
  void rollback_quietly() noexcept {
    if (PQstatus(conn_) != CONNECTION_OK || PQtransactionStatus(conn_) == PQTRANS_IDLE) return;
    try {
      exec("ROLLBACK");
    } catch (...) {
    }
  }

  std::string where_, conninfo_;
  std::vector<std::string> passwords_;
  PGconn* conn_ = nullptr;
  Clock::time_point deadline_;
};

void PostgresStore::wait_socket(bool for_write, Clock::time_point deadline, const char* doing) const {
  pollfd p{PQsocket(conn_), static_cast<short>(for_write ? POLLOUT : POLLIN), 0};
  if (p.fd < 0) fail(doing);
  for (;;) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
    const int n = left <= 0 ? 0 : ::poll(&p, 1, static_cast<int>(left));
    if (n > 0) return;
    if (n == 0)
      throw HistoryError(fmt::format("history {}: {}: no answer from the server in time", where_, doing));
    if (errno != EINTR) throw HistoryError(fmt::format("history {}: {}: poll failed", where_, doing));
  }
}

void PostgresStore::connect(const std::string& conninfo, Clock::time_point deadline) {
  conn_ = PQconnectStart(conninfo.c_str());
  if (!conn_ || PQstatus(conn_) == CONNECTION_BAD) fail("cannot connect");
  PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);  // "relation exists, skipping" and the like
  for (PostgresPollingStatusType st = PGRES_POLLING_WRITING; st != PGRES_POLLING_OK; st = PQconnectPoll(conn_)) {
    if (st == PGRES_POLLING_FAILED) fail("cannot connect");
    wait_socket(st == PGRES_POLLING_WRITING, deadline,
                fmt::format("cannot connect within {} s", kPgConnectTimeout.count()).c_str());
  }
  if (PQsetnonblocking(conn_, 1) != 0) fail("cannot connect");
}

Result PostgresStore::run(const std::string& sql, const std::vector<Param>* params) {
  int sent = 0;
  if (params) {
    std::vector<const char*> values;
    for (const auto& p : *params) values.push_back(p ? p->c_str() : nullptr);
    sent = PQsendQueryParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                             nullptr, 0);
  } else {
    sent = PQsendQuery(conn_, sql.c_str());
  }
  if (!sent) fail("cannot send a query");
  for (int f = PQflush(conn_); f != 0; f = PQflush(conn_)) {
    if (f < 0) fail("cannot send a query");
    wait_socket(true, deadline_, "sending a query");
  }
  Result last;
  std::string error;
  for (;;) {
    while (PQisBusy(conn_)) {
      wait_socket(false, deadline_, "waiting for the server");
      if (!PQconsumeInput(conn_)) fail("lost the server");
    }
    PGresult* r = PQgetResult(conn_);
    if (!r) break;
    const auto st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && error.empty()) error = one_line(PQresultErrorMessage(r));
    last = Result(r);
  }
  if (!error.empty()) throw HistoryError(fmt::format("history {}: {}", where_, scrub(error)));
  return last;
}

int PostgresStore::read_version() {
  Result has = exec("SELECT to_regclass('schema_version') IS NOT NULL");
  if (has.rows() == 0 || has.text(0, 0) != "t") return 0;
  Result v = exec("SELECT coalesce(max(version), 0) FROM schema_version");
  return v.rows() ? static_cast<int>(v.integer(0, 0)) : 0;
}

void PostgresStore::migrate() {
  const auto& steps = postgres_migrations();
  const int latest = static_cast<int>(steps.size());
  int version = read_version();
  if (version == latest) return;  // nothing to write: a read-only role gets this far
  if (version > latest)
    throw HistoryError(fmt::format("history {}: schema version {} is newer than this faultline's ({}); "
                                   "use a newer faultline or another store",
                                   where_, version, latest));
  // The lock is taken before the transaction begins: a transaction's start
  // is where the server reads the catalog changes others committed, so the
  // version read inside it sees a migration that finished while this one
  // waited (a lock taken inside would leave it reading a stale catalog).
  exec(fmt::format("SELECT pg_advisory_lock({})", kMigrationLock));
  try {
    exec("BEGIN");
    version = read_version();  // another runner may have migrated it meanwhile
    for (int v = version; v < latest; ++v) exec(steps[static_cast<std::size_t>(v)]);
    if (version < latest) exec(fmt::format("DELETE FROM schema_version; INSERT INTO schema_version VALUES ({})", latest));
    exec("COMMIT");
  } catch (...) {
    rollback_quietly();
    throw;  // closing the connection releases the lock
  }
  exec(fmt::format("SELECT pg_advisory_unlock({})", kMigrationLock));
}

bool PostgresStore::add(const RunRow& r) {
  deadline_ = Clock::now() + kPgOperationTimeout;
  exec("BEGIN");
  try {
    const std::vector<Param> run{
        r.run_id, r.scenario, r.scenario_digest, r.label, r.host, r.faultline_version, r.started_at,
        std::to_string(r.seed), r.outcome, num(r.exit_code), num(r.duration.count()), num(r.give_up_after.count()),
        num(r.iterations), num(r.unrecovered), nanos(r.recovery_max), nanos(r.recovery_p95), nanos(r.mttr),
        num(r.ttr_p50.count()), num(r.ttr_p95.count()), num(r.episodes), num(r.relapses),
        r.availability ? Param(fmt::format("{:.17g}", *r.availability)) : std::nullopt, r.record_path,
        num(static_cast<std::int64_t>(r.data_lost))};
    Result id = query(fmt::format("INSERT INTO runs({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, "
                                  "$13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24) "
                                  "ON CONFLICT (run_id) DO NOTHING RETURNING id",
                                  kRunColumns),
                      run);
    if (id.rows() == 0) {  // this run id is there already
      exec("ROLLBACK");
      return false;
    }
    const std::string run_id = id.text(0, 0);
    for (std::size_t i = 0; i < r.verdicts.size(); ++i) {
      const auto& v = r.verdicts[i];
      query("INSERT INTO verdicts(run, position, threshold, scope, passed, measured, lim, inconclusive) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            {run_id, num(static_cast<std::int64_t>(i)), v.threshold, v.scope, num(v.passed), v.measured, v.limit,
             num(v.inconclusive)});
    }
    for (const auto& it : r.iteration_rows) {
      const auto& b = it.recovery_bracket;
      query("INSERT INTO iterations(run, idx, ttd_ns, ttr_ns, recovery_ns, relapses, lost, uncertainty_ns, "
            "recovery_earliest_ns, recovery_latest_ns) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            {run_id, num(it.index), nanos(it.ttd), nanos(it.ttr), nanos(it.recovery_time), num(it.relapses),
             num(static_cast<std::int64_t>(it.lost)), num(it.uncertainty.count()),
             b ? Param(num(b->earliest.count())) : std::nullopt, b ? Param(num(b->latest.count())) : std::nullopt});
    }
    exec("COMMIT");
    return true;
  } catch (...) {
    rollback_quietly();
    throw;
  }
}

RunRow read_run(const Result& s, int i) {
  RunRow r;
  r.id = s.integer(i, 0);
  r.run_id = s.text(i, 1), r.scenario = s.text(i, 2), r.scenario_digest = s.text(i, 3), r.label = s.text(i, 4);
  r.host = s.text(i, 5), r.faultline_version = s.text(i, 6), r.started_at = s.text(i, 7);
  r.seed = std::stoull(s.text(i, 8).empty() ? "0" : s.text(i, 8));
  r.outcome = s.text(i, 9), r.exit_code = static_cast<int>(s.integer(i, 10));
  r.duration = Nanos(s.integer(i, 11)), r.give_up_after = Nanos(s.integer(i, 12));
  r.iterations = static_cast<int>(s.integer(i, 13)), r.unrecovered = static_cast<int>(s.integer(i, 14));
  r.recovery_max = s.nanos(i, 15), r.recovery_p95 = s.nanos(i, 16), r.mttr = s.nanos(i, 17);
  r.ttr_p50 = Nanos(s.integer(i, 18)), r.ttr_p95 = Nanos(s.integer(i, 19));
  r.episodes = static_cast<int>(s.integer(i, 20)), r.relapses = static_cast<int>(s.integer(i, 21));
  r.availability = s.real(i, 22), r.record_path = s.text(i, 23);
  r.data_lost = static_cast<std::uint64_t>(s.integer(i, 24));
  return r;
}

IterationRow read_iteration(const Result& s, int i) {
  IterationRow x;
  x.index = static_cast<int>(s.integer(i, 1));
  x.ttd = s.nanos(i, 2), x.ttr = s.nanos(i, 3), x.recovery_time = s.nanos(i, 4);
  x.relapses = static_cast<int>(s.integer(i, 5)), x.lost = static_cast<std::uint64_t>(s.integer(i, 6));
  x.uncertainty = Nanos(s.integer(i, 7));
  if (const auto lo = s.nanos(i, 8), hi = s.nanos(i, 9); lo && hi) x.recovery_bracket = Bracket{*lo, *hi};
  return x;
}

std::vector<RunRow> PostgresStore::runs(const HistoryQuery& q) {
  deadline_ = Clock::now() + kPgOperationTimeout;
  // One snapshot: the runs and their rows are of the same moment.
  exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  try {
    const std::vector<Param> filter{q.scenario, q.label, q.since};
    const std::string selected =
        q.last == 0 ? fmt::format("SELECT id, {} FROM runs WHERE {}", kRunColumns, kFilter)
                    : fmt::format("SELECT id, {} FROM runs WHERE {} ORDER BY started_at DESC, id DESC LIMIT {}",
                                  kRunColumns, kFilter, q.last);
    const Result s = query(fmt::format("SELECT * FROM ({}) AS s ORDER BY started_at, id", selected), filter);
    std::vector<RunRow> out;
    out.reserve(static_cast<std::size_t>(s.rows()));
    std::unordered_map<std::int64_t, std::size_t> at;
    for (int i = 0; i < s.rows(); ++i) {
      out.push_back(read_run(s, i));
      at[out.back().id] = out.size() - 1;
    }
    if (!q.details) {
      exec("COMMIT");
      return out;
    }
    // The rows of the selected runs only (with --last, not of every run the filter matches).
    const std::string ids = fmt::format("SELECT id FROM ({}) AS s", selected);
    const Result v = query(fmt::format("SELECT run, threshold, scope, passed, measured, lim, inconclusive FROM verdicts "
                                       "WHERE run IN ({}) ORDER BY run, position", ids), filter);
    for (int i = 0; i < v.rows(); ++i)
      if (auto k = at.find(v.integer(i, 0)); k != at.end())
        out[k->second].verdicts.push_back({v.text(i, 1), v.text(i, 2), v.integer(i, 3) != 0, v.text(i, 4),
                                           v.text(i, 5), v.integer(i, 6) != 0});
    const Result it = query(fmt::format("SELECT run, idx, ttd_ns, ttr_ns, recovery_ns, relapses, lost, uncertainty_ns, "
                                        "recovery_earliest_ns, recovery_latest_ns FROM iterations "
                                        "WHERE run IN ({}) ORDER BY run, idx", ids), filter);
    for (int i = 0; i < it.rows(); ++i)
      if (auto k = at.find(it.integer(i, 0)); k != at.end()) out[k->second].iteration_rows.push_back(read_iteration(it, i));
    exec("COMMIT");
    return out;
  } catch (...) {
    rollback_quietly();
    throw;
  }
}

}  // namespace

const std::vector<std::string>& postgres_migrations() {
  static const std::vector<std::string> steps{
      // 1: runs, their verdicts and iterations.
      "CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL);"
      "CREATE TABLE runs(id BIGSERIAL PRIMARY KEY, run_id TEXT NOT NULL UNIQUE, scenario TEXT NOT NULL,"
      " scenario_digest TEXT NOT NULL, label TEXT NOT NULL, host TEXT NOT NULL, faultline_version TEXT NOT NULL,"
      " started_at TEXT NOT NULL, seed TEXT NOT NULL, outcome TEXT NOT NULL, exit_code INTEGER NOT NULL,"
      " duration_ns BIGINT NOT NULL, give_up_after_ns BIGINT NOT NULL, iterations INTEGER NOT NULL,"
      " unrecovered INTEGER NOT NULL, recovery_max_ns BIGINT, recovery_p95_ns BIGINT, mttr_ns BIGINT,"
      " ttr_p50_ns BIGINT NOT NULL, ttr_p95_ns BIGINT NOT NULL, episodes INTEGER NOT NULL,"
      " relapses INTEGER NOT NULL, availability DOUBLE PRECISION, record_path TEXT NOT NULL);"
      "CREATE TABLE verdicts(run BIGINT NOT NULL REFERENCES runs(id), position INTEGER NOT NULL,"
      " threshold TEXT NOT NULL, scope TEXT NOT NULL, passed INTEGER NOT NULL, measured TEXT NOT NULL,"
      " lim TEXT NOT NULL, PRIMARY KEY(run, position));"
      "CREATE TABLE iterations(run BIGINT NOT NULL REFERENCES runs(id), idx INTEGER NOT NULL, ttd_ns BIGINT,"
      " ttr_ns BIGINT, recovery_ns BIGINT, relapses INTEGER NOT NULL, PRIMARY KEY(run, idx));",
      // 2: data lost per run and per iteration; runs found by scenario and time.
      "ALTER TABLE runs ADD COLUMN data_lost BIGINT NOT NULL DEFAULT 0;"
      "ALTER TABLE iterations ADD COLUMN lost BIGINT NOT NULL DEFAULT 0;"
      "CREATE INDEX runs_by_scenario ON runs(scenario, started_at);"
      "CREATE INDEX runs_by_time ON runs(started_at);",
      // 3: each iteration's probe resolution and recovery bracket (history --check widens by it).
      "ALTER TABLE iterations ADD COLUMN uncertainty_ns BIGINT NOT NULL DEFAULT 0;"
      "ALTER TABLE iterations ADD COLUMN recovery_earliest_ns BIGINT;"
      "ALTER TABLE iterations ADD COLUMN recovery_latest_ns BIGINT;",
      // 4: a verdict that is neither passed nor failed (inconclusive; --check skips it).
      "ALTER TABLE verdicts ADD COLUMN inconclusive INTEGER NOT NULL DEFAULT 0;",
  };
  return steps;
}

std::unique_ptr<HistoryStore> open_postgres_history(const std::string& conninfo) {
  return std::make_unique<PostgresStore>(conninfo);
}

}  // namespace faultline

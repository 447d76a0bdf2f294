// open_history (history_store.hpp): the back end a location names.
#include "history/history_store.hpp"
#include "history/history_where.hpp"
#include "history/postgres_module.hpp"
#include "history/sqlite_store.hpp"

namespace faultline {

std::unique_ptr<HistoryStore> open_history(const std::string& location, bool create) {
  if (is_postgres_location(location)) return open_postgres_module(location);
  return open_sqlite_history(location, create);
}

}  // namespace faultline

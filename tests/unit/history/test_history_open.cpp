// open_history picks the back end from the location.
#include <doctest/doctest.h>

#include "history/history_store.hpp"
#include "report_fixtures.hpp"

using namespace faultline;

TEST_CASE("history open: a path is a SQLite file; a postgresql:// location is not built in yet") {
  fixtures::TempDir dir;
  auto store = open_history((dir / "h.sqlite").string(), true);
  CHECK(store->where() == (dir / "h.sqlite").string());
  CHECK(store->runs({}).empty());
  CHECK_THROWS_WITH_AS(open_history("postgresql://u:pw@localhost/h", true),
                       doctest::Contains("postgresql://u:***@localhost/h"), HistoryError);
}

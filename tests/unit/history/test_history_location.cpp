// A history location as text: PostgreSQL or a file; shown without its password.
#include <doctest/doctest.h>

#include "history/history_location.hpp"

using namespace faultline;

TEST_CASE("history location: PostgreSQL locations are told apart and shown without their password") {
  CHECK(is_postgres_location("postgresql://u:pw@db/hist"));
  CHECK(is_postgres_location("postgres://db/hist"));
  CHECK_FALSE(is_postgres_location("/var/lib/h.sqlite"));
  CHECK(redacted_location("postgresql://u:secret@db:5432/hist") == "postgresql://u:***@db:5432/hist");
  CHECK(redacted_location("postgresql://u@db/hist") == "postgresql://u@db/hist");
  CHECK(redacted_location("/a:b@c") == "/a:b@c");
  CHECK(redacted_location("postgresql://u@db/hist?password=secret&connect_timeout=3") ==
        "postgresql://u@db/hist?password=***&connect_timeout=3");
  CHECK(redacted_location("postgres://u:a@db/h?sslmode=disable&password=b") ==
        "postgres://u:***@db/h?sslmode=disable&password=***");
}

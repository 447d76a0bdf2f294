// doctest assertions shared by the integration tests (harness.hpp stays free
// of doctest so that the benchmarks can use it too).
#pragma once

#include <doctest/doctest.h>

#include "harness.hpp"

namespace itest {

/// Asserts that the record names the processes the run started and that
/// none of their process groups has a process left alive.
inline void expect_nothing_left(const boost::json::value& record) {
  REQUIRE_FALSE(started_pids(record).empty());  // each service leads its own group
  const auto left = leftover_processes(record);
  CHECK_MESSAGE(left.empty(), "processes of the run survived: " << left.size());
}

}  // namespace itest

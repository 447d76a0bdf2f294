// The precompiled header of the sanitized build CI runs every test in, and
// of the fuzz build (tests/check.sh: -Db_pch=true; meson.build leaves it
// off by default): meson includes it first in every file of the core
// library, the program, the two test programs, and the fuzz targets that
// link the Asio code (not fuzz_record: its Asio declarations would need
// Asio's compiled part). Only headers from outside the project, those
// most files include, so that a change to a header of the project's never
// rebuilds it. Why: with clang it takes a quarter to a third off each
// file's compile time (docs/reliability.md, "Sanitized test suite"). The
// optimized build CI also makes has no precompiled header, so a file that
// forgets an include of its own still fails there.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/error_code.hpp>

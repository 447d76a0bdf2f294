// A history location as text: whether it names a PostgreSQL server, and how
// it is shown in messages (without its password). Apart from
// history_where.hpp because the PostgreSQL module (postgres_module.hpp)
// carries its own copy and needs nothing else of the program.
#pragma once

#include <string>

namespace faultline {

/// Whether `location` names a PostgreSQL server rather than a file.
bool is_postgres_location(const std::string& location);

/// `location` without a password ("postgresql://u:***@h/db"), for messages.
std::string redacted_location(const std::string& location);

}  // namespace faultline

// A history location as text (see history_location.hpp).
#include "history/history_location.hpp"

namespace faultline {

bool is_postgres_location(const std::string& location) {
  return location.starts_with("postgresql://") || location.starts_with("postgres://");
}

std::string redacted_location(const std::string& location) {
  if (!is_postgres_location(location)) return location;
  std::string out = location;
  const auto scheme = out.find("://") + 3;
  const auto at = out.find('@', scheme);
  const auto colon = out.find(':', scheme);
  if (at != std::string::npos && colon != std::string::npos && colon < at)
    out = out.substr(0, colon + 1) + "***" + out.substr(at);
  // A password among the parameters (?password=... or &password=...).
  for (auto q = out.find('?'); q != std::string::npos; q = out.find('&', q + 1)) {
    if (out.compare(q + 1, 9, "password=") != 0) continue;
    const auto value = q + 10;
    const auto end = out.find('&', value);
    out = out.substr(0, value) + "***" + (end == std::string::npos ? "" : out.substr(end));
  }
  return out;
}

}  // namespace faultline

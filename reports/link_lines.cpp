// The reports' lines about links: see link_lines.hpp.
#include "reports/link_lines.hpp"

#include <fmt/format.h>

namespace faultline {

std::vector<std::string> http_link_lines(const RunRecord& r) {
  std::vector<std::string> out;
  for (const auto& l : r.links) {
    if (!l.http) continue;
    const LinkHttpStats& h = *l.http;
    std::string line = fmt::format("link '{}' (HTTP): {} requests, {} matched, {} aborted, {} delayed, {} replaced",
                                   l.name, h.requests, h.matched, h.aborted, h.delayed, h.replaced);
    if (h.malformed > 0) line += fmt::format("; {} connection(s) not HTTP, passed through unchanged", h.malformed);
    out.push_back(std::move(line));
  }
  return out;
}

}  // namespace faultline

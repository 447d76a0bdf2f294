#include "scenario/check_context.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace faultline {

SourcePos CheckContext::where(const std::string& path, const SourcePos& fallback) const {
  auto it = s_.positions.find(path);
  SourcePos p = it != s_.positions.end() ? it->second : fallback;
  if (p.file.empty()) p.file = s_.file;
  return p;
}

void CheckContext::error(SourcePos pos, std::string message, std::string hint) {
  if (pos.file.empty()) pos.file = s_.file;
  out_.push_back({std::move(pos), std::move(message), std::move(hint)});
}

bool CheckContext::is_service(const std::string& name) const {
  return std::any_of(s_.services.begin(), s_.services.end(), [&](const auto& svc) { return svc.name == name; });
}

std::vector<std::string> CheckContext::service_names() const {
  std::vector<std::string> names;
  for (const auto& svc : s_.services)
    if (!svc.name.empty()) names.push_back(svc.name);
  return names;
}

std::vector<std::string> CheckContext::link_names() const {
  std::vector<std::string> names;
  for (const auto& l : s_.links)
    if (!l.name.empty()) names.push_back(l.name);
  return names;
}

std::string CheckContext::service_hint(const std::string& name) const {
  const auto names = service_names();
  if (names.empty()) return "no [[service]] is declared";
  std::string best = closest(name, names);
  return best.empty() ? fmt::format("declared services: {}", quoted_list(names)) : fmt::format("did you mean '{}'?", best);
}

std::string join_comma(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

std::string join_list(const std::vector<std::string>& items, std::string_view last) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += i + 1 == items.size() ? last : ", ";
    out += items[i];
  }
  return out;
}

std::string join_and(const std::vector<std::string>& items) { return join_list(items, " and "); }

std::string quoted_list(const std::vector<std::string>& items) {
  std::vector<std::string> q;
  for (const auto& i : items) q.push_back(fmt::format("'{}'", i));
  return join_comma(q);
}

}  // namespace faultline

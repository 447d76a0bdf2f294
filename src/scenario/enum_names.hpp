// Enumerators by name: one table per enum, read both ways, so that the
// scenario file, the run record and the plan spell a value the same way, and
// a name is mapped back by the very table that writes it. A table is a plain
// array of {enumerator, name} rows; name_of and value_named look it up.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "scenario/scenario.hpp"

namespace faultline {

/// One row of a name table: an enumerator and how it is spelled.
template <class E>
struct EnumName {
  E value;
  std::string_view name;
};

/// The name of `value` in `table`; `otherwise` when the table lacks it.
template <class E, std::size_t N>
constexpr std::string_view name_of(const EnumName<E> (&table)[N], E value, std::string_view otherwise = "?") {
  for (const auto& row : table)
    if (row.value == value) return row.name;
  return otherwise;
}

/// The enumerator spelled `name` in `table`, if any.
template <class E, std::size_t N>
constexpr std::optional<E> value_named(const EnumName<E> (&table)[N], std::string_view name) {
  for (const auto& row : table)
    if (row.name == name) return row.value;
  return std::nullopt;
}

/// Probe kinds, as [[probe]] kind and the record's probes[].kind spell them.
inline constexpr EnumName<ProbeKind> kProbeKindNames[] = {
    {ProbeKind::tcp, "tcp"},
    {ProbeKind::http, "http"},
    {ProbeKind::exec, "exec"},
};

/// Restart policies, as a [[service]]'s restart spells them.
inline constexpr EnumName<RestartPolicy> kRestartPolicyNames[] = {
    {RestartPolicy::never, "never"},
    {RestartPolicy::on_failure, "on-failure"},
    {RestartPolicy::always, "always"},
};

}  // namespace faultline

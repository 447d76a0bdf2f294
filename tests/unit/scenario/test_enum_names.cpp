// enum_names: a table maps enumerators to names and back.
#include <doctest/doctest.h>

#include "scenario/enum_names.hpp"

using namespace faultline;

TEST_CASE("enum_names: probe kinds and restart policies by name, both ways") {
  CHECK(name_of(kProbeKindNames, ProbeKind::http) == "http");
  CHECK(value_named(kProbeKindNames, "exec") == ProbeKind::exec);
  CHECK_FALSE(value_named(kProbeKindNames, "udp").has_value());
  for (const auto& row : kProbeKindNames) CHECK(value_named(kProbeKindNames, name_of(kProbeKindNames, row.value)) == row.value);
  CHECK(name_of(kRestartPolicyNames, RestartPolicy::on_failure) == "on-failure");
  CHECK(value_named(kRestartPolicyNames, "always") == RestartPolicy::always);
  static constexpr EnumName<ProbeKind> partial[] = {{ProbeKind::tcp, "tcp"}};
  CHECK(name_of(partial, ProbeKind::exec) == "?");
  CHECK(name_of(partial, ProbeKind::exec, "unknown") == "unknown");
}

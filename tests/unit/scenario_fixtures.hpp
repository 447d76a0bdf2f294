// Small scenarios built in code that tests of several folders start from.
#pragma once

#include "scenario/scenario.hpp"

namespace faultline::testing {

/// Three services (primary, replica, sentinel) with network = "namespaces".
inline Scenario three_services() {
  Scenario s;
  for (const char* n : {"primary", "replica", "sentinel"}) {
    ServiceSpec svc;
    svc.name = n;
    s.services.push_back(svc);
  }
  s.network = NetworkMode::namespaces;
  return s;
}

}  // namespace faultline::testing

// target_select_keys (select_keys.hpp).
#include "scenario/select_keys.hpp"

namespace faultline {

const std::vector<KeySpec>& target_select_keys() {
  static const std::vector<KeySpec> keys = {
      {"select", "command", "", "run once per candidate with its {service.name} and {service.addr}; exit 0 = this is the one", true},
      {"among", "array of strings", "", "the candidate services, in order; at least one, each declared, none twice", true},
      {"timeout", "duration", "5s", "time limit of each run of the command; > 0", false},
      {"as", "string", "", "what the chosen one is, for the record and the reports (e.g. \"leader\")", false},
  };
  return keys;
}

}  // namespace faultline

#include "record.hpp"

namespace faultline {

int exit_code_for(Outcome o, bool sigterm) {
  switch (o) {
    case Outcome::passed: return 0;
    case Outcome::failed: return 1;
    case Outcome::usage_error: return 2;
    case Outcome::inconclusive: return 3;
    case Outcome::harness_error: return 4;
    case Outcome::interrupted: return sigterm ? 143 : 130;
  }
  return 4;
}

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::passed: return "passed";
    case Outcome::failed: return "failed";
    case Outcome::usage_error: return "usage_error";
    case Outcome::inconclusive: return "inconclusive";
    case Outcome::harness_error: return "harness_error";
    case Outcome::interrupted: return "interrupted";
  }
  return "unknown";
}

}  // namespace faultline

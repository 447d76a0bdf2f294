// Where this build was configured from, in one file: the checkout's path
// lives in a generated header that only this file (and the history tests)
// include, so no other test's compile depends on it.
#include "test_build_root.h"

namespace fixtures {

/// The source tree this build was configured from.
const char* configured_source_root() { return FAULTLINE_TEST_SOURCE_ROOT; }

}  // namespace fixtures

// Flush, check for leaks where a sanitizer is built in, _exit.
#include "os/exit_now.hpp"

#include <unistd.h>

#include <cstdio>
#include <iostream>

#if defined(__SANITIZE_ADDRESS__)
#define FAULTLINE_LEAK_CHECK 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FAULTLINE_LEAK_CHECK 1
#endif
#endif
#ifdef FAULTLINE_LEAK_CHECK
#include <sanitizer/lsan_interface.h>
#endif

namespace faultline {

void exit_without_teardown(int code) {
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
#ifdef FAULTLINE_LEAK_CHECK
  __lsan_do_leak_check();
#endif
  ::_exit(code);
}

}  // namespace faultline

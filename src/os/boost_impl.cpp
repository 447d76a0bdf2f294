// The compiled parts of header-only Boost libraries, built once for the whole
// program (see the *_SEPARATE_COMPILATION defines in meson.build).
#include "os/process_v2.hpp"

#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
#include <boost/process/v2/src.hpp>

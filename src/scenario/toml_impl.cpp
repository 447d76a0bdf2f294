// toml++'s implementation, compiled once into the program: Debian ships
// toml++ as a shared library or as headers only, and loading the library
// cost every start-up (issue 21), while compiling it in every file that
// includes the parser's headers would cost every build. Every other file
// sees its declarations only (TOML_HEADER_ONLY=0, meson.build).
#define TOML_IMPLEMENTATION
#include "scenario/toml_include.hpp"

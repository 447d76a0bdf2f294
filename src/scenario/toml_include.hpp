// toml++, as every file of the parser includes it. Its internal assertions
// are off: Debian's build of the library had them off (NDEBUG), and on
// input its parser does not expect (a fuzzer's: tests/fuzz/corpus/scenario/
// toml-key-assert.toml, reached while reading past syntax errors) an
// assertion aborts where the library otherwise reports a syntax error at
// the line and column. The expression stays an operand of sizeof, unevaluated,
// so nothing it names becomes unused. Defined here, before every include of
// toml++, so that each file sees the same inline functions.
#pragma once

#define TOML_ASSERT(expr) static_cast<void>(sizeof(!(expr)))
#include <toml++/toml.h>

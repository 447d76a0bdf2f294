// fmt's compiled part, built once for the whole program: Debian ships fmt as
// a shared library or as headers only. Loading the library cost every
// start-up (issue 21), and FMT_HEADER_ONLY would compile the implementation
// again in each of the ~180 files that format (2.6 s more per file here).
// Including format-inl.h without FMT_HEADER_ONLY defines its functions
// (FMT_FUNC is empty then); the templates format.h declares `extern` are
// instantiated below for the character types the program formats.
#include <fmt/format-inl.h>

FMT_BEGIN_NAMESPACE
namespace detail {

// Declared `extern template` in fmt/format.h (when not header-only).
template auto thousands_sep_impl<char>(locale_ref) -> thousands_sep_result<char>;
template auto thousands_sep_impl<wchar_t>(locale_ref) -> thousands_sep_result<wchar_t>;
template auto decimal_point_impl<char>(locale_ref) -> char;
template auto decimal_point_impl<wchar_t>(locale_ref) -> wchar_t;

}  // namespace detail
FMT_END_NAMESPACE

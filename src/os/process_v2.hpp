// Include Boost.Process v2 through this header only. Debian's Boost 1.81
// headers lean on includes they do not make themselves (std::unique_ptr,
// boost::optional, and unqualified type traits that only the boost:: ones
// satisfy); they are supplied here before the library is included.
#pragma once

#include <memory>
#include <type_traits>
#include <boost/optional.hpp>
#include <boost/type_traits.hpp>
#include <boost/asio/detail/throw_error.hpp>

#include <boost/process/v2.hpp>

// Strict reading of faultline's own JSON documents (see json_strict.hpp).
#include "record/json_strict.hpp"

#include <boost/json.hpp>
#include <boost/json/basic_parser_impl.hpp>
#include <charconv>
#include <fmt/format.h>

namespace faultline::json_strict {

namespace json = boost::json;

namespace {

/// Boost.JSON's own value-building handler, except that doubles are converted
/// from their text with std::from_chars (correctly rounded).
struct ExactHandler {
  static constexpr std::size_t max_object_size = json::object::max_size();
  static constexpr std::size_t max_array_size = json::array::max_size();
  static constexpr std::size_t max_key_size = json::string::max_size();
  static constexpr std::size_t max_string_size = json::string::max_size();

  json::value_stack st;
  std::string number;  ///< the parts of a number split across buffers

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_object_begin(json::error_code&) { return true; }
  bool on_object_end(std::size_t n, json::error_code&) {
    st.push_object(n);
    return true;
  }
  bool on_array_begin(json::error_code&) { return true; }
  bool on_array_end(std::size_t n, json::error_code&) {
    st.push_array(n);
    return true;
  }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    st.push_chars(s);
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code&) {
    st.push_key(s);
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
    st.push_chars(s);
    return true;
  }
  bool on_string(json::string_view s, std::size_t, json::error_code&) {
    st.push_string(s);
    return true;
  }
  bool on_number_part(json::string_view s, json::error_code&) {
    number.append(s.data(), s.size());
    return true;
  }
  bool on_int64(std::int64_t i, json::string_view, json::error_code&) {
    number.clear();
    st.push_int64(i);
    return true;
  }
  bool on_uint64(std::uint64_t u, json::string_view, json::error_code&) {
    number.clear();
    st.push_uint64(u);
    return true;
  }
  bool on_double(double d, json::string_view s, json::error_code&) {
    number.append(s.data(), s.size());
    double exact = d;
    const char* end = number.data() + number.size();
    if (std::from_chars(number.data(), end, exact).ec != std::errc{}) exact = d;  // out of range: keep Boost's
    number.clear();
    st.push_double(exact);
    return true;
  }
  bool on_bool(bool b, json::error_code&) {
    st.push_bool(b);
    return true;
  }
  bool on_null(json::error_code&) {
    st.push_null();
    return true;
  }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }
};

}  // namespace

std::string position_of(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  std::size_t line = 1, col = 1;
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return fmt::format("line {}, column {}", line, col);
}

json::value parse_exact(std::string_view text, std::string_view source) {
  json::basic_parser<ExactHandler> p(json::parse_options{});
  p.handler().st.reset();
  json::error_code ec;
  const std::size_t n = p.write_some(false, text.data(), text.size(), ec);
  if (!ec && n < text.size()) ec = json::error::extra_data;
  if (ec)
    throw JsonError(fmt::format("{}: not valid JSON ({}) at {}", source, ec.message(), position_of(text, n)));
  return p.handler().st.release();
}

const char* kind_of(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "a boolean";
    case json::kind::int64:
    case json::kind::uint64: return "an integer";
    case json::kind::double_: return "a fractional number";
    case json::kind::string: return "a string";
    case json::kind::array: return "an array";
    case json::kind::object: return "an object";
  }
  return "a value";
}

std::string join_path(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
}

std::string index_path(const std::string& path, std::size_t i) { return fmt::format("{}[{}]", path, i); }

// ---------------------------------------------------------------------------
// Reader

void Reader::fail(const std::string& path, const std::string& what) const {
  throw JsonError(fmt::format("{}: {}: {}", source, path.empty() ? "top level" : path, what));
}

void Reader::wrong(const std::string& path, const char* expected, const json::value& v) const {
  fail(path, fmt::format("expected {}, found {}", expected, kind_of(v)));
}

std::int64_t Reader::i64(const json::value& v, const std::string& path, const char* expected) const {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
    return static_cast<std::int64_t>(v.get_uint64());
  if (v.is_uint64()) fail(path, "integer out of range");
  wrong(path, expected, v);
}

std::uint64_t Reader::u64(const json::value& v, const std::string& path, std::uint64_t max) const {
  std::uint64_t x = 0;
  if (v.is_uint64())
    x = v.get_uint64();
  else if (v.is_int64() && v.get_int64() >= 0)
    x = static_cast<std::uint64_t>(v.get_int64());
  else if (v.is_int64())
    fail(path, fmt::format("expected a non-negative integer, found {}", v.get_int64()));
  else
    wrong(path, "a non-negative integer", v);
  if (x > max) fail(path, fmt::format("{} is out of range (at most {})", x, max));
  return x;
}

int Reader::i32(const json::value& v, const std::string& path) const {
  const std::int64_t x = i64(v, path);
  if (x < std::numeric_limits<int>::min() || x > std::numeric_limits<int>::max())
    fail(path, fmt::format("{} is out of range", x));
  return static_cast<int>(x);
}

Nanos Reader::ns(const json::value& v, const std::string& path) const { return Nanos(i64(v, path, "an integer (ns)")); }

std::optional<Nanos> Reader::opt_ns(const json::value& v, const std::string& path) const {
  if (v.is_null()) return std::nullopt;
  return Nanos(i64(v, path, "an integer (ns) or null"));
}

double Reader::num(const json::value& v, const std::string& path) const {
  if (v.is_double()) return v.get_double();
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  wrong(path, "a number", v);
}

bool Reader::boolean(const json::value& v, const std::string& path) const {
  if (!v.is_bool()) wrong(path, "true or false", v);
  return v.get_bool();
}

std::string Reader::str(const json::value& v, const std::string& path) const {
  if (!v.is_string()) wrong(path, "a string", v);
  return std::string(v.get_string());
}

const json::array& Reader::arr(const json::value& v, const std::string& path) const {
  if (!v.is_array()) wrong(path, "an array", v);
  return v.get_array();
}

// ---------------------------------------------------------------------------
// Object

Object::Object(const Reader& r, const json::value& v, std::string path) : r_(r), path_(std::move(path)) {
  if (!v.is_object()) r_.wrong(path_, "an object", v);
  o_ = &v.get_object();
}

bool Object::has(std::string_view key) const { return o_->contains(key); }

const json::value& Object::at(std::string_view key) {
  const json::value* v = o_->if_contains(key);
  if (!v) r_.fail(at_path(key), "missing");
  seen_.insert(std::string(key));
  return *v;
}

void Object::finish() const {
  for (const auto& kv : *o_)
    if (!seen_.count(std::string(kv.key())))
      r_.fail(at_path(kv.key()), "unknown field (this faultline does not write it)");
}

std::vector<std::string> read_strings(const Reader& r, Object& parent, std::string_view key) {
  return read_array<std::string>(r, parent, key,
                                 [](const Reader& rd, const json::value& v, const std::string& p) { return rd.str(v, p); });
}

}  // namespace faultline::json_strict

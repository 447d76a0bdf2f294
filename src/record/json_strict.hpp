// Strict reading of the JSON documents faultline writes itself (the run
// record, the crash ledger): a document is parsed with exact doubles, and
// every field is read through typed readers that name the key path of what
// is wrong ("run.json: iterations[1].episodes[0].end_ns: expected an integer
// (ns) or null, found a string"), keep integers in their range (an int64,
// an int, a non-negative integer up to a maximum), and, with
// Object::finish, refuse keys no reader asked for, so that a typo in a
// hand-edited file is named instead of silently ignored.
//
// Doubles are converted with std::from_chars (correctly rounded): Boost.JSON
// 1.81's own parser may be one ulp off, so a percentage could change in a
// round trip.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <limits>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "scenario/duration.hpp"

namespace faultline::json_strict {

/// A document that cannot be read; what() names the source and the key path.
class JsonError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Parses `text` with doubles read exactly; JsonError naming `source` and
/// the line and column for text that is not valid JSON.
boost::json::value parse_exact(std::string_view text, std::string_view source);

/// "line 3, column 14" of a byte offset into `text`.
std::string position_of(std::string_view text, std::size_t offset);

/// What a value is, for messages: "null", "an integer", "a string", ...
const char* kind_of(const boost::json::value& v);

/// "path.key", or "key" at the top level.
std::string join_path(const std::string& path, std::string_view key);

/// "path[i]".
std::string index_path(const std::string& path, std::size_t i);

/// Typed reading of values: each reader takes the value and its key path,
/// and throws JsonError "SOURCE: PATH: WHAT" when the value is not what it
/// must be.
struct Reader {
  std::string source;  ///< names the document in every message (a file name)

  /// Throws "SOURCE: PATH: WHAT" ("top level" for the empty path).
  [[noreturn]] void fail(const std::string& path, const std::string& what) const;
  /// Throws "SOURCE: PATH: expected EXPECTED, found KIND".
  [[noreturn]] void wrong(const std::string& path, const char* expected, const boost::json::value& v) const;

  /// An integer in int64's range; `expected` names it in the message.
  std::int64_t i64(const boost::json::value& v, const std::string& path, const char* expected = "an integer") const;
  /// A non-negative integer of at most `max`.
  std::uint64_t u64(const boost::json::value& v, const std::string& path,
                    std::uint64_t max = std::numeric_limits<std::uint64_t>::max()) const;
  /// An integer in int's range.
  int i32(const boost::json::value& v, const std::string& path) const;
  /// Integer nanoseconds.
  Nanos ns(const boost::json::value& v, const std::string& path) const;
  /// Integer nanoseconds, or null.
  std::optional<Nanos> opt_ns(const boost::json::value& v, const std::string& path) const;
  /// Any number.
  double num(const boost::json::value& v, const std::string& path) const;
  /// true or false.
  bool boolean(const boost::json::value& v, const std::string& path) const;
  /// A string.
  std::string str(const boost::json::value& v, const std::string& path) const;
  /// An array.
  const boost::json::array& arr(const boost::json::value& v, const std::string& path) const;
};

/// An object being read: every key read is remembered so that `finish`
/// can refuse the ones no reader asked for.
class Object {
 public:
  /// JsonError unless `v` is an object; `path` is its key path.
  Object(const Reader& r, const boost::json::value& v, std::string path);

  /// Its key path.
  const std::string& path() const { return path_; }
  /// The key path of its field `key`.
  std::string at_path(std::string_view key) const { return join_path(path_, key); }
  /// Whether it has the field `key` (not marked as read).
  bool has(std::string_view key) const;

  /// The field `key`, marked as read; JsonError "missing" without it.
  const boost::json::value& at(std::string_view key);

  /// The field `key`, read with the Reader's reader of the same name.
  std::int64_t i64(std::string_view k) { return r_.i64(at(k), at_path(k)); }
  std::uint64_t u64(std::string_view k, std::uint64_t max = std::numeric_limits<std::uint64_t>::max()) {
    return r_.u64(at(k), at_path(k), max);
  }
  int i32(std::string_view k) { return r_.i32(at(k), at_path(k)); }
  Nanos ns(std::string_view k) { return r_.ns(at(k), at_path(k)); }
  std::optional<Nanos> opt_ns(std::string_view k) { return r_.opt_ns(at(k), at_path(k)); }
  double num(std::string_view k) { return r_.num(at(k), at_path(k)); }
  bool boolean(std::string_view k) { return r_.boolean(at(k), at_path(k)); }
  std::string str(std::string_view k) { return r_.str(at(k), at_path(k)); }
  const boost::json::array& arr(std::string_view k) { return r_.arr(at(k), at_path(k)); }
  /// The field `key` as an object.
  Object obj(std::string_view k) { return Object(r_, at(k), at_path(k)); }

  /// Refuses any key that was not read.
  void finish() const;

 private:
  const Reader& r_;
  std::string path_;
  const boost::json::object* o_ = nullptr;
  std::set<std::string> seen_;
};

/// Reads every element of the array field `key` of `parent` with
/// `read(reader, value, path)`.
template <class T, class F>
std::vector<T> read_array(const Reader& r, Object& parent, std::string_view key, F read) {
  const boost::json::array& a = parent.arr(key);
  const std::string path = parent.at_path(key);
  std::vector<T> out;
  out.reserve(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) out.push_back(read(r, a[i], index_path(path, i)));
  return out;
}

/// The array of strings `key` of `parent`.
std::vector<std::string> read_strings(const Reader& r, Object& parent, std::string_view key);

}  // namespace faultline::json_strict

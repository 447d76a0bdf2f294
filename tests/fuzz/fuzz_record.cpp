// libFuzzer target: the run-record reader (`faultline report run.json`).
// Any text is either refused with a RecordError naming the source, or read
// into a record that writes back to JSON which reads again to the same
// record (the round trip json_read.hpp promises). Crashes, sanitizer
// findings, leaks and broken invariants are failures.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "record/json_read.hpp"
#include "record/json_record.hpp"

namespace {

constexpr std::string_view kSource = "fuzz.json";

[[noreturn]] void broken(const char* what) {
  std::fprintf(stderr, "fuzz_record: invariant broken: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  faultline::RunRecord record;
  try {
    record = faultline::read_run_record(text, kSource);
  } catch (const faultline::RecordError& e) {
    if (!std::string_view(e.what()).starts_with(kSource)) broken("an error does not name the source");
    return 0;
  }
  const std::string written = faultline::render_json(record);
  faultline::RunRecord again;
  try {
    again = faultline::read_run_record(written, kSource);
  } catch (const faultline::RecordError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    broken("a record read once does not read again once written");
  }
  if (faultline::to_json(again) != faultline::to_json(record)) broken("the round trip changed the record");
  if (faultline::render_json(again) != written) broken("the round trip changed the text");
  return 0;
}

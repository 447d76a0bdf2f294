// The end of a command that leaves nothing behind, without tearing the
// process down first.
//
// `validate` and `plan` answer in a few milliseconds, and about a tenth of
// that went, once the answer was written, into exit(3): the destructors of
// static objects (Asio's service ids and error categories, Boost.JSON's
// default resource, the C++ runtime's own) and the atexit handlers, each
// touching code and data pages that the command had not touched until then,
// at 10 to 20 us a page fault on the virtual machines measured
// (docs/benchmarks.md, issue 21). None of that work has an effect outside
// the process: the memory goes back with it. What must leave the process,
// the output, is flushed here first. Only commands that create nothing that
// outlives them call this (no child, file, socket, namespace or mount: what
// they make is undone by their own scopes before they return).
//
// A sanitized build runs LeakSanitizer's check here, since the exit-time
// check it would have run is skipped too; a leak then ends the process as
// it would have at exit.
#pragma once

namespace faultline {

/// Flushes the C and C++ standard streams and ends the process with `code`,
/// running no static destructor and no atexit handler (see the top).
[[noreturn]] void exit_without_teardown(int code);

}  // namespace faultline

// [[workload]]: a built-in writer that proves which acknowledged writes a
// fault lost. Through the whole iteration it issues sequenced writes at a
// fixed rate (a command per write, or a request on one TCP connection) and
// records which were acknowledged; after recovery one read lists the
// sequence numbers present. An acknowledged write missing from the read is
// lost: the data loss, counted and as a time span (the recovery point).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "measure/data_loss.hpp"
#include "os/clock.hpp"
#include "record/record.hpp"
#include "scenario/scenario.hpp"

namespace faultline {

namespace asio = boost::asio;

/// The sequence numbers in a read's stdout: every maximal run of ASCII
/// digits is one ("k12 k13" and "12\n13" both give {12, 13}).
std::set<std::uint64_t> parse_seqs(std::string_view out);

/// "SET k{seq} {seq}\r\n" with {seq} and {iteration} substituted.
std::string write_text(std::string_view tmpl, std::uint64_t seq, int iteration);

/// Issues one workload's writes at its fixed rate until stopped. A tick that
/// comes while the previous write is still in flight is skipped (writes are
/// never concurrent, so a TCP connection carries one request at a time).
class WorkloadWriter {
 public:
  /// `next_seq` is shared by every iteration of the run, so that a sequence
  /// number is never reused and a read cannot mistake an old write for a new one.
  WorkloadWriter(asio::any_io_executor ex, const RunClock& clock, const WorkloadSpec& spec, int iteration,
                 std::uint64_t& next_seq);
  ~WorkloadWriter();
  WorkloadWriter(const WorkloadWriter&) = delete;
  WorkloadWriter& operator=(const WorkloadWriter&) = delete;

  /// Starts writing: tick 0 at `start` (a run offset).
  void start(Nanos start);
  /// No new write after this; completes when the write in flight has ended.
  asio::awaitable<void> stop();
  /// Every write issued so far, in order.
  const std::vector<WriteOutcome>& writes() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

/// Runs the workload's read command once and parses its output.
asio::awaitable<ReadOutcome> read_workload(asio::any_io_executor ex, const WorkloadSpec& spec, int iteration);

}  // namespace faultline

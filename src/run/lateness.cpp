// The lateness histogram (lateness.hpp). Values below 64 ns have a bucket
// each; above, value v with highest set bit e falls into sub-bucket
// (v >> (e - 5)) & 31 of the power e, so every bucket spans 1/32 of its
// power of two.
#include "run/lateness.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace faultline {

namespace {

int bucket_of(std::uint64_t v) {
  if (v < 64) return static_cast<int>(v);
  const int e = 63 - std::countl_zero(v);  // >= 6
  const int sub = static_cast<int>((v >> (e - 5)) & 31);
  return 64 + (e - 6) * 32 + sub;
}

/// The largest value that falls into bucket `b`.
std::uint64_t upper_edge(int b) {
  if (b < 64) return static_cast<std::uint64_t>(b);
  const int e = (b - 64) / 32 + 6;
  const std::uint64_t sub = static_cast<std::uint64_t>((b - 64) % 32);
  return ((32 + sub + 1) << (e - 5)) - 1;
}

}  // namespace

void LatenessHistogram::add(Nanos lateness) {
  const std::uint64_t v = lateness.count() > 0 ? static_cast<std::uint64_t>(lateness.count()) : 0;
  ++counts_[static_cast<std::size_t>(bucket_of(v))];
  ++count_;
  max_ = std::max(max_, Nanos(static_cast<std::int64_t>(v)));
}

Nanos LatenessHistogram::percentile(double p) const {
  if (count_ == 0) return Nanos(0);
  const auto rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(p * static_cast<double>(count_))));
  std::uint64_t seen = 0;
  for (int b = 0; b < kBuckets; ++b) {
    seen += counts_[static_cast<std::size_t>(b)];
    if (seen >= rank) return std::min(max_, Nanos(static_cast<std::int64_t>(upper_edge(b))));
  }
  return max_;
}

}  // namespace faultline

// The latency sketch's buckets (latency_sketch.hpp): bucket 0 holds
// latencies below 1 ns (that is, 0), bucket i >= 1 holds [g^(i-1), g^i)
// nanoseconds for g = 1.02, found with one logarithm per value.
#include "record/latency_sketch.hpp"

#include <algorithm>
#include <cmath>

namespace faultline {

namespace {

constexpr double kGrowth = 1.02;

std::uint32_t bucket_of(Nanos v) {
  if (v.count() < 1) return 0;
  const double i = std::floor(std::log(static_cast<double>(v.count())) / std::log(kGrowth));
  return static_cast<std::uint32_t>(i) + 1;
}

/// The representative of bucket b: 2 g^b / (1 + g), its error-minimising point.
Nanos representative(std::uint32_t b) {
  if (b == 0) return Nanos{0};
  return Nanos(std::llround(2.0 * std::pow(kGrowth, static_cast<double>(b)) / (1.0 + kGrowth)));
}

}  // namespace

void LatencySketch::add(Nanos latency) {
  const std::uint32_t b = bucket_of(latency);
  ++count_;
  // Latencies of one probe cluster: the bucket is most often the last one touched.
  auto it = std::lower_bound(buckets_.begin(), buckets_.end(), b,
                             [](const std::pair<std::uint32_t, std::uint64_t>& x, std::uint32_t k) { return x.first < k; });
  if (it != buckets_.end() && it->first == b)
    ++it->second;
  else
    buckets_.insert(it, {b, 1});
}

std::vector<std::pair<Nanos, std::uint64_t>> LatencySketch::buckets() const {
  std::vector<std::pair<Nanos, std::uint64_t>> out;
  out.reserve(buckets_.size());
  for (const auto& [b, n] : buckets_) out.emplace_back(representative(b), n);
  return out;
}

void LatencyTally::add(Nanos exact) {
  if (!values_.empty() && exact < values_.back().first) sorted_ = false;
  values_.emplace_back(exact, 1);
  ++count_;
}

void LatencyTally::add(const LatencySketch& s, Nanos lo, Nanos hi) {
  for (const auto& [v, n] : s.buckets()) {
    const Nanos x = std::clamp(v, lo, std::max(lo, hi));
    if (!values_.empty() && x < values_.back().first) sorted_ = false;
    values_.emplace_back(x, n);
    count_ += n;
  }
}

Nanos LatencyTally::percentile(std::size_t pct) {
  if (count_ == 0) return Nanos{0};
  if (!sorted_) {
    std::sort(values_.begin(), values_.end());
    sorted_ = true;
  }
  const std::uint64_t rank = std::max<std::uint64_t>(1, (pct * count_ + 99) / 100);
  std::uint64_t seen = 0;
  for (const auto& [v, n] : values_) {
    seen += n;
    if (seen >= rank) return v;
  }
  return values_.back().first;
}

}  // namespace faultline

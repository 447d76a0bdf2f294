// The HTTP stages of a connection: see http_exchange.hpp.
#include "fault_injectors/proxy/http_exchange.hpp"

#include <algorithm>
#include <random>
#include <string_view>

#include "fault_injectors/proxy/http_rule.hpp"
#include "scenario/schedule.hpp"

namespace faultline::proxy {

namespace {

/// Collects forwarded bytes into as few items as their dues allow.
class Forwarder {
 public:
  explicit Forwarder(StageOutput& out) : out_(out) {}
  ~Forwarder() { flush(); }

  void add(std::string_view bytes, TimePoint due) {
    if (bytes.empty()) return;
    if (!item_.bytes.empty() && due != due_) flush();
    due_ = due;
    item_.bytes.insert(item_.bytes.end(), bytes.begin(), bytes.end());
  }
  void flush() {
    if (item_.bytes.empty()) return;
    emit(std::move(item_), due_, out_);
    item_ = Item{};
  }

 private:
  StageOutput& out_;
  Item item_;
  TimePoint due_{};
};

}  // namespace

/// Frames the client's requests and carries out what was decided for each.
class HttpRequestStage final : public Stage {
 public:
  explicit HttpRequestStage(std::shared_ptr<HttpExchange> ex) : ex_(std::move(ex)), framer_(true) {}

  void push(Item item, TimePoint arrival, StageOutput& out) override {
    if (item.kind != Item::Kind::data || framer_.raw()) {
      {
        Forwarder f(out);
        f.add(held_, arrival);  // a head cut short by the client's close still reaches the server as it was
      }
      held_.clear();
      emit(std::move(item), arrival, out);
      return;
    }
    Forwarder f(out);
    std::string_view data(item.bytes.data(), item.bytes.size());
    while (!data.empty()) {
      auto [n, event] = framer_.consume(data);
      const std::string_view part = data.substr(0, n);
      data.remove_prefix(n);
      if (in_head_)
        held_.append(part);
      else if (drop_)
        out.discarded += n;
      else
        f.add(part, std::max(arrival, due_));
      if (event == HttpFramer::Event::head) {
        const HttpExchange::Decision d = ex_->decide(framer_.head(), arrival);
        in_head_ = false;
        drop_ = d.drop;
        due_ = arrival + d.delay;
        if (drop_)
          out.discarded += held_.size();
        else
          f.add(held_, due_);
        held_.clear();
        if (framer_.between_messages()) next_message();
      } else if (event == HttpFramer::Event::end) {
        next_message();
      } else if (event == HttpFramer::Event::malformed) {
        ex_->malformed();
        f.add(held_, std::max(arrival, due_));
        held_.clear();
        f.add(data, std::max(arrival, due_));
        break;
      }
    }
  }

  void release(TimePoint now) override { due_ = std::min(due_, now); }

 private:
  void next_message() {
    in_head_ = true;
    drop_ = false;
  }

  std::shared_ptr<HttpExchange> ex_;
  HttpFramer framer_;
  std::string held_;     ///< the head being read
  bool in_head_ = true;  ///< the bytes being read belong to a head
  bool drop_ = false;    ///< the current request was answered for the server: its bytes go nowhere
  TimePoint due_{};      ///< when the current request may leave
};

/// Frames the server's responses, pairs each with its request, and sends
/// the answers of aborted requests in their turn.
class HttpResponseStage final : public Stage {
 public:
  explicit HttpResponseStage(std::shared_ptr<HttpExchange> ex) : ex_(std::move(ex)), framer_(false) {}

  void push(Item item, TimePoint arrival, StageOutput& out) override {
    if (item.kind != Item::Kind::data || framer_.raw()) {
      {
        Forwarder f(out);
        f.add(held_, arrival);
      }
      held_.clear();
      if (item.kind != Item::Kind::data || !item.bytes.empty()) emit(std::move(item), arrival, out);
      return;
    }
    Forwarder f(out);
    if (at_boundary()) answers(arrival, f, out);  // an empty item is the exchange's poke: just this
    std::string_view data(item.bytes.data(), item.bytes.size());
    while (!data.empty()) {
      auto [n, event] = framer_.consume(data);
      const std::string_view part = data.substr(0, n);
      data.remove_prefix(n);
      if (in_head_)
        held_.append(part);
      else
        f.add(part, std::max(arrival, due_));
      if (event == HttpFramer::Event::head) {
        head(arrival, f, out);
        if (framer_.between_messages()) message_done(arrival, f, out);
      } else if (event == HttpFramer::Event::end) {
        message_done(arrival, f, out);
      } else if (event == HttpFramer::Event::malformed) {
        ex_->malformed();
        f.add(held_, std::max(arrival, due_));
        held_.clear();
        f.add(data, std::max(arrival, due_));
        break;
      }
    }
  }

  void release(TimePoint now) override { due_ = std::min(due_, now); }

 private:
  bool at_boundary() const { return in_head_ && held_.empty(); }

  /// A response head is complete in held_: apply what its request's rules decided.
  void head(TimePoint arrival, Forwarder& f, StageOutput& out) {
    in_head_ = false;
    auto& pending = ex_->pending_;
    HttpExchange::Pending* p = pending.empty() ? nullptr : &pending.front();
    if (p && p->head_request) framer_.no_body();
    const int status = framer_.head().status;
    final_ = status >= 200 || status == 101;
    due_ = arrival;
    if (p && final_) {
      due_ = arrival + p->response_delay;
      if (!p->replaces.empty()) {
        std::string rewritten = held_;
        for (const auto& rule : p->replaces) rewritten = rewrite_response_head(rewritten, *rule);
        out.added += static_cast<std::int64_t>(rewritten.size()) - static_cast<std::int64_t>(held_.size());
        held_ = std::move(rewritten);
        ++ex_->counters_.replaced;
      }
    }
    f.add(held_, due_);
    held_.clear();
  }

  void message_done(TimePoint arrival, Forwarder& f, StageOutput& out) {
    in_head_ = true;
    if (final_ && !ex_->pending_.empty()) ex_->pending_.pop_front();
    answers(arrival, f, out);
  }

  /// Sends the answers at the front of the queue: their requests come next.
  void answers(TimePoint arrival, Forwarder& f, StageOutput& out) {
    auto& pending = ex_->pending_;
    while (!pending.empty() && pending.front().answer) {
      const std::string& a = *pending.front().answer;
      out.added += static_cast<std::int64_t>(a.size());
      f.add(a, std::max(arrival, pending.front().answer_due));
      pending.pop_front();
    }
  }

  std::shared_ptr<HttpExchange> ex_;
  HttpFramer framer_;
  std::string held_;
  bool in_head_ = true;
  bool final_ = true;  ///< the current response is not an interim 1xx
  TimePoint due_{};
};

HttpExchange::HttpExchange(HttpCounters& counters, std::function<void()> poke)
    : counters_(counters), poke_(std::move(poke)) {}

std::unique_ptr<Stage> HttpExchange::request_stage() { return std::make_unique<HttpRequestStage>(shared_from_this()); }

std::unique_ptr<Stage> HttpExchange::response_stage() {
  return std::make_unique<HttpResponseStage>(shared_from_this());
}

void HttpExchange::add_rule(std::uint64_t fault, std::shared_ptr<const HttpRule> rule, std::uint64_t seed) {
  rules_[fault] = Active{std::move(rule), seed};
}

void HttpExchange::remove_rule(std::uint64_t fault) { rules_.erase(fault); }

bool HttpExchange::delaying() const {
  for (const auto& [id, a] : rules_)
    if (a.rule->action == HttpRule::Action::delay_request || a.rule->action == HttpRule::Action::delay_response)
      return true;
  return false;
}

void HttpExchange::release(TimePoint now) {
  for (auto& p : pending_) {
    p.response_delay = Nanos{0};
    p.answer_due = std::min(p.answer_due, now);
  }
}

void HttpExchange::malformed() {
  if (malformed_) return;
  malformed_ = true;
  ++counters_.malformed;
}

HttpExchange::Decision HttpExchange::decide(const HttpHead& request, TimePoint arrival) {
  Decision d;
  Pending p;
  p.head_request = request.method == "HEAD";
  ++requests_;
  ++counters_.requests;
  bool matched = false;
  bool delayed = false;
  for (const auto& [id, a] : rules_) {
    const HttpRule& rule = *a.rule;
    if (!rule.match.matches(request)) continue;
    matched = true;
    if (rule.probability < 1.0) {
      std::mt19937_64 rng(mix_seed(a.seed, requests_));
      if (std::uniform_real_distribution<double>(0.0, 1.0)(rng) >= rule.probability) continue;
    }
    switch (rule.action) {
      case HttpRule::Action::abort:
        if (!p.answer) p.answer = http_answer(rule.status, rule.body, p.head_request);
        break;
      case HttpRule::Action::delay_request:
        d.delay += rule.delay;
        delayed = true;
        break;
      case HttpRule::Action::delay_response:
        p.response_delay += rule.delay;
        delayed = true;
        break;
      case HttpRule::Action::replace:
        p.replaces.push_back(a.rule);
        break;
    }
  }
  counters_.matched += matched;
  counters_.delayed += delayed;
  const bool answered = p.answer.has_value();
  if (answered) {
    ++counters_.aborted;
    d.drop = true;
    p.answer_due = arrival + d.delay + p.response_delay;
    p.replaces.clear();
  }
  pending_.push_back(std::move(p));
  if (answered && poke_) poke_();
  return d;
}

}  // namespace faultline::proxy

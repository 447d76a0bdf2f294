// HttpExchange's stages driven directly (no sockets): what leaves each stage
// and when, the answers queued in request order, the byte accounting the
// pipe relies on, and the rules applied in the order they were added.
#include <doctest/doctest.h>

#include <deque>
#include <string>

#include "fault_injectors/proxy/http_exchange.hpp"
#include "fault_injectors/proxy/http_rule.hpp"

using namespace faultline;
using namespace faultline::proxy;
using namespace std::chrono_literals;

namespace {

Item data(const std::string& s) {
  Item i;
  i.bytes.assign(s.begin(), s.end());
  return i;
}

std::string joined(const std::deque<Item>& items) {
  std::string out;
  for (const auto& i : items) out.append(i.bytes.begin(), i.bytes.end());
  return out;
}

struct Fixture {
  HttpCounters counters;
  int pokes = 0;
  std::shared_ptr<HttpExchange> ex = std::make_shared<HttpExchange>(counters, [this] { ++pokes; });
  std::unique_ptr<Stage> up = ex->request_stage();
  std::unique_ptr<Stage> down = ex->response_stage();
};

HttpRule rule(HttpRule::Action a, std::string prefix) {
  HttpRule r;
  r.action = a;
  r.match.path_prefix = std::move(prefix);
  return r;
}

}  // namespace

TEST_CASE("http exchange: an aborted request is dropped and counted, its answer waits for earlier responses") {
  Fixture f;
  HttpRule r = rule(HttpRule::Action::abort, "/x");
  r.status = 503;
  f.ex->add_rule(1, std::make_shared<HttpRule>(r), 7);
  const TimePoint t0 = SteadyClock::now();
  std::deque<Item> upq;
  StageOutput up{upq};
  const std::string ok = "GET /ok HTTP/1.1\r\n\r\n", x = "GET /x HTTP/1.1\r\n\r\n";
  f.up->push(data(ok + x), t0, up);
  CHECK(joined(upq) == ok);
  CHECK(up.discarded == x.size());
  CHECK(f.pokes == 1);
  CHECK(f.counters.aborted == 1);

  std::deque<Item> downq;
  StageOutput down{downq};
  f.down->push(Item{}, t0, down);  // the poke: the 1st request has no response yet, so nothing
  CHECK(downq.empty());
  const std::string resp = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  f.down->push(data(resp), t0, down);
  const std::string answer = http_answer(503, "");
  CHECK(joined(downq) == resp + answer);
  CHECK(down.added == static_cast<std::int64_t>(answer.size()));
}

TEST_CASE("http exchange: a held request is due its delay after its head, and what follows waits behind it") {
  Fixture f;
  HttpRule r = rule(HttpRule::Action::delay_request, "/slow");
  r.delay = 50ms;
  f.ex->add_rule(1, std::make_shared<HttpRule>(r), 7);
  const TimePoint t0 = SteadyClock::now();
  std::deque<Item> q;
  StageOutput out{q};
  f.up->push(data("POST /slow HTTP/1.1\r\nContent-Length: 2\r\n\r\n"), t0, out);
  f.up->push(data("hiGET /fast HTTP/1.1\r\n\r\n"), t0 + 10ms, out);
  REQUIRE(q.size() == 3);
  for (const auto& item : q) CHECK(item.due == t0 + 50ms);  // the head, the body, and the next request behind them
  f.ex->remove_rule(1);
  CHECK_FALSE(f.ex->has_rule(1));
  f.up->push(data("GET /slow HTTP/1.1\r\n\r\n"), t0 + 100ms, out);
  CHECK(q.back().due == t0 + 100ms);
  CHECK(f.counters.delayed == 1);
  CHECK(f.counters.requests == 3);
}

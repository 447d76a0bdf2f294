#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include "scenario/topology.hpp"

using namespace faultline;

namespace {

using Pairs = std::set<std::pair<std::string, std::string>>;

PartitionParams groups(std::vector<std::vector<std::string>> g, bool one_way = false) {
  PartitionParams p;
  p.groups = std::move(g);
  p.one_way = one_way;
  return p;
}

/// Services a..e; links from each client to a server, named "client-server".
Scenario five() {
  Scenario s;
  for (const char* n : {"a", "b", "c", "d", "e"}) {
    ServiceSpec svc;
    svc.name = n;
    svc.ports = {n};
    s.services.push_back(svc);
  }
  return s;
}

LinkEnds through(const std::string& client, const std::string& server) { return {client + "-" + server, server, {client}}; }

}  // namespace

TEST_CASE("topology: the server of a link is its 'service', else the owner of the port in 'to'") {
  Scenario s = five();
  LinkSpec l{"x", "127.0.0.1:{port.c}", "", {"a"}, {}};
  CHECK(link_server(s, l) == "c");
  l.service = "d";
  CHECK(link_server(s, l) == "d");
  CHECK(link_server(s, LinkSpec{"y", "127.0.0.1:6379", "", {}, {}}).empty());
  CHECK(link_server(s, LinkSpec{"z", "127.0.0.1:{port.nope}", "", {}, {}}).empty());
  s.links = {l};
  const auto ends = link_ends(s);
  REQUIRE(ends.size() == 1);
  CHECK(ends[0].link == "x");
  CHECK(ends[0].server == "d");
  CHECK(ends[0].clients == std::vector<std::string>{"a"});
  CHECK(service_names(s) == std::vector<std::string>{"a", "b", "c", "d", "e"});
}

TEST_CASE("topology: groups cut every pair across groups, and only those; unlisted services are never cut") {
  const std::vector<std::string> svcs = {"a", "b", "c", "d"};
  const Pairs cut = partition_cut_pairs(groups({{"a"}, {"b", "c"}}), svcs);
  CHECK(cut == Pairs{{"a", "b"}, {"a", "c"}, {"b", "a"}, {"c", "a"}});
  const Pairs one = partition_cut_pairs(groups({{"a"}, {"b", "c"}}, true), svcs);
  CHECK(one == Pairs{{"a", "b"}, {"a", "c"}});
}

TEST_CASE("topology: isolate and halves are groups in declaration order") {
  const std::vector<std::string> svcs = {"a", "b", "c", "d", "e"};
  PartitionParams iso;
  iso.isolate = "c";
  CHECK(partition_cut_pairs(iso, svcs) == partition_cut_pairs(groups({{"c"}, {"a", "b", "d", "e"}}), svcs));
  PartitionParams halves;
  halves.shape = PartitionShape::halves;
  CHECK(partition_cut_pairs(halves, svcs) == partition_cut_pairs(groups({{"a", "b"}, {"c", "d", "e"}}), svcs));
}

TEST_CASE("topology: the majorities ring gives every service a majority, never the same one") {
  PartitionParams ring;
  ring.shape = PartitionShape::ring;
  for (std::size_t n : {3u, 4u, 5u, 6u, 7u}) {
    std::vector<std::string> svcs;
    for (std::size_t i = 0; i < n; ++i) svcs.push_back(std::string(1, static_cast<char>('a' + i)));
    const Pairs cut = partition_cut_pairs(ring, svcs);
    std::set<std::set<std::string>> seen;
    for (const auto& receiver : svcs) {
      std::set<std::string> hears;
      for (const auto& sender : svcs)
        if (!cut.count({sender, receiver})) hears.insert(sender);
      INFO("n = " << n << ", " << receiver << " hears " << hears.size());
      CHECK(hears.count(receiver));
      CHECK(hears.size() == n / 2 + 1);
      seen.insert(hears);
    }
    CHECK(seen.size() == n);
  }
  // Five services: each hears its two neighbours, as in Jepsen.
  const Pairs cut5 = partition_cut_pairs(ring, {"a", "b", "c", "d", "e"});
  CHECK_FALSE(cut5.count({"b", "a"}));
  CHECK_FALSE(cut5.count({"e", "a"}));
  CHECK(cut5.count({"c", "a"}));
  CHECK(cut5.count({"d", "a"}));
  CHECK(partition_cut_pairs(ring, {"a", "b"}).empty());
}

TEST_CASE("topology: a link is cut upstream and downstream by the pairs of its clients and server") {
  const std::vector<std::string> svcs = {"a", "b", "c"};
  const std::vector<LinkEnds> links = {through("a", "b"), through("b", "a"), through("b", "c"),
                                       LinkEnds{"nobody-c", "c", {}}, LinkEnds{"a-unknown", "", {"a"}}};
  const auto both = partition_cuts(groups({{"a"}, {"b", "c"}}), svcs, links);
  REQUIRE(both.size() == 2);
  CHECK(both[0].link == "a-b");
  CHECK(both[0].upstream);
  CHECK(both[0].downstream);
  CHECK(both[1].link == "b-a");

  // One way, from a: a's requests to b are cut, b's answers are not; b's requests to a are not cut but a's answers are.
  const auto one = partition_cuts(groups({{"a"}, {"b", "c"}}, true), svcs, links);
  REQUIRE(one.size() == 2);
  CHECK(one[0].link == "a-b");
  CHECK(one[0].upstream);
  CHECK_FALSE(one[0].downstream);
  CHECK(one[1].link == "b-a");
  CHECK_FALSE(one[1].upstream);
  CHECK(one[1].downstream);

  CHECK(partition_cuts(groups({{"c"}, {"a"}}), svcs, links).empty());  // no link between a and c
}

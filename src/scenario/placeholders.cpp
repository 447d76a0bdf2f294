#include "scenario/placeholders.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <random>
#include <stdexcept>
#include <utility>
#include <system_error>

#include "scenario/fault_kind.hpp"
#include "scenario/topology.hpp"

namespace faultline {

namespace {

bool name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }

bool name_char(char c) { return name_start(c) || (c >= '0' && c <= '9') || c == '.' || c == '-'; }

/// Length of the placeholder starting at text[i] == '{' ("{name}"), or 0 when
/// the brace does not open one (then it is an ordinary character, so that
/// shell code such as "awk '{print $1}'" and "${HOME}" passes through
/// unchanged: a brace right after '$' is the shell's, never ours).
std::size_t placeholder_length(std::string_view text, std::size_t i) {
  if (i > 0 && text[i - 1] == '$') return 0;
  std::size_t j = i + 1;
  if (j >= text.size() || !name_start(text[j])) return 0;
  while (j < text.size() && name_char(text[j])) ++j;
  if (j >= text.size() || text[j] != '}') return 0;
  return j + 1 - i;
}

/// Walks `text` once: `literal(piece)` for plain text (with "{{" and "}}"
/// already turned into single braces), `placeholder(name, offset)` for each
/// placeholder.
template <class Literal, class Placeholder>
void scan(std::string_view text, Literal literal, Placeholder placeholder) {
  std::size_t start = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if ((c == '{' || c == '}') && i + 1 < text.size() && text[i + 1] == c) {
      literal(text.substr(start, i - start));
      literal(text.substr(i, 1));
      i += 2;
      start = i;
      continue;
    }
    if (c == '{') {
      if (std::size_t len = placeholder_length(text, i)) {
        literal(text.substr(start, i - start));
        placeholder(text.substr(i + 1, len - 2), i);
        i += len;
        start = i;
        continue;
      }
    }
    ++i;
  }
  literal(text.substr(start));
}

/// Substitutes in place.
void sub(std::string& s, const Bindings& b) { s = substitute(s, b); }
void sub(std::optional<std::string>& s, const Bindings& b) {
  if (s) sub(*s, b);
}
void sub(Command& c, const Bindings& b) {
  for (auto& word : c.argv) sub(word, b);
}
void sub(ProbeSpec& p, const Bindings& b) {
  sub(p.host, b);
  sub(p.port, b);
  sub(p.method, b);
  sub(p.path, b);
  sub(p.expect_body, b);
  sub(p.expect_body_regex, b);
  sub(p.command, b);
  sub(p.expect_stdout, b);
  sub(p.expect_stdout_regex, b);
}
void sub(StepSpec& st, const Bindings& b) {
  sub(st.command, b);
  sub(st.expect_stdout, b);
  sub(st.expect_stdout_regex, b);
}
void sub(FaultSpec& f, const Bindings& b) {
  // A kind's commands, found through its descriptor.
  if (const FaultKind* kind = fault_kind(f.kind); kind && kind->commands)
    kind->commands(f.params, [&](std::string_view, Command& c) { sub(c, b); });
  // A select command: the candidate's own placeholders are left for injection (target_select).
  if (f.select) sub(f.select->command, b);
}
void sub(RecoverySpec& st, const Bindings& b) {
  sub(st.command, b);
  sub(st.expect_stdout, b);
}
void sub(WorkloadSpec& w, const Bindings& b) {
  sub(w.write, b);
  sub(w.read, b);
  for (auto* text : {&w.host, &w.port, &w.send, &w.expect}) sub(*text, b);
}
void sub(ServiceSpec& svc, const Bindings& b) {
  sub(svc.command, b);
  for (auto& [key, value] : svc.env) sub(value, b);
  sub(svc.workdir, b);
  if (svc.ready) sub(*svc.ready, b);
}

}  // namespace

std::vector<PlaceholderUse> find_placeholders(std::string_view text) {
  std::vector<PlaceholderUse> uses;
  scan(
      text, [](std::string_view) {},
      [&](std::string_view name, std::size_t offset) { uses.push_back({std::string(name), offset}); });
  return uses;
}

std::string substitute(std::string_view text, const Bindings& b) {
  std::string out;
  out.reserve(text.size());
  scan(
      text, [&](std::string_view piece) { out += piece; },
      [&](std::string_view name, std::size_t) {
        auto it = b.find(std::string(name));
        if (it != b.end()) {
          out += it->second;
        } else {
          out += '{';
          out += name;
          out += '}';
        }
      });
  return out;
}

Scenario resolve_placeholders(const Scenario& s, const Bindings& global,
                              const std::map<std::string, Bindings>& service_bindings) {
  Scenario r = s;
  for (auto& svc : r.services) {
    Bindings b = global;
    if (auto it = service_bindings.find(svc.name); it != service_bindings.end()) {
      for (const auto& [name, value] : it->second) b[name] = value;
    }
    sub(svc, b);
  }
  for (auto& l : r.links) {
    // The server of a link is named by the {port.NAME} in its `to` unless
    // given: make it explicit before the substitution erases that name.
    l.service = link_server(s, l);
    sub(l.to, global);
  }
  for (auto& p : r.probes) sub(p, global);
  for (auto& g : r.guards) sub(g, global);
  for (auto& f : r.faults) sub(f, global);
  for (auto& st : r.setup) sub(st, global);
  for (auto& st : r.verify) sub(st, global);
  for (auto& st : r.recovery) sub(st, global);
  for (auto& w : r.workloads) sub(w, global);
  for (auto& strategy : r.strategies) {  // issue 17: each strategy's runbook and checks
    for (auto& st : strategy.recovery) sub(st, global);
    for (auto& st : strategy.verify) sub(st, global);
  }
  return r;
}

namespace {

/// The kernel's ephemeral port range (ports it hands to outgoing connections).
std::pair<int, int> ephemeral_range() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  int lo = 32768, hi = 60999;
  in >> lo >> hi;
  return {lo, hi};
}

/// Whether 127.0.0.1:port can be bound right now (no listener, no TIME_WAIT).
bool port_free(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

std::uint16_t allocate_loopback_port() {
  // Ports are taken from *below* the ephemeral range. A port inside it may be
  // handed by the kernel to any outgoing connection (our own probes open
  // thousands) between our check and the service's bind, and a probe
  // connecting to a service that is down can even connect to itself when the
  // port is ephemeral (TCP self-connect), holding the port the restarted
  // service needs. A random start spreads parallel runs apart.
  const auto [lo, hi] = ephemeral_range();
  int first = 10000, last = lo - 1;
  if (last - first < 1000) {  // an unusual range: use the ports above it instead
    first = hi + 1;
    last = 65535;
  }
  if (last - first >= 1000) {
    std::random_device rd;
    const int span = last - first + 1;
    const int start = static_cast<int>(rd() % static_cast<unsigned>(span));
    for (int i = 0; i < span; ++i) {
      const auto port = static_cast<std::uint16_t>(first + (start + i) % span);
      if (port_free(port)) return port;
    }
  }
  throw std::runtime_error("no free loopback port outside the ephemeral range");
}

const std::vector<std::string>& builtin_placeholders() {
  // {service.dir} and {service.name} are not here: they exist only inside a
  // [[service]]'s own fields.
  static const std::vector<std::string> names = {"run.dir", "run.id", "seed", "iteration"};
  return names;
}

}  // namespace faultline

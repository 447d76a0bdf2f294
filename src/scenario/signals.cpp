// The one table of signal names and numbers, and its readers.
#include "scenario/signals.hpp"

#include <cctype>
#include <charconv>
#include <csignal>
#include <fmt/format.h>

namespace faultline {

namespace {

struct SignalName {
  const char* name;
  int number;
  bool alias = false;  ///< another name of a number: never shown by signal_name
};

// The standard Linux signals, by the names users write without "SIG".
constexpr SignalName kSignals[] = {
    {"HUP", SIGHUP},     {"INT", SIGINT},       {"QUIT", SIGQUIT},     {"ILL", SIGILL},     {"TRAP", SIGTRAP},
    {"ABRT", SIGABRT},   {"IOT", SIGIOT, true}, {"BUS", SIGBUS},       {"FPE", SIGFPE},     {"KILL", SIGKILL},
    {"USR1", SIGUSR1},   {"SEGV", SIGSEGV},     {"USR2", SIGUSR2},     {"PIPE", SIGPIPE},   {"ALRM", SIGALRM},
    {"TERM", SIGTERM},   {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD},     {"CONT", SIGCONT},   {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP},   {"TTIN", SIGTTIN},     {"TTOU", SIGTTOU},     {"URG", SIGURG},     {"XCPU", SIGXCPU},
    {"XFSZ", SIGXFSZ},   {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},     {"WINCH", SIGWINCH}, {"IO", SIGIO, true},
    {"POLL", SIGPOLL},   {"PWR", SIGPWR},       {"SYS", SIGSYS},
};

}  // namespace

std::string signal_name(int sig) {
  for (const auto& s : kSignals)
    if (s.number == sig && !s.alias) return fmt::format("SIG{}", s.name);
  return fmt::format("signal {}", sig);
}

int signal_number(std::string_view text) {
  std::string upper;
  for (char c : text) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string_view name = upper;
  int number = 0;
  auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), number);
  if (ec == std::errc() && end == name.data() + name.size()) return number >= 1 && number <= 64 ? number : 0;
  if (name.substr(0, 3) == "SIG") name.remove_prefix(3);
  for (const auto& s : kSignals)
    if (name == s.name) return s.number;
  return 0;
}

std::optional<int> parse_signal(std::string_view text) {
  const int number = signal_number(text);
  return number != 0 ? std::optional<int>(number) : std::nullopt;
}

std::vector<std::string> signal_names() {
  std::vector<std::string> names;
  for (const auto& s : kSignals) names.push_back(fmt::format("SIG{}", s.name));
  return names;
}

}  // namespace faultline

// Reading ELF headers with <elf.h>: the file header, then the program
// headers (for PT_INTERP) and the section headers with their name table
// (for `.go.buildinfo`). Both classes (32 and 64 bit) in the host's byte
// order; anything that does not add up (offsets past the end, absurd
// counts) reads as "not an ELF file" rather than as a guess.
#include "os/elf_facts.hpp"

#include <elf.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

namespace faultline {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMaxHeaders = 65535;

template <class Ehdr, class Phdr, class Shdr>
std::optional<ElfFacts> parse(const std::string& img) {
  if (img.size() < sizeof(Ehdr)) return std::nullopt;
  Ehdr eh;
  std::memcpy(&eh, img.data(), sizeof eh);
  ElfFacts out;
  out.elf = true;
  auto in_file = [&](std::uint64_t off, std::uint64_t size) { return off <= img.size() && size <= img.size() - off; };
  if (eh.e_phnum > 0 && eh.e_phentsize == sizeof(Phdr) && eh.e_phnum < kMaxHeaders &&
      in_file(eh.e_phoff, std::uint64_t{eh.e_phnum} * sizeof(Phdr))) {
    for (std::size_t i = 0; i < eh.e_phnum; ++i) {
      Phdr ph;
      std::memcpy(&ph, img.data() + eh.e_phoff + i * sizeof(Phdr), sizeof ph);
      if (ph.p_type == PT_INTERP) out.interpreter = true;
    }
  }
  if (eh.e_shnum == 0 || eh.e_shentsize != sizeof(Shdr) || eh.e_shnum >= kMaxHeaders || eh.e_shstrndx >= eh.e_shnum ||
      !in_file(eh.e_shoff, std::uint64_t{eh.e_shnum} * sizeof(Shdr)))
    return out;  // no section table (stripped of it): nothing more to learn
  std::vector<Shdr> sh(eh.e_shnum);
  std::memcpy(sh.data(), img.data() + eh.e_shoff, sh.size() * sizeof(Shdr));
  const Shdr& names = sh[eh.e_shstrndx];
  if (!in_file(names.sh_offset, names.sh_size)) return out;
  const std::string_view table(img.data() + names.sh_offset, names.sh_size);
  for (const Shdr& s : sh) {
    if (s.sh_name >= table.size()) continue;
    const auto end = table.find('\0', s.sh_name);
    if (table.substr(s.sh_name, end == std::string_view::npos ? std::string_view::npos : end - s.sh_name) ==
        ".go.buildinfo")
      out.go = true;
  }
  return out;
}

}  // namespace

std::optional<ElfFacts> read_elf_facts(const fs::path& path, std::string* why) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (why) *why = "cannot be opened";
    return std::nullopt;
  }
  // The headers and the section name table may be anywhere: read it all
  // (executables are tens of MiB at most; this runs at validation and once
  // per first injection).
  std::ostringstream buf;
  buf << in.rdbuf();
  const std::string img = std::move(buf).str();
  if (img.size() < EI_NIDENT || std::memcmp(img.data(), ELFMAG, SELFMAG) != 0) {
    if (why) *why = "is not an ELF file";
    return std::nullopt;
  }
  std::optional<ElfFacts> f;
  if (img[EI_CLASS] == ELFCLASS64) f = parse<Elf64_Ehdr, Elf64_Phdr, Elf64_Shdr>(img);
  if (img[EI_CLASS] == ELFCLASS32) f = parse<Elf32_Ehdr, Elf32_Phdr, Elf32_Shdr>(img);
  if (!f && why) *why = "has ELF headers that do not add up";
  return f;
}

std::string preload_refusal(const ElfFacts& f) {
  if (!f.elf) return {};
  if (f.go)
    return "is a Go program (it has a .go.buildinfo section): Go reads the clock through the vDSO, not libc, so "
           "libfaketime cannot change its time";
  if (!f.interpreter)
    return "is statically linked (no PT_INTERP program header): the dynamic loader never runs, so LD_PRELOAD "
           "cannot load libfaketime into it";
  return {};
}

std::optional<fs::path> find_program(const std::string& program, const std::string& path_var) {
  if (program.empty()) return std::nullopt;
  if (program.find('/') != std::string::npos) return fs::path(program);
  std::string_view rest = path_var;
  while (true) {
    const auto colon = rest.find(':');
    std::string dir(rest.substr(0, colon));
    if (dir.empty()) dir = ".";
    const fs::path candidate = fs::path(dir) / program;
    std::error_code ec;
    if (fs::is_regular_file(candidate, ec) && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    if (colon == std::string_view::npos) return std::nullopt;
    rest.remove_prefix(colon + 1);
  }
}

}  // namespace faultline

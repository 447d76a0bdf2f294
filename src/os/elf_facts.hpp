// What an executable's ELF headers say about how it reads the clock, for
// clock.skew (fault_injectors/clock_skew.cpp): whether it asks for a dynamic
// loader at all (a PT_INTERP program header: without one, LD_PRELOAD is
// never honoured) and whether it is a Go program (a `.go.buildinfo` section:
// the Go runtime reads the clock through the vDSO, never through libc, so a
// preloaded libfaketime is silently ignored). Read with <elf.h> only, from a
// path or from /proc/PID/exe.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace faultline {

/// What the headers of one executable say.
struct ElfFacts {
  bool elf = false;          ///< a readable 64- or 32-bit ELF file
  bool interpreter = false;  ///< has PT_INTERP: dynamically linked, LD_PRELOAD applies
  bool go = false;           ///< has a `.go.buildinfo` section: a Go program
};

/// Reads the ELF headers of `path`; nullopt when it cannot be opened or is
/// not an ELF file (a script, a directory), with `why` saying which.
std::optional<ElfFacts> read_elf_facts(const std::filesystem::path& path, std::string* why = nullptr);

/// Why a preloaded libfaketime cannot change the clock `path` reads, in a
/// clause ("is a Go program (section .go.buildinfo): ..."); "" when nothing
/// in its headers says so (or it is not an ELF file: a script's interpreter
/// is what runs).
std::string preload_refusal(const ElfFacts& facts);

/// `program` looked up as execvp would: itself when it holds a '/', else the
/// first executable file named so in `path_var`'s directories; nullopt when none.
std::optional<std::filesystem::path> find_program(const std::string& program, const std::string& path_var);

}  // namespace faultline

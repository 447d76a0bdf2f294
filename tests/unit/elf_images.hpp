// Tiny ELF files made by the tests themselves (no Go compiler, no static
// toolchain needed): a file header, one program header (PT_INTERP for a
// dynamically linked program, PT_LOAD for a static one) and a section table
// whose names may include `.go.buildinfo`. Enough for read_elf_facts, which
// reads only the headers; never executed.
#pragma once

#include <elf.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace faultline::testing {

/// Writes an executable ELF64 file at `path`: dynamic (PT_INTERP) or
/// static, with a `.go.buildinfo` section or not.
inline void write_elf(const std::filesystem::path& path, bool dynamic, bool go) {
  const std::string names = std::string("\0.shstrtab\0", 11) + (go ? std::string(".go.buildinfo\0", 14) : "");
  Elf64_Ehdr eh{};
  std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_type = ET_EXEC;
  eh.e_machine = EM_X86_64;
  eh.e_version = EV_CURRENT;
  eh.e_ehsize = sizeof(Elf64_Ehdr);
  eh.e_phoff = sizeof(Elf64_Ehdr);
  eh.e_phentsize = sizeof(Elf64_Phdr);
  eh.e_phnum = 1;
  const std::size_t names_at = sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr);
  eh.e_shoff = names_at + names.size();
  eh.e_shentsize = sizeof(Elf64_Shdr);
  eh.e_shnum = go ? 3 : 2;
  eh.e_shstrndx = 1;
  Elf64_Phdr ph{};
  ph.p_type = dynamic ? PT_INTERP : PT_LOAD;
  std::vector<Elf64_Shdr> sh(eh.e_shnum);
  sh[1].sh_name = 1;  // ".shstrtab"
  sh[1].sh_type = SHT_STRTAB;
  sh[1].sh_offset = names_at;
  sh[1].sh_size = names.size();
  if (go) {
    sh[2].sh_name = 11;  // ".go.buildinfo"
    sh[2].sh_type = SHT_PROGBITS;
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(&eh), sizeof eh);
  out.write(reinterpret_cast<const char*>(&ph), sizeof ph);
  out.write(names.data(), static_cast<std::streamsize>(names.size()));
  out.write(reinterpret_cast<const char*>(sh.data()), static_cast<std::streamsize>(sh.size() * sizeof(Elf64_Shdr)));
  out.close();
  std::filesystem::permissions(path, std::filesystem::perms::owner_all);
}

}  // namespace faultline::testing

/*
 * elf_defs.h - the ELF constants, structures and macros the reader uses,
 * written from the ELF specification (System V gABI, the GNU extensions
 * to it, and the psABIs for the machine numbers), so that src/ needs no
 * system ELF header and builds on hosts that have none (Windows, macOS).
 *
 * The names are those of the specification and of glibc's elf.h, with
 * the same values, so code reads the same either way. Do not include this
 * header in a file that also includes the system's elf.h or link.h (as
 * os/os_posix.c does): the names clash.
 *
 * Only fixed-width types are used; every structure's size is asserted,
 * since files are read into them as they lie on disk.
 */
#ifndef DYNLIB_ELF_DEFS_H
#define DYNLIB_ELF_DEFS_H

#include <stdint.h>

/* ---- Basic types (gABI "Data Representation") ---- */

typedef uint16_t Elf32_Half;
typedef uint32_t Elf32_Word;
typedef int32_t  Elf32_Sword;
typedef uint32_t Elf32_Addr;
typedef uint32_t Elf32_Off;
typedef uint16_t Elf32_Section;
typedef uint16_t Elf32_Versym;

typedef uint16_t Elf64_Half;
typedef uint32_t Elf64_Word;
typedef int32_t  Elf64_Sword;
typedef uint64_t Elf64_Xword;
typedef int64_t  Elf64_Sxword;
typedef uint64_t Elf64_Addr;
typedef uint64_t Elf64_Off;
typedef uint16_t Elf64_Section;
typedef uint16_t Elf64_Versym;

/* ---- ELF header ---- */

#define EI_NIDENT (16)

typedef struct {
  unsigned char e_ident[EI_NIDENT];
  Elf32_Half e_type;
  Elf32_Half e_machine;
  Elf32_Word e_version;
  Elf32_Addr e_entry;
  Elf32_Off  e_phoff;
  Elf32_Off  e_shoff;
  Elf32_Word e_flags;
  Elf32_Half e_ehsize;
  Elf32_Half e_phentsize;
  Elf32_Half e_phnum;
  Elf32_Half e_shentsize;
  Elf32_Half e_shnum;
  Elf32_Half e_shstrndx;
} Elf32_Ehdr;

typedef struct {
  unsigned char e_ident[EI_NIDENT];
  Elf64_Half e_type;
  Elf64_Half e_machine;
  Elf64_Word e_version;
  Elf64_Addr e_entry;
  Elf64_Off  e_phoff;
  Elf64_Off  e_shoff;
  Elf64_Word e_flags;
  Elf64_Half e_ehsize;
  Elf64_Half e_phentsize;
  Elf64_Half e_phnum;
  Elf64_Half e_shentsize;
  Elf64_Half e_shnum;
  Elf64_Half e_shstrndx;
} Elf64_Ehdr;

/* e_ident indices */
#define EI_CLASS   4
#define EI_DATA    5
#define EI_VERSION 6
#define EI_OSABI   7

/* Magic number, e_ident[0..3] */
#define ELFMAG  "\177ELF"
#define SELFMAG 4

/* e_ident[EI_CLASS] */
#define ELFCLASS32 1
#define ELFCLASS64 2

/* e_ident[EI_DATA] */
#define ELFDATA2LSB 1
#define ELFDATA2MSB 2

/* e_version, e_ident[EI_VERSION] */
#define EV_CURRENT 1

/* e_type */
#define ET_REL  1
#define ET_EXEC 2
#define ET_DYN  3
#define ET_CORE 4

/* e_machine (gABI registry; the psABIs name their own) */
#define EM_NONE     0
#define EM_SPARC    2
#define EM_386      3
#define EM_MIPS     8
#define EM_PPC      20
#define EM_PPC64    21
#define EM_S390     22
#define EM_ARM      40
#define EM_SPARCV9  43
#define EM_IA_64    50
#define EM_X86_64   62
#define EM_AARCH64  183
#define EM_RISCV    243

/* e_phnum: the real count is in section 0's sh_info */
#define PN_XNUM 0xffff

/* ---- Program header ---- */

typedef struct {
  Elf32_Word p_type;
  Elf32_Off  p_offset;
  Elf32_Addr p_vaddr;
  Elf32_Addr p_paddr;
  Elf32_Word p_filesz;
  Elf32_Word p_memsz;
  Elf32_Word p_flags;
  Elf32_Word p_align;
} Elf32_Phdr;

typedef struct {
  Elf64_Word  p_type;
  Elf64_Word  p_flags;
  Elf64_Off   p_offset;
  Elf64_Addr  p_vaddr;
  Elf64_Addr  p_paddr;
  Elf64_Xword p_filesz;
  Elf64_Xword p_memsz;
  Elf64_Xword p_align;
} Elf64_Phdr;

/* p_type */
#define PT_LOAD    1
#define PT_DYNAMIC 2
#define PT_INTERP  3
#define PT_NOTE    4

/* ---- Section header ---- */

typedef struct {
  Elf32_Word sh_name;
  Elf32_Word sh_type;
  Elf32_Word sh_flags;
  Elf32_Addr sh_addr;
  Elf32_Off  sh_offset;
  Elf32_Word sh_size;
  Elf32_Word sh_link;
  Elf32_Word sh_info;
  Elf32_Word sh_addralign;
  Elf32_Word sh_entsize;
} Elf32_Shdr;

typedef struct {
  Elf64_Word  sh_name;
  Elf64_Word  sh_type;
  Elf64_Xword sh_flags;
  Elf64_Addr  sh_addr;
  Elf64_Off   sh_offset;
  Elf64_Xword sh_size;
  Elf64_Word  sh_link;
  Elf64_Word  sh_info;
  Elf64_Xword sh_addralign;
  Elf64_Xword sh_entsize;
} Elf64_Shdr;

/* Special section indices */
#define SHN_UNDEF  0
#define SHN_ABS    0xfff1
#define SHN_XINDEX 0xffff

/* sh_type */
#define SHT_NULL        0
#define SHT_PROGBITS    1
#define SHT_SYMTAB      2
#define SHT_STRTAB      3
#define SHT_RELA        4
#define SHT_HASH        5
#define SHT_DYNAMIC     6
#define SHT_NOTE        7

/* Section flags (sh_flags). */
#define SHF_WRITE       0x1
#define SHF_ALLOC       0x2
#define SHF_EXECINSTR   0x4
#define SHT_NOBITS      8
#define SHT_REL         9
#define SHT_DYNSYM      11
#define SHT_INIT_ARRAY  14
#define SHT_FINI_ARRAY  15
#define SHT_GNU_HASH    0x6ffffff6
#define SHT_GNU_verdef  0x6ffffffd
#define SHT_GNU_verneed 0x6ffffffe
#define SHT_GNU_versym  0x6fffffff

/* ---- Dynamic section ---- */

typedef struct {
  Elf32_Sword d_tag;
  union {
    Elf32_Word d_val;
    Elf32_Addr d_ptr;
  } d_un;
} Elf32_Dyn;

typedef struct {
  Elf64_Sxword d_tag;
  union {
    Elf64_Xword d_val;
    Elf64_Addr  d_ptr;
  } d_un;
} Elf64_Dyn;

/* d_tag */
#define DT_NULL      0
#define DT_NEEDED    1
#define DT_HASH      4
#define DT_STRTAB    5
#define DT_SYMTAB    6
#define DT_STRSZ     10
#define DT_SYMENT    11
#define DT_SONAME    14
#define DT_RPATH     15
#define DT_RUNPATH   29
#define DT_FLAGS     30
#define DT_GNU_HASH  0x6ffffef5
#define DT_VERSYM    0x6ffffff0
#define DT_FLAGS_1   0x6ffffffb
#define DT_VERDEF    0x6ffffffc
#define DT_VERDEFNUM 0x6ffffffd

/* DT_FLAGS_1 bits */
#define DF_1_PIE 0x08000000

/* ---- Symbol table ---- */

typedef struct {
  Elf32_Word    st_name;
  Elf32_Addr    st_value;
  Elf32_Word    st_size;
  unsigned char st_info;
  unsigned char st_other;
  Elf32_Section st_shndx;
} Elf32_Sym;

typedef struct {
  Elf64_Word    st_name;
  unsigned char st_info;
  unsigned char st_other;
  Elf64_Section st_shndx;
  Elf64_Addr    st_value;
  Elf64_Xword   st_size;
} Elf64_Sym;

/* st_info: binding in the high 4 bits, type in the low 4 */
#define ELF32_ST_BIND(val)        (((unsigned char)(val)) >> 4)
#define ELF32_ST_TYPE(val)        ((val) & 0xf)
#define ELF32_ST_INFO(bind, type) (((bind) << 4) + ((type) & 0xf))
#define ELF64_ST_BIND(val)        ELF32_ST_BIND(val)
#define ELF64_ST_TYPE(val)        ELF32_ST_TYPE(val)
#define ELF64_ST_INFO(bind, type) ELF32_ST_INFO((bind), (type))

/* st_other: visibility in the low 2 bits */
#define ELF32_ST_VISIBILITY(o) ((o) & 0x03)
#define ELF64_ST_VISIBILITY(o) ELF32_ST_VISIBILITY(o)

/* Symbol binding */
#define STB_GLOBAL     1
#define STB_WEAK       2
#define STB_GNU_UNIQUE 10

/* Symbol type */
#define STT_OBJECT    1
#define STT_FUNC      2
#define STT_SECTION   3
#define STT_FILE      4
#define STT_TLS       6
#define STT_GNU_IFUNC 10

/* ---- Notes ---- */

typedef struct {
  Elf32_Word n_namesz;
  Elf32_Word n_descsz;
  Elf32_Word n_type;
} Elf32_Nhdr;

typedef struct {
  Elf64_Word n_namesz;
  Elf64_Word n_descsz;
  Elf64_Word n_type;
} Elf64_Nhdr;

/* Note types for owner "GNU" */
#define NT_GNU_BUILD_ID 3

/* ---- Symbol versioning (GNU extension: SHT_GNU_verdef, DT_VERDEF) ---- */

typedef struct {
  Elf32_Half vd_version;
  Elf32_Half vd_flags;
  Elf32_Half vd_ndx;
  Elf32_Half vd_cnt;
  Elf32_Word vd_hash;
  Elf32_Word vd_aux;
  Elf32_Word vd_next;
} Elf32_Verdef;

typedef struct {
  Elf64_Half vd_version;
  Elf64_Half vd_flags;
  Elf64_Half vd_ndx;
  Elf64_Half vd_cnt;
  Elf64_Word vd_hash;
  Elf64_Word vd_aux;
  Elf64_Word vd_next;
} Elf64_Verdef;

typedef struct {
  Elf32_Word vda_name;
  Elf32_Word vda_next;
} Elf32_Verdaux;

typedef struct {
  Elf64_Word vda_name;
  Elf64_Word vda_next;
} Elf64_Verdaux;

/* vd_version */
#define VER_DEF_NONE    0
#define VER_DEF_CURRENT 1

/* vd_flags */
#define VER_FLG_BASE 0x1
#define VER_FLG_WEAK 0x2

/* ---- Layouts are those of the file ---- */

_Static_assert(sizeof(Elf32_Ehdr) == 52, "Elf32_Ehdr is 52 bytes");
_Static_assert(sizeof(Elf64_Ehdr) == 64, "Elf64_Ehdr is 64 bytes");
_Static_assert(sizeof(Elf32_Phdr) == 32, "Elf32_Phdr is 32 bytes");
_Static_assert(sizeof(Elf64_Phdr) == 56, "Elf64_Phdr is 56 bytes");
_Static_assert(sizeof(Elf32_Shdr) == 40, "Elf32_Shdr is 40 bytes");
_Static_assert(sizeof(Elf64_Shdr) == 64, "Elf64_Shdr is 64 bytes");
_Static_assert(sizeof(Elf32_Dyn) == 8, "Elf32_Dyn is 8 bytes");
_Static_assert(sizeof(Elf64_Dyn) == 16, "Elf64_Dyn is 16 bytes");
_Static_assert(sizeof(Elf32_Sym) == 16, "Elf32_Sym is 16 bytes");
_Static_assert(sizeof(Elf64_Sym) == 24, "Elf64_Sym is 24 bytes");
_Static_assert(sizeof(Elf32_Nhdr) == 12, "Elf32_Nhdr is 12 bytes");
_Static_assert(sizeof(Elf64_Nhdr) == 12, "Elf64_Nhdr is 12 bytes");
_Static_assert(sizeof(Elf32_Verdef) == 20, "Elf32_Verdef is 20 bytes");
_Static_assert(sizeof(Elf64_Verdef) == 20, "Elf64_Verdef is 20 bytes");
_Static_assert(sizeof(Elf32_Verdaux) == 8, "Elf32_Verdaux is 8 bytes");
_Static_assert(sizeof(Elf64_Verdaux) == 8, "Elf64_Verdaux is 8 bytes");
_Static_assert(sizeof(Elf32_Versym) == 2, "Elf32_Versym is 2 bytes");
_Static_assert(sizeof(Elf64_Versym) == 2, "Elf64_Versym is 2 bytes");

#endif

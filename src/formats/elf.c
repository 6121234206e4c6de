/*
 * elf.c - the ELF reader's base: header, program headers, section headers,
 * section lookup by name. Everything read from the file is checked against
 * the file size with overflow-safe arithmetic before it is used, and every
 * defect has its own reason.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "formats/elf_defs.h"
#include "formats/cstring.h"
#include "formats/elf.h"
#include "formats/format.h"
#include "base/internal.h"

#define ERR(code, ...) dl_seterr(err, code, __VA_ARGS__)

uint16_t dl_elf_u16(const dl_elf *e, const void *p) {
  const unsigned char *b = p;
  return e->big_endian ? (uint16_t)(b[0] << 8 | b[1])
                       : (uint16_t)(b[1] << 8 | b[0]);
}

uint32_t dl_elf_u32(const dl_elf *e, const void *p) {
  const unsigned char *b = p;
  if (e->big_endian)
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 |
           b[3];
  return (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 |
         b[0];
}

uint64_t dl_elf_u64(const dl_elf *e, const void *p) {
  const unsigned char *b = p;
  uint64_t hi = dl_elf_u32(e, e->big_endian ? b : b + 4);
  uint64_t lo = dl_elf_u32(e, e->big_endian ? b + 4 : b);
  return hi << 32 | lo;
}

/* A word: 4 bytes in 32-bit files, 8 in 64-bit ones. */
static uint64_t word(const dl_elf *e, const unsigned char *p) {
  return e->is64 ? dl_elf_u64(e, p) : dl_elf_u32(e, p);
}

/* Is [off, off + len) inside the file? Overflow-safe. */
int dl_elf_in_file(const dl_elf *e, uint64_t off, uint64_t len) {
  return off <= e->size && len <= e->size - off;
}

int dl_elf_read(const dl_elf *e, uint64_t off, void *buf, size_t len,
                const char *what, dynlib_error *err) {
  if (!dl_elf_in_file(e, off, len))
    return ERR(DYNLIB_E_NOT_A_LIBRARY, "%s: %s extends past the end of the file",
               e->name, what);
  if (e->read(e->ctx, off, buf, len) != 0)
    return ERR(DYNLIB_E_IO, "%s: cannot read %s", e->name, what);
  return 0;
}

#if defined(__x86_64__)
#define HOST_MACHINE EM_X86_64
#elif defined(__aarch64__)
#define HOST_MACHINE EM_AARCH64
#elif defined(__i386__)
#define HOST_MACHINE EM_386
#elif defined(__arm__)
#define HOST_MACHINE EM_ARM
#elif defined(__riscv)
#define HOST_MACHINE EM_RISCV
#elif defined(__powerpc64__)
#define HOST_MACHINE EM_PPC64
#else
#define HOST_MACHINE EM_NONE
#endif

int dl_elf_host_machine(void) { return HOST_MACHINE; }

int dl_elf_compatible(const dl_elf *e) {
  if (DL_NATIVE_FORMAT != DL_FORMAT_ELF) return 0; /* a PE system */
  int host64 = sizeof(void *) == 8;
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  int host_big = 1;
#else
  int host_big = 0;
#endif
  return e->is64 == host64 && e->big_endian == host_big &&
         e->machine == HOST_MACHINE;
}

/* The identification bytes: magic, class, data, version. */
static int check_ident(dl_elf *e, const unsigned char *id, dynlib_error *err) {
  if (memcmp(id, ELFMAG, SELFMAG) != 0)
    return ERR(DYNLIB_E_NOT_A_LIBRARY, "%s: not an ELF file (bad magic)",
               e->name);
  if (id[EI_CLASS] != ELFCLASS32 && id[EI_CLASS] != ELFCLASS64)
    return ERR(DYNLIB_E_NOT_A_LIBRARY, "%s: invalid ELF class %u", e->name,
               id[EI_CLASS]);
  if (id[EI_DATA] != ELFDATA2LSB && id[EI_DATA] != ELFDATA2MSB)
    return ERR(DYNLIB_E_NOT_A_LIBRARY, "%s: invalid ELF byte order %u",
               e->name, id[EI_DATA]);
  if (id[EI_VERSION] != EV_CURRENT)
    return ERR(DYNLIB_E_NOT_A_LIBRARY, "%s: invalid ELF version %u", e->name,
               id[EI_VERSION]);
  e->is64 = id[EI_CLASS] == ELFCLASS64;
  e->big_endian = id[EI_DATA] == ELFDATA2MSB;
  e->osabi = id[EI_OSABI];
  return 0;
}

/* Checks that a table of count entries of entsize bytes (at least minsize)
 * at off fits in the file. */
static int check_table(const dl_elf *e, uint64_t off, uint64_t count,
                       uint64_t entsize, uint64_t minsize, const char *what,
                       dynlib_error *err) {
  if (count == 0) return 0;
  if (entsize < minsize)
    return ERR(DYNLIB_E_NOT_A_LIBRARY, "%s: %s entry size %llu is too small",
               e->name, what, (unsigned long long)entsize);
  if (count > e->size / entsize || !dl_elf_in_file(e, off, count * entsize))
    return ERR(DYNLIB_E_NOT_A_LIBRARY,
               "%s: %s extends past the end of the file", e->name, what);
  return 0;
}

int dl_elf_open(dl_elf *e, dl_read_at_fn read, void *ctx, uint64_t size,
                const char *name, dynlib_error *err) {
  memset(e, 0, sizeof *e);
  e->read = read;
  e->ctx = ctx;
  e->size = size;
  e->name = name ? name : "(memory)";
  unsigned char h[64];
  if (size < SELFMAG)
    return ERR(DYNLIB_E_NOT_A_LIBRARY, "%s: not an ELF file (too short)",
               e->name);
  size_t idlen = size < EI_NIDENT ? (size_t)size : EI_NIDENT;
  if (read(ctx, 0, h, idlen) != 0)
    return ERR(DYNLIB_E_IO, "%s: cannot read the ELF header", e->name);
  if (memcmp(h, ELFMAG, SELFMAG) != 0)
    return ERR(DYNLIB_E_NOT_A_LIBRARY, "%s: not an ELF file (bad magic)",
               e->name);
  if (idlen < EI_NIDENT)
    return ERR(DYNLIB_E_NOT_A_LIBRARY, "%s: truncated ELF header", e->name);
  if (check_ident(e, h, err) != 0) return -1;
  size_t hsize = e->is64 ? 64 : 52;
  if (size < hsize)
    return ERR(DYNLIB_E_NOT_A_LIBRARY, "%s: truncated ELF header", e->name);
  if (read(ctx, 0, h, hsize) != 0)
    return ERR(DYNLIB_E_IO, "%s: cannot read the ELF header", e->name);
  e->type = dl_elf_u16(e, h + 16);
  e->machine = dl_elf_u16(e, h + 18);
  if (dl_elf_u32(e, h + 20) != EV_CURRENT)
    return ERR(DYNLIB_E_NOT_A_LIBRARY, "%s: invalid ELF file version %u",
               e->name, dl_elf_u32(e, h + 20));
  const unsigned char *p = h + 24;
  size_t w = e->is64 ? 8 : 4;
  e->entry = word(e, p);
  e->phoff = word(e, p + w);
  e->shoff = word(e, p + 2 * w);
  p += 3 * w;
  e->flags = dl_elf_u32(e, p);
  uint16_t ehsize = dl_elf_u16(e, p + 4);
  e->phentsize = dl_elf_u16(e, p + 6);
  e->phnum = dl_elf_u16(e, p + 8);
  e->shentsize = dl_elf_u16(e, p + 10);
  e->shnum = dl_elf_u16(e, p + 12);
  e->shstrndx = dl_elf_u16(e, p + 14);
  if (ehsize < hsize)
    return ERR(DYNLIB_E_NOT_A_LIBRARY, "%s: ELF header size %u is too small",
               e->name, ehsize);
  /* 0xffff program headers means "the count is in section 0": only files
   * with more than 65534 segments do that, and no loader accepts them. */
  if (e->phnum == PN_XNUM)
    return ERR(DYNLIB_E_NOT_A_LIBRARY,
               "%s: extended program header count (PN_XNUM) is not supported",
               e->name);
  if (check_table(e, e->phoff, e->phnum, e->phentsize, e->is64 ? 56 : 32,
                  "program header table", err) != 0)
    return -1;
  /* Section headers matter to inspection, not to loading: a stripped or
   * odd section table is reported when it is read, not here. */
  return 0;
}

int dl_elf_phdr_get(const dl_elf *e, unsigned i, dl_elf_phdr *out,
                    dynlib_error *err) {
  if (i >= e->phnum)
    return ERR(DYNLIB_E_INVALID, "%s: no program header %u", e->name, i);
  unsigned char b[56];
  size_t n = e->is64 ? 56 : 32;
  if (dl_elf_read(e, e->phoff + (uint64_t)i * e->phentsize, b, n,
                  "program header", err) != 0)
    return -1;
  out->type = dl_elf_u32(e, b);
  if (e->is64) {
    out->flags = dl_elf_u32(e, b + 4);
    out->offset = dl_elf_u64(e, b + 8);
    out->vaddr = dl_elf_u64(e, b + 16);
    out->filesz = dl_elf_u64(e, b + 32);
    out->memsz = dl_elf_u64(e, b + 40);
    out->align = dl_elf_u64(e, b + 48);
  } else {
    out->offset = dl_elf_u32(e, b + 4);
    out->vaddr = dl_elf_u32(e, b + 8);
    out->filesz = dl_elf_u32(e, b + 16);
    out->memsz = dl_elf_u32(e, b + 20);
    out->flags = dl_elf_u32(e, b + 24);
    out->align = dl_elf_u32(e, b + 28);
  }
  return 0;
}

/* The section table's geometry, checked on first use. */
static int check_sections(const dl_elf *e, dynlib_error *err) {
  if (e->shnum == 0)
    return ERR(DYNLIB_E_NOT_A_LIBRARY, "%s: no section header table", e->name);
  if (check_table(e, e->shoff, e->shnum, e->shentsize, e->is64 ? 64 : 40,
                  "section header table", err) != 0)
    return -1;
  if (e->shstrndx == SHN_XINDEX)
    return ERR(DYNLIB_E_NOT_A_LIBRARY,
               "%s: extended section name table index (SHN_XINDEX) is not "
               "supported",
               e->name);
  if (e->shstrndx >= e->shnum)
    return ERR(DYNLIB_E_NOT_A_LIBRARY,
               "%s: section name table index %u is out of range", e->name,
               e->shstrndx);
  return 0;
}

int dl_elf_shdr_get(const dl_elf *e, unsigned i, dl_elf_shdr *out,
                    dynlib_error *err) {
  if (check_sections(e, err) != 0) return -1;
  if (i >= e->shnum)
    return ERR(DYNLIB_E_INVALID, "%s: no section header %u", e->name, i);
  unsigned char b[64];
  size_t n = e->is64 ? 64 : 40;
  if (dl_elf_read(e, e->shoff + (uint64_t)i * e->shentsize, b, n,
                  "section header", err) != 0)
    return -1;
  out->name = dl_elf_u32(e, b);
  out->type = dl_elf_u32(e, b + 4);
  if (e->is64) {
    out->flags = dl_elf_u64(e, b + 8);
    out->addr = dl_elf_u64(e, b + 16);
    out->offset = dl_elf_u64(e, b + 24);
    out->size = dl_elf_u64(e, b + 32);
    out->link = dl_elf_u32(e, b + 40);
    out->info = dl_elf_u32(e, b + 44);
    out->addralign = dl_elf_u64(e, b + 48);
    out->entsize = dl_elf_u64(e, b + 56);
  } else {
    out->flags = dl_elf_u32(e, b + 8);
    out->addr = dl_elf_u32(e, b + 12);
    out->offset = dl_elf_u32(e, b + 16);
    out->size = dl_elf_u32(e, b + 20);
    out->link = dl_elf_u32(e, b + 24);
    out->info = dl_elf_u32(e, b + 28);
    out->addralign = dl_elf_u32(e, b + 32);
    out->entsize = dl_elf_u32(e, b + 36);
  }
  if (out->type != SHT_NOBITS && out->type != SHT_NULL &&
      !dl_elf_in_file(e, out->offset, out->size))
    return ERR(DYNLIB_E_NOT_A_LIBRARY,
               "%s: section %u extends past the end of the file", e->name, i);
  return 0;
}

int dl_elf_string(const dl_elf *e, uint64_t tab_off, uint64_t tab_size,
                  uint64_t idx, char *buf, size_t bufsize,
                  dynlib_error *err) {
  if (bufsize == 0) return -1;
  if (idx >= tab_size)
    return ERR(DYNLIB_E_NOT_A_LIBRARY,
               "%s: string offset %llu is past the end of its table", e->name,
               (unsigned long long)idx);
  uint64_t avail = tab_size - idx;
  size_t n = avail < bufsize ? (size_t)avail : bufsize;
  if (dl_elf_read(e, tab_off + idx, buf, n, "string table", err) != 0)
    return -1;
  char *nul = memchr(buf, '\0', n);
  if (nul == NULL) {
    if (n == bufsize) /* longer than the caller wants: cut, and say so */
      buf[bufsize - 1] = '\0';
    else
      return ERR(DYNLIB_E_NOT_A_LIBRARY,
                 "%s: unterminated string in a string table", e->name);
  }
  return 0;
}

int dl_elf_section_by_name(const dl_elf *e, const char *name,
                           dl_elf_shdr *out, dynlib_error *err) {
  dl_elf_shdr strtab;
  if (dl_elf_shdr_get(e, e->shstrndx, &strtab, err) != 0) return -1;
  if (strtab.type == SHT_NOBITS)
    return ERR(DYNLIB_E_NOT_A_LIBRARY, "%s: section name table has no data",
               e->name);
  size_t want = strlen(name) + 1;
  char buf[256];
  if (want > sizeof buf) return 0;
  for (unsigned i = 1; i < e->shnum; i++) {
    if (dl_elf_shdr_get(e, i, out, err) != 0) return -1;
    if (out->name >= strtab.size) continue;
    if (dl_elf_string(e, strtab.offset, strtab.size, out->name, buf,
                      sizeof buf, err) != 0)
      return -1;
    if (strcmp(buf, name) == 0) return 1;
  }
  return 0;
}

int dl_elf_sections_check(const dl_elf *e, dynlib_error *err) {
  if (e->shnum == 0) {
    /* A count of 0 with a table present means "the count is in section 0"
     * (more than 65279 sections): say so rather than list nothing. */
    unsigned char b[8];
    size_t at = e->is64 ? 32 : 20, n = e->is64 ? 8 : 4;
    if (e->shoff != 0 && dl_elf_in_file(e, e->shoff, at + n) &&
        e->read(e->ctx, e->shoff + at, b, n) == 0 &&
        (e->is64 ? dl_elf_u64(e, b) : dl_elf_u32(e, b)) != 0)
      return ERR(DYNLIB_E_NOT_A_LIBRARY,
                 "%s: extended section count (more than 65279 sections) is "
                 "not supported",
                 e->name);
    return 0;
  }
  return check_sections(e, err);
}

int dl_elf_phdr_find(const dl_elf *e, uint32_t type, dl_elf_phdr *out,
                     dynlib_error *err) {
  for (unsigned i = 0; i < e->phnum; i++) {
    if (dl_elf_phdr_get(e, i, out, err) != 0) return -1;
    if (out->type == type) return 1;
  }
  return 0;
}

int dl_elf_vaddr_to_offset(const dl_elf *e, uint64_t addr, uint64_t *off,
                           uint64_t *avail, dynlib_error *err) {
  for (unsigned i = 0; i < e->phnum; i++) {
    dl_elf_phdr ph;
    if (dl_elf_phdr_get(e, i, &ph, err) != 0) return -1;
    if (ph.type != PT_LOAD || addr < ph.vaddr || addr - ph.vaddr >= ph.filesz)
      continue;
    if (!dl_elf_in_file(e, ph.offset, ph.filesz))
      return ERR(DYNLIB_E_NOT_A_LIBRARY,
                 "%s: PT_LOAD segment %u extends past the end of the file",
                 e->name, i);
    *off = ph.offset + (addr - ph.vaddr);
    if (avail) *avail = ph.filesz - (addr - ph.vaddr);
    return 1;
  }
  return 0;
}

int dl_elf_strdup(const dl_elf *e, uint64_t tab_off, uint64_t tab_size,
                  uint64_t idx, char **out, dynlib_error *err) {
  *out = NULL;
  if (!dl_elf_in_file(e, tab_off, tab_size))
    return ERR(DYNLIB_E_NOT_A_LIBRARY,
               "%s: string table extends past the end of the file", e->name);
  if (idx >= tab_size)
    return ERR(DYNLIB_E_NOT_A_LIBRARY,
               "%s: string offset %llu is past the end of its table", e->name,
               (unsigned long long)idx);
  uint64_t avail = tab_size - idx;
  if (avail > DL_ELF_MAX_STRING) avail = DL_ELF_MAX_STRING;
  int r = dl_read_cstring(e->read, e->ctx, tab_off + idx, avail, 256, out);
  if (r == 1) return 0;
  if (r == -2) return ERR(DYNLIB_E_IO, "%s: out of memory", e->name);
  if (r == -1) return ERR(DYNLIB_E_IO, "%s: cannot read string table", e->name);
  return ERR(DYNLIB_E_NOT_A_LIBRARY, "%s: unterminated string in a string table",
             e->name);
}

/* ---- reading from memory ----------------------------------------------- */

int dl_mem_read_at(void *ctx, uint64_t off, void *buf, size_t len) {
  const dl_mem *m = ctx;
  if (off > m->size || len > m->size - off) return -1;
  memcpy(buf, m->data + off, len);
  return 0;
}

/*
 * pe.c - the PE/COFF reader's base (pe.h): DOS header, e_lfanew, signature,
 * COFF header, PE32/PE32+ optional header, data directories and section
 * table, each checked against the file with overflow-safe arithmetic, and
 * RVAs mapped to file offsets through the section table. Definitions come
 * from the PE/COFF specification; all fields are little-endian.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/cstring.h"
#include "formats/format.h"
#include "formats/pe.h"
#include "base/internal.h"

#define ERR(code, ...) dl_seterr(err, code, __VA_ARGS__)
#define BAD(...) dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY, __VA_ARGS__)

#define DOS_HEADER 64
#define LFANEW_AT 0x3c
#define COFF_HEADER 20
#define SECTION_HEADER 40
#define SYMBOL_SIZE 18
#define OPT_STD32 96 /* PE32 optional header before the data directories */
#define OPT_STD64 112

static uint16_t u16(const unsigned char *b) { return (uint16_t)(b[0] | b[1] << 8); }
static uint32_t u32(const unsigned char *b) {
  return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
         (uint32_t)b[3] << 24;
}
static uint64_t u64(const unsigned char *b) {
  return (uint64_t)u32(b) | (uint64_t)u32(b + 4) << 32;
}

/* ---- formats ------------------------------------------------------------ */

dl_format dl_format_sniff(const unsigned char *head, size_t len) {
  if (len >= 4 && head[0] == 0x7f && head[1] == 'E' && head[2] == 'L' &&
      head[3] == 'F')
    return DL_FORMAT_ELF;
  if (dl_pe_sniff(head, len)) return DL_FORMAT_PE;
  return DL_FORMAT_UNKNOWN;
}

const char *dl_format_name(dl_format f) {
  switch (f) {
    case DL_FORMAT_ELF: return "elf";
    case DL_FORMAT_PE: return "pe";
    default: return "unknown";
  }
}

int dl_pe_sniff(const unsigned char *head, size_t len) {
  return len >= 2 && head[0] == 'M' && head[1] == 'Z';
}

/* ---- names -------------------------------------------------------------- */

const char *dl_pe_machine_name(unsigned m) {
  switch (m) {
    case DL_PE_MACHINE_AMD64: return "x86_64";
    case DL_PE_MACHINE_I386: return "i386";
    case DL_PE_MACHINE_ARM64: return "aarch64";
    case DL_PE_MACHINE_ARM:
    case DL_PE_MACHINE_ARMNT: return "arm";
    case DL_PE_MACHINE_ARM64EC: return "arm64ec";
    case DL_PE_MACHINE_IA64: return "ia64";
    case DL_PE_MACHINE_RISCV64: return "riscv";
    case DL_PE_MACHINE_LOONGARCH64: return "loongarch";
    default: return NULL;
  }
}

const char *dl_pe_dir_name(unsigned i) {
  static const char *const names[DL_PE_NDIRS] = {
      "export", "import", "resource", "exception", "security", "base relocation",
      "debug", "architecture", "global pointer", "TLS", "load configuration",
      "bound import", "import address table", "delay import", "CLR runtime",
      "reserved"};
  return i < DL_PE_NDIRS ? names[i] : "unknown";
}

#if defined(__x86_64__) || defined(_M_X64)
#define HOST_MACHINE DL_PE_MACHINE_AMD64
#elif defined(__aarch64__) || defined(_M_ARM64)
#define HOST_MACHINE DL_PE_MACHINE_ARM64
#elif defined(__i386__) || defined(_M_IX86)
#define HOST_MACHINE DL_PE_MACHINE_I386
#elif defined(__arm__) || defined(_M_ARM)
#define HOST_MACHINE DL_PE_MACHINE_ARMNT
#elif defined(__riscv) && __riscv_xlen == 64
#define HOST_MACHINE DL_PE_MACHINE_RISCV64
#else
#define HOST_MACHINE 0
#endif

unsigned dl_pe_host_machine(void) { return HOST_MACHINE; }

int dl_pe_is_dll(const dl_pe *p) {
  return (p->characteristics & DL_PE_FILE_DLL) != 0;
}

int dl_pe_compatible(const dl_pe *p) {
  if (DL_NATIVE_FORMAT != DL_FORMAT_PE) return 0;
  int host64 = sizeof(void *) == 8;
  unsigned m = p->machine == DL_PE_MACHINE_ARM ? DL_PE_MACHINE_ARMNT : p->machine;
  return m == HOST_MACHINE && p->is64 == host64;
}

/* ---- reads -------------------------------------------------------------- */

static int in_file(const dl_pe *p, uint64_t off, uint64_t len) {
  return off <= p->size && len <= p->size - off;
}

int dl_pe_read(const dl_pe *p, uint64_t off, void *buf, size_t len,
               const char *what, dynlib_error *err) {
  if (!in_file(p, off, len))
    return BAD("%s: %s extends past the end of the file", p->name, what);
  if (p->read(p->ctx, off, buf, len) != 0)
    return ERR(DYNLIB_E_IO, "%s: cannot read %s", p->name, what);
  return 0;
}

void dl_pe_section_bytes(const dl_pe *p, unsigned i, uint64_t *off,
                         uint64_t *len) {
  const dl_pe_section *s = &p->sections[i];
  uint32_t n = s->raw_size;
  if (s->vsize != 0 && s->vsize < n) n = s->vsize; /* the rest is padding */
  *off = s->raw_off;
  *len = n;
}

int dl_pe_rva_to_offset(const dl_pe *p, uint32_t rva, uint64_t *off,
                        uint64_t *avail) {
  for (unsigned i = 0; i < p->nsections; i++) {
    uint64_t at, len;
    dl_pe_section_bytes(p, i, &at, &len);
    uint32_t start = p->sections[i].rva;
    if (rva < start || rva - start >= len) continue;
    *off = at + (rva - start);
    *avail = len - (rva - start);
    return 1;
  }
  /* The headers are mapped at RVA 0 as they are in the file. */
  uint64_t hdr = p->size_of_headers < p->size ? p->size_of_headers : p->size;
  if (rva < hdr) {
    *off = rva;
    *avail = hdr - rva;
    return 1;
  }
  return 0;
}

int dl_pe_read_rva(const dl_pe *p, uint32_t rva, void *buf, size_t len,
                   const char *what, dynlib_error *err) {
  uint64_t off, avail;
  if (!dl_pe_rva_to_offset(p, rva, &off, &avail))
    return BAD("%s: %s at RVA 0x%x is outside every section", p->name, what,
               (unsigned)rva);
  if (len > avail)
    return BAD("%s: %s at RVA 0x%x extends past its section", p->name, what,
               (unsigned)rva);
  return dl_pe_read(p, off, buf, len, what, err);
}

int dl_pe_strdup_rva(const dl_pe *p, uint32_t rva, size_t max, char **out,
                     const char *what, dynlib_error *err) {
  *out = NULL;
  uint64_t off, avail;
  if (!dl_pe_rva_to_offset(p, rva, &off, &avail))
    return BAD("%s: %s at RVA 0x%x is outside every section", p->name, what,
               (unsigned)rva);
  if (avail > max) avail = max;
  int r = dl_read_cstring(p->read, p->ctx, off, avail, 64, out);
  if (r == 1) return 0;
  if (r == -2) return ERR(DYNLIB_E_IO, "%s: out of memory", p->name);
  if (r == -1) return ERR(DYNLIB_E_IO, "%s: cannot read %s", p->name, what);
  return BAD("%s: %s at RVA 0x%x is unterminated or longer than %u bytes",
             p->name, what, (unsigned)rva, (unsigned)max);
}

/* ---- section names ------------------------------------------------------ */

void dl_pe_section_name(const dl_pe *p, unsigned i, char *buf, size_t bufsize) {
  if (bufsize == 0) return;
  const char *raw = p->sections[i].name;
  snprintf(buf, bufsize, "%s", raw);
  /* "/N": offset N in the COFF string table, which follows the symbols. */
  if (raw[0] != '/' || raw[1] < '0' || raw[1] > '9' || p->symtab_off == 0)
    return;
  uint64_t n = 0;
  for (const char *c = raw + 1; *c; c++) {
    if (*c < '0' || *c > '9') return;
    n = n * 10 + (uint64_t)(*c - '0');
  }
  uint64_t tab = (uint64_t)p->symtab_off + (uint64_t)p->nsymbols * SYMBOL_SIZE;
  unsigned char sz[4];
  if (!in_file(p, tab, 4) || p->read(p->ctx, tab, sz, 4) != 0) return;
  uint64_t tabsize = u32(sz);
  if (tabsize < 4 || !in_file(p, tab, tabsize) || n < 4 || n >= tabsize) return;
  char tmp[256];
  size_t want = tabsize - n < sizeof tmp ? (size_t)(tabsize - n) : sizeof tmp;
  if (p->read(p->ctx, tab + n, tmp, want) != 0) return;
  if (memchr(tmp, '\0', want) == NULL) return; /* unterminated: keep "/N" */
  snprintf(buf, bufsize, "%s", tmp);
}

int dl_pe_section_by_name(const dl_pe *p, const char *name) {
  char buf[256];
  for (unsigned i = 0; i < p->nsections; i++) {
    dl_pe_section_name(p, i, buf, sizeof buf);
    if (strcmp(buf, name) == 0) return (int)i;
  }
  return -1;
}

/* ---- headers ------------------------------------------------------------ */

static int read_optional(dl_pe *p, uint64_t at, dynlib_error *err) {
  unsigned char h[OPT_STD64 + DL_PE_NDIRS * 8];
  if (p->opt_size < 2)
    return BAD("%s: has no optional header (an object file, not an image)",
               p->name);
  if (!in_file(p, at, p->opt_size))
    return BAD("%s: the optional header (%u bytes) extends past the end of the "
               "file",
               p->name, p->opt_size);
  if (dl_pe_read(p, at, h, 2, "optional header", err) != 0) return -1;
  uint16_t magic = u16(h);
  if (magic != DL_PE_MAGIC_PE32 && magic != DL_PE_MAGIC_PE32PLUS)
    return BAD("%s: unknown optional header magic 0x%x", p->name, magic);
  p->is64 = magic == DL_PE_MAGIC_PE32PLUS;
  unsigned std = p->is64 ? OPT_STD64 : OPT_STD32;
  if (p->opt_size < std)
    return BAD("%s: the optional header (%u bytes) is too small for %s",
               p->name, p->opt_size, p->is64 ? "PE32+" : "PE32");
  if (dl_pe_read(p, at, h, std, "optional header", err) != 0) return -1;
  p->entry = u32(h + 16);
  p->image_base = p->is64 ? u64(h + 24) : u32(h + 28);
  p->size_of_image = u32(h + 56);
  p->size_of_headers = u32(h + 60);
  p->subsystem = u16(h + 68);
  p->dll_characteristics = u16(h + 70);
  p->ndirs = u32(h + (p->is64 ? 108 : 92));
  if (p->ndirs > (uint32_t)(p->opt_size - std) / 8)
    return BAD("%s: %u data directories do not fit the optional header (%u "
               "bytes)",
               p->name, (unsigned)p->ndirs, p->opt_size);
  unsigned nd = p->ndirs < DL_PE_NDIRS ? p->ndirs : DL_PE_NDIRS;
  if (nd && dl_pe_read(p, at + std, h, nd * 8u, "data directories", err) != 0)
    return -1;
  for (unsigned i = 0; i < nd; i++) {
    p->dirs[i].rva = u32(h + 8 * i);
    p->dirs[i].size = u32(h + 8 * i + 4);
  }
  return 0;
}

static int read_sections(dl_pe *p, uint64_t at, dynlib_error *err) {
  uint64_t len = (uint64_t)p->nsections * SECTION_HEADER;
  if (!in_file(p, at, len))
    return BAD("%s: the section table (%u sections) extends past the end of the "
               "file",
               p->name, p->nsections);
  for (unsigned i = 0; i < p->nsections; i++) {
    unsigned char b[SECTION_HEADER];
    if (dl_pe_read(p, at + (uint64_t)i * SECTION_HEADER, b, sizeof b,
                   "section header", err) != 0)
      return -1;
    dl_pe_section *s = &p->sections[i];
    memcpy(s->name, b, 8);
    s->name[8] = '\0';
    s->vsize = u32(b + 8);
    s->rva = u32(b + 12);
    s->raw_size = u32(b + 16);
    s->raw_off = u32(b + 20);
    s->flags = u32(b + 36);
    if (s->raw_size != 0 && !in_file(p, s->raw_off, s->raw_size))
      return BAD("%s: section %u (%.8s) extends past the end of the file",
                 p->name, i, s->name);
  }
  return 0;
}

/* Every data directory (an RVA, but the certificate table's file offset)
 * must point at bytes of a section or of the headers. */
static int check_dirs(const dl_pe *p, dynlib_error *err) {
  unsigned nd = p->ndirs < DL_PE_NDIRS ? p->ndirs : DL_PE_NDIRS;
  for (unsigned i = 0; i < nd; i++) {
    const dl_pe_dir *d = &p->dirs[i];
    if (d->rva == 0 || d->size == 0) continue;
    if (i == DL_PE_DIR_SECURITY) {
      if (!in_file(p, d->rva, d->size))
        return BAD("%s: data directory %u (%s) extends past the end of the "
                   "file",
                   p->name, i, dl_pe_dir_name(i));
      continue;
    }
    uint64_t off, avail;
    if (!dl_pe_rva_to_offset(p, d->rva, &off, &avail))
      return BAD("%s: data directory %u (%s) at RVA 0x%x is outside every "
                 "section",
                 p->name, i, dl_pe_dir_name(i), (unsigned)d->rva);
  }
  return 0;
}

int dl_pe_open(dl_pe *p, dl_read_at_fn read, void *ctx, uint64_t size,
               const char *name, dynlib_error *err) {
  memset(p, 0, sizeof *p);
  p->read = read;
  p->ctx = ctx;
  p->size = size;
  p->name = name ? name : "(memory)";
  unsigned char h[DOS_HEADER];
  if (size < 2)
    return BAD("%s: not a PE file (too short)", p->name);
  if (read(ctx, 0, h, 2) != 0)
    return ERR(DYNLIB_E_IO, "%s: cannot read the DOS header", p->name);
  if (!dl_pe_sniff(h, 2))
    return BAD("%s: not a PE file (bad MZ magic)", p->name);
  if (size < DOS_HEADER)
    return BAD("%s: truncated DOS header", p->name);
  if (dl_pe_read(p, 0, h, DOS_HEADER, "DOS header", err) != 0) return -1;
  p->lfanew = u32(h + LFANEW_AT);
  if (p->lfanew > DL_PE_MAX_LFANEW)
    return BAD("%s: e_lfanew 0x%x is absurd (a DOS program, or corrupt)",
               p->name, (unsigned)p->lfanew);
  if (p->lfanew < 4)
    return BAD("%s: e_lfanew 0x%x points into the MZ magic", p->name,
               (unsigned)p->lfanew);
  if (!in_file(p, p->lfanew, 4 + COFF_HEADER))
    return BAD("%s: e_lfanew 0x%x points past the end of the file (a DOS "
               "program, or truncated)",
               p->name, (unsigned)p->lfanew);
  unsigned char c[4 + COFF_HEADER];
  if (dl_pe_read(p, p->lfanew, c, sizeof c, "COFF header", err) != 0) return -1;
  if (memcmp(c, "PE\0\0", 4) != 0)
    return BAD("%s: not a PE file (no PE signature at e_lfanew 0x%x)", p->name,
               (unsigned)p->lfanew);
  p->machine = u16(c + 4);
  p->nsections = u16(c + 6);
  p->symtab_off = u32(c + 12);
  p->nsymbols = u32(c + 16);
  p->opt_size = u16(c + 20);
  p->characteristics = u16(c + 22);
  if (p->nsections == 0)
    return BAD("%s: has no sections", p->name);
  if (p->nsections > DL_PE_MAX_SECTIONS)
    return BAD("%s: section count %u is absurd (the Windows loader allows %u)",
               p->name, p->nsections, DL_PE_MAX_SECTIONS);
  uint64_t opt = (uint64_t)p->lfanew + 4 + COFF_HEADER;
  if (read_optional(p, opt, err) != 0) return -1;
  if (read_sections(p, opt + p->opt_size, err) != 0) return -1;
  /* The COFF symbol table and string table (long section names) close
   * the file: past its end, the file was cut. */
  if (p->symtab_off != 0) {
    uint64_t tab = (uint64_t)p->symtab_off + (uint64_t)p->nsymbols * SYMBOL_SIZE;
    unsigned char sz[4];
    if (!in_file(p, tab, 4))
      return BAD("%s: the COFF symbol table extends past the end of the file",
                 p->name);
    if (dl_pe_read(p, tab, sz, 4, "COFF string table", err) != 0) return -1;
    if (!in_file(p, tab, u32(sz)))
      return BAD("%s: the COFF string table extends past the end of the file",
                 p->name);
  }
  return check_dirs(p, err);
}

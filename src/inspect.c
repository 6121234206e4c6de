/*
 * inspect.c - ELF inspection without loading (see inspect.h).
 *
 * Sections come from the section table; the dynamic entries from PT_DYNAMIC,
 * whose string-table address is mapped to a file offset through the PT_LOAD
 * segments; exports from .dynsym with .gnu.version and .gnu.version_d.
 * Counts are checked against the file before anything is allocated.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "inspect.h"
#include "internal.h"

#define MAX_DYN 65536
#define MAX_NAME 1024
#define SYM_BATCH 256

const char *dl_machine_name(unsigned m) {
  switch (m) {
    case EM_386: return "i386";
    case EM_X86_64: return "x86_64";
    case EM_AARCH64: return "aarch64";
    case EM_ARM: return "arm";
    case EM_RISCV: return "riscv";
    case EM_PPC: return "ppc";
    case EM_PPC64: return "ppc64";
    case EM_S390: return "s390";
    case EM_MIPS: return "mips";
    case EM_SPARCV9: return "sparcv9";
    default: return NULL;
  }
}

static int oom(const dl_elf *e, dynlib_error *err) {
  return dl_seterr(err, DYNLIB_E_IO, "%s: out of memory", e->name);
}

/* A string from a table, strdup'd into *out. */
static int dup_string(const dl_elf *e, uint64_t tab, uint64_t tabsize,
                      uint64_t idx, char **out, dynlib_error *err) {
  char buf[MAX_NAME];
  if (dl_elf_string(e, tab, tabsize, idx, buf, sizeof buf, err) != 0) return -1;
  *out = strdup(buf);
  return *out ? 0 : oom(e, err);
}

/* A whole string table in memory: names are then looked up without a read
 * each (a library's .dynstr is read once, not once per symbol). */
typedef struct strbuf {
  char *data;
  uint64_t size;
} strbuf;

#define MAX_STRTAB (256u << 20)

static int load_strtab(const dl_elf *e, uint64_t off, uint64_t size, strbuf *t,
                       dynlib_error *err) {
  t->data = NULL;
  t->size = 0;
  if (!dl_elf_in_file(e, off, size) || size > MAX_STRTAB)
    return dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY,
                     "%s: string table extends past the end of the file",
                     e->name);
  t->data = malloc(size ? (size_t)size : 1);
  if (t->data == NULL) return oom(e, err);
  t->size = size;
  return dl_elf_read(e, off, t->data, (size_t)size, "string table", err);
}

/* strdup of the string at idx; "" for an unterminated tail, an error for
 * an index past the table. */
static int table_string(const dl_elf *e, const strbuf *t, uint64_t idx,
                        char **out, dynlib_error *err) {
  if (idx >= t->size)
    return dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY,
                     "%s: string offset %llu is past the end of its table",
                     e->name, (unsigned long long)idx);
  const char *s = t->data + idx;
  const char *end = memchr(s, '\0', (size_t)(t->size - idx));
  size_t n = end ? (size_t)(end - s) : (size_t)(t->size - idx);
  if (n >= MAX_NAME) n = MAX_NAME - 1;
  *out = strndup(s, n);
  return *out ? 0 : oom(e, err);
}

/* ---- sections ---------------------------------------------------------- */

static int read_sections(const dl_elf *e, dl_inspection *in, dynlib_error *err) {
  if (e->shnum == 0) return 0; /* stripped: nothing to list */
  dl_elf_shdr strtab;
  if (dl_elf_shdr_get(e, e->shstrndx, &strtab, err) != 0) return -1;
  if (strtab.type == SHT_NOBITS)
    return dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY,
                     "%s: section name table has no bytes", e->name);
  in->sections = calloc(e->shnum, sizeof *in->sections);
  if (in->sections == NULL) return oom(e, err);
  strbuf names;
  if (load_strtab(e, strtab.offset, strtab.size, &names, err) != 0) {
    free(names.data);
    return -1;
  }
  for (unsigned i = 0; i < e->shnum; i++) {
    dl_elf_shdr sh;
    if (dl_elf_shdr_get(e, i, &sh, err) != 0) break;
    dl_section_info *s = &in->sections[in->nsections++];
    if (sh.name >= strtab.size && i != 0) {
      dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY,
                "%s: the name of section %u is past the end of its table",
                e->name, i);
      break;
    }
    if (names.size == 0) s->name = strdup("");
    else if (table_string(e, &names, i ? sh.name : 0, &s->name, err) != 0) break;
    if (s->name == NULL) {
      oom(e, err);
      break;
    }
    s->type = sh.type;
    s->flags = sh.flags;
    s->addr = sh.addr;
    s->offset = sh.offset;
    s->size = sh.size;
  }
  free(names.data);
  return in->nsections == e->shnum ? 0 : -1;
}

/* ---- the dynamic segment ----------------------------------------------- */

/* File offset of a virtual address through the PT_LOAD segments. */
static int vaddr_to_offset(const dl_elf *e, uint64_t addr, uint64_t *off,
                           dynlib_error *err) {
  for (unsigned i = 0; i < e->phnum; i++) {
    dl_elf_phdr ph;
    if (dl_elf_phdr_get(e, i, &ph, err) != 0) return -1;
    if (ph.type != PT_LOAD || addr < ph.vaddr || addr - ph.vaddr >= ph.filesz)
      continue;
    *off = ph.offset + (addr - ph.vaddr);
    return 1;
  }
  return 0;
}

typedef struct dyn_info {
  uint64_t strtab, strsz, flags_1;
  uint64_t soname, rpath, runpath;
  int has_soname, has_rpath, has_runpath, has_strtab;
  uint64_t symtab, syment, hash, gnu_hash, versym, verdef, verdefnum;
  int has_symtab, has_hash, has_gnu_hash, has_versym, has_verdef;
  uint64_t *needed;
  size_t nneeded;
} dyn_info;

static int collect_dynamic(const dl_elf *e, const dl_elf_phdr *dyn, dyn_info *d,
                           dynlib_error *err) {
  size_t entsize = e->is64 ? 16 : 8;
  uint64_t n = dyn->filesz / entsize;
  if (!dl_elf_in_file(e, dyn->offset, dyn->filesz))
    return dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY,
                     "%s: dynamic section extends past the end of the file",
                     e->name);
  if (n > MAX_DYN) n = MAX_DYN;
  d->needed = calloc(n ? n : 1, sizeof *d->needed);
  if (d->needed == NULL) return oom(e, err);
  unsigned char buf[16];
  for (uint64_t i = 0; i < n; i++) {
    if (dl_elf_read(e, dyn->offset + i * entsize, buf, entsize,
                    "dynamic section", err) != 0)
      return -1;
    uint64_t tag = e->is64 ? dl_elf_u64(e, buf) : dl_elf_u32(e, buf);
    uint64_t val = e->is64 ? dl_elf_u64(e, buf + 8) : dl_elf_u32(e, buf + 4);
    switch (tag) {
      case DT_NULL: return 0;
      case DT_STRTAB: d->strtab = val; d->has_strtab = 1; break;
      case DT_STRSZ: d->strsz = val; break;
      case DT_SONAME: d->soname = val; d->has_soname = 1; break;
      case DT_RPATH: d->rpath = val; d->has_rpath = 1; break;
      case DT_RUNPATH: d->runpath = val; d->has_runpath = 1; break;
      case DT_NEEDED: d->needed[d->nneeded++] = val; break;
      case DT_FLAGS_1: d->flags_1 = val; break;
      case DT_SYMTAB: d->symtab = val; d->has_symtab = 1; break;
      case DT_SYMENT: d->syment = val; break;
      case DT_HASH: d->hash = val; d->has_hash = 1; break;
      case DT_GNU_HASH: d->gnu_hash = val; d->has_gnu_hash = 1; break;
      case DT_VERSYM: d->versym = val; d->has_versym = 1; break;
      case DT_VERDEF: d->verdef = val; d->has_verdef = 1; break;
      case DT_VERDEFNUM: d->verdefnum = val; break;
      default: break;
    }
  }
  return 0;
}

/* The PT_DYNAMIC segment, if it has bytes in the file: 1, 0 none, -1. */
static int find_dynamic(const dl_elf *e, dl_elf_phdr *dyn, dynlib_error *err) {
  for (unsigned i = 0; i < e->phnum; i++) {
    if (dl_elf_phdr_get(e, i, dyn, err) != 0) return -1;
    if (dyn->type == PT_DYNAMIC) return dyn->filesz > 0;
  }
  return 0;
}

/* PT_INTERP: the program interpreter an executable (or libc) names. */
static int read_interp(const dl_elf *e, dl_inspection *in, dynlib_error *err) {
  for (unsigned i = 0; i < e->phnum; i++) {
    dl_elf_phdr ph;
    if (dl_elf_phdr_get(e, i, &ph, err) != 0) return -1;
    if (ph.type == PT_INTERP && ph.filesz > 0 &&
        dl_elf_in_file(e, ph.offset, ph.filesz))
      return dup_string(e, ph.offset, ph.filesz, 0, &in->interp, err);
  }
  return 0;
}

static int read_dynamic(const dl_elf *e, dl_inspection *in, dynlib_error *err) {
  if (read_interp(e, in, err) != 0) return -1;
  dl_elf_phdr dyn;
  int found = find_dynamic(e, &dyn, err);
  if (found <= 0) return found; /* static, object or debug file */
  dyn_info d;
  memset(&d, 0, sizeof d);
  int rc = collect_dynamic(e, &dyn, &d, err);
  uint64_t tab = 0;
  if (rc == 0 && (d.has_soname || d.nneeded || d.has_rpath || d.has_runpath)) {
    int mapped = d.has_strtab ? vaddr_to_offset(e, d.strtab, &tab, err) : 0;
    if (mapped < 0) rc = -1;
    else if (!mapped)
      rc = dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY,
                     "%s: DT_STRTAB is outside every PT_LOAD segment", e->name);
    else if (!dl_elf_in_file(e, tab, d.strsz))
      rc = dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY,
                     "%s: dynamic string table extends past the end of the "
                     "file",
                     e->name);
  }
  if (rc == 0 && d.has_soname) rc = dup_string(e, tab, d.strsz, d.soname, &in->soname, err);
  if (rc == 0 && d.has_rpath) rc = dup_string(e, tab, d.strsz, d.rpath, &in->rpath, err);
  if (rc == 0 && d.has_runpath)
    rc = dup_string(e, tab, d.strsz, d.runpath, &in->runpath, err);
  if (rc == 0 && d.nneeded) {
    in->needed = calloc(d.nneeded, sizeof *in->needed);
    if (in->needed == NULL) rc = oom(e, err);
    for (size_t i = 0; rc == 0 && i < d.nneeded; i++, in->nneeded++)
      rc = dup_string(e, tab, d.strsz, d.needed[i], &in->needed[i], err);
  }
  in->pie = (d.flags_1 & DF_1_PIE) != 0;
  free(d.needed);
  return rc;
}

/* ---- symbols ----------------------------------------------------------- */

typedef struct verdefs {
  char **names; /* by version index */
  size_t n;
} verdefs;

static void verdefs_free(verdefs *v) {
  for (size_t i = 0; i < v->n; i++) free(v->names[i]);
  free(v->names);
}

/* .gnu.version_d: version index -> name. */
static int read_verdefs(const dl_elf *e, const dl_elf_shdr *sh,
                        const dl_elf_shdr *strtab, verdefs *v,
                        dynlib_error *err) {
  uint64_t off = sh->offset, end = sh->offset + sh->size;
  uint32_t count = sh->info;
  v->n = 0x8000; /* indices are 15 bits */
  v->names = calloc(v->n, sizeof *v->names);
  if (v->names == NULL) return oom(e, err);
  for (uint32_t i = 0; i < count && i < 0x8000; i++) {
    unsigned char d[20], a[8];
    if (off > end || end - off < 20 ||
        dl_elf_read(e, off, d, 20, "version definition", err) != 0)
      return dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY,
                       "%s: version definitions extend past their section",
                       e->name);
    uint16_t ndx = dl_elf_u16(e, d + 4) & 0x7fff;
    uint32_t aux = dl_elf_u32(e, d + 12), next = dl_elf_u32(e, d + 16);
    if (aux < 20 || off + aux > end || end - (off + aux) < 8 ||
        dl_elf_read(e, off + aux, a, 8, "version name", err) != 0)
      return dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY,
                       "%s: a version name entry is past its section", e->name);
    if (v->names[ndx] == NULL &&
        dup_string(e, strtab->offset, strtab->size, dl_elf_u32(e, a),
                   &v->names[ndx], err) != 0)
      return -1;
    if (next == 0) break;
    off += next;
  }
  return 0;
}

static int sym_kind(unsigned type) {
  switch (type) {
    case STT_FUNC: return DL_SYM_FUNC;
    case STT_OBJECT: return DL_SYM_OBJECT;
    case STT_TLS: return DL_SYM_TLS;
    case STT_GNU_IFUNC: return DL_SYM_IFUNC;
    default: return DL_SYM_OTHER;
  }
}

typedef struct symtabs {
  dl_elf_shdr dynsym, strtab, versym, verdef, verstr;
  int has_versym, has_verdef;
} symtabs;

static int find_symtabs(const dl_elf *e, symtabs *t, dynlib_error *err) {
  int found = 0;
  for (unsigned i = 0; i < e->shnum; i++) {
    dl_elf_shdr sh;
    if (dl_elf_shdr_get(e, i, &sh, err) != 0) return -1;
    if (sh.type == SHT_DYNSYM && !found) {
      t->dynsym = sh;
      found = 1;
    } else if (sh.type == SHT_GNU_versym) {
      t->versym = sh;
      t->has_versym = 1;
    } else if (sh.type == SHT_GNU_verdef) {
      t->verdef = sh;
      t->has_verdef = 1;
    }
  }
  if (!found) return 0;
  if (t->dynsym.link >= e->shnum ||
      dl_elf_shdr_get(e, t->dynsym.link, &t->strtab, err) != 0)
    return dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY,
                     "%s: the dynamic symbol table's string table is invalid",
                     e->name);
  if (t->has_verdef && (t->verdef.link >= e->shnum ||
                        dl_elf_shdr_get(e, t->verdef.link, &t->verstr, err) != 0))
    return dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY,
                     "%s: the version definitions' string table is invalid",
                     e->name);
  return 1;
}

/* An address through PT_LOAD to a file offset, or an error naming the tag. */
static int map_tag(const dl_elf *e, uint64_t addr, const char *tag,
                   uint64_t *off, dynlib_error *err) {
  int r = vaddr_to_offset(e, addr, off, err);
  if (r < 0) return -1;
  if (r == 0)
    return dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY,
                     "%s: %s is outside every PT_LOAD segment", e->name, tag);
  return 0;
}

/* The number of symbols a DT_GNU_HASH table covers: past the highest
 * bucket, along its chain to the end marker. Every read is checked. */
static int gnu_hash_count(const dl_elf *e, uint64_t off, uint64_t *count,
                          dynlib_error *err) {
  unsigned char h[16], w[4];
  if (dl_elf_read(e, off, h, 16, "GNU hash table", err) != 0) return -1;
  uint64_t nbuckets = dl_elf_u32(e, h), symoffset = dl_elf_u32(e, h + 4);
  uint64_t bloom = dl_elf_u32(e, h + 8), word = e->is64 ? 8 : 4;
  uint64_t buckets = off + 16 + bloom * word;
  if (bloom > e->size / word || nbuckets > e->size / 4 ||
      !dl_elf_in_file(e, buckets, nbuckets * 4))
    return dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY,
                     "%s: GNU hash table extends past the end of the file",
                     e->name);
  uint64_t max = 0;
  for (uint64_t i = 0; i < nbuckets; i++) {
    if (dl_elf_read(e, buckets + i * 4, w, 4, "GNU hash table", err) != 0) return -1;
    if (dl_elf_u32(e, w) > max) max = dl_elf_u32(e, w);
  }
  if (max < symoffset) {
    *count = symoffset;
    return 0;
  }
  uint64_t chains = buckets + nbuckets * 4;
  for (uint64_t i = max;; i++) {
    if (!dl_elf_in_file(e, chains + (i - symoffset) * 4, 4))
      return dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY,
                       "%s: GNU hash chain runs past the end of the file",
                       e->name);
    if (dl_elf_read(e, chains + (i - symoffset) * 4, w, 4, "GNU hash table", err) != 0)
      return -1;
    if (dl_elf_u32(e, w) & 1) {
      *count = i + 1;
      return 0;
    }
  }
}

/* Without a section table: the dynamic symbols through PT_DYNAMIC
 * (DT_SYMTAB, DT_STRTAB, and DT_HASH or DT_GNU_HASH for their number). */
static int find_symtabs_dynamic(const dl_elf *e, symtabs *t, dynlib_error *err) {
  dl_elf_phdr dyn;
  int found = find_dynamic(e, &dyn, err);
  if (found <= 0) return found;
  dyn_info d;
  memset(&d, 0, sizeof d);
  int rc = collect_dynamic(e, &dyn, &d, err);
  free(d.needed);
  if (rc != 0) return -1;
  if (!d.has_symtab || !d.has_strtab || !(d.has_hash || d.has_gnu_hash)) return 0;
  uint64_t entsize = e->is64 ? 24 : 16, sym, str, count = 0;
  if (map_tag(e, d.symtab, "DT_SYMTAB", &sym, err) != 0 ||
      map_tag(e, d.strtab, "DT_STRTAB", &str, err) != 0)
    return -1;
  if (d.has_hash) {
    uint64_t h;
    unsigned char b[8];
    if (map_tag(e, d.hash, "DT_HASH", &h, err) != 0 ||
        dl_elf_read(e, h, b, 8, "hash table", err) != 0)
      return -1;
    count = dl_elf_u32(e, b + 4); /* nchain: one per symbol */
  } else {
    uint64_t h;
    if (map_tag(e, d.gnu_hash, "DT_GNU_HASH", &h, err) != 0 ||
        gnu_hash_count(e, h, &count, err) != 0)
      return -1;
  }
  if (count > e->size / entsize || !dl_elf_in_file(e, sym, count * entsize))
    return dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY,
                     "%s: dynamic symbol table runs past the end of the file",
                     e->name);
  t->dynsym.offset = sym;
  t->dynsym.size = count * entsize;
  t->dynsym.entsize = d.syment ? d.syment : entsize;
  t->strtab.offset = str;
  t->strtab.size = d.strsz;
  if (d.has_versym) {
    if (map_tag(e, d.versym, "DT_VERSYM", &t->versym.offset, err) != 0) return -1;
    t->versym.size = count * 2;
    if (!dl_elf_in_file(e, t->versym.offset, t->versym.size))
      return dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY,
                       "%s: symbol version table runs past the end of the file",
                       e->name);
    t->has_versym = 1;
  }
  if (d.has_verdef) {
    if (map_tag(e, d.verdef, "DT_VERDEF", &t->verdef.offset, err) != 0) return -1;
    t->verdef.size = e->size - t->verdef.offset; /* entries are checked one by one */
    t->verdef.info = (uint32_t)(d.verdefnum < 0x8000 ? d.verdefnum : 0x8000);
    t->verstr = t->strtab;
    t->has_verdef = 1;
  }
  return 1;
}

/* One symbol: defined, not absolute, global/weak/unique -> an export. */
static int add_export(const dl_elf *e, const unsigned char *s, uint16_t vs,
                      const strbuf *names, const verdefs *v, dl_inspection *in,
                      dynlib_error *err) {
  uint32_t name = dl_elf_u32(e, s);
  unsigned char info = e->is64 ? s[4] : s[12];
  uint16_t shndx = e->is64 ? dl_elf_u16(e, s + 6) : dl_elf_u16(e, s + 14);
  unsigned bind = info >> 4, type = info & 0xf;
  if (shndx == SHN_UNDEF || shndx == SHN_ABS || name == 0) return 0;
  if (bind != STB_GLOBAL && bind != STB_WEAK && bind != STB_GNU_UNIQUE) return 0;
  if (type == STT_SECTION || type == STT_FILE) return 0;
  dl_export *x = &in->exports[in->nexports];
  if (table_string(e, names, name, &x->name, err) != 0) return -1;
  in->nexports++;
  x->kind = (uint8_t)sym_kind(type);
  unsigned idx = vs & 0x7fff;
  if (idx >= 2 && v->names && idx < v->n && v->names[idx]) {
    x->version = strdup(v->names[idx]);
    if (x->version == NULL) return oom(e, err);
    x->is_default = !(vs & 0x8000);
  }
  return 0;
}

static int read_exports(const dl_elf *e, dl_inspection *in, dynlib_error *err) {
  symtabs t;
  memset(&t, 0, sizeof t);
  int r = e->shnum ? find_symtabs(e, &t, err) : 0;
  if (r == 0) {
    memset(&t, 0, sizeof t);
    r = find_symtabs_dynamic(e, &t, err);
  }
  if (r <= 0) return r;
  size_t entsize = e->is64 ? 24 : 16;
  if (t.dynsym.entsize != entsize)
    return dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY,
                     "%s: dynamic symbol entry size %llu, expected %zu", e->name,
                     (unsigned long long)t.dynsym.entsize, entsize);
  uint64_t count = t.dynsym.size / entsize; /* in the file: shdr_get checked */
  if (t.has_versym && t.versym.size / 2 < count)
    return dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY,
                     "%s: symbol version table is shorter than the symbol "
                     "table",
                     e->name);
  verdefs v = {NULL, 0};
  if (t.has_verdef && read_verdefs(e, &t.verdef, &t.verstr, &v, err) != 0) {
    verdefs_free(&v);
    return -1;
  }
  strbuf names;
  int rc = load_strtab(e, t.strtab.offset, t.strtab.size, &names, err);
  if (rc == 0) {
    in->exports = calloc(count ? count : 1, sizeof *in->exports);
    if (in->exports == NULL) rc = oom(e, err);
  }
  unsigned char syms[SYM_BATCH * 24], vers[SYM_BATCH * 2];
  for (uint64_t i = 0; rc == 0 && i < count; i += SYM_BATCH) {
    uint64_t n = count - i < SYM_BATCH ? count - i : SYM_BATCH;
    rc = dl_elf_read(e, t.dynsym.offset + i * entsize, syms, (size_t)(n * entsize),
                     "dynamic symbol table", err);
    if (rc == 0 && t.has_versym)
      rc = dl_elf_read(e, t.versym.offset + i * 2, vers, (size_t)(n * 2),
                       "symbol version table", err);
    for (uint64_t j = 0; rc == 0 && j < n; j++) {
      uint16_t vs = t.has_versym ? dl_elf_u16(e, vers + j * 2) : 1;
      rc = add_export(e, syms + j * entsize, vs, &names, &v, in, err);
    }
  }
  free(names.data);
  verdefs_free(&v);
  return rc;
}

/* ---- entry points ------------------------------------------------------ */

int dl_inspect(const dl_elf *e, dl_inspection *in, dynlib_error *err) {
  memset(in, 0, sizeof *in);
  in->is64 = e->is64;
  in->big_endian = e->big_endian;
  in->type = e->type;
  in->machine = e->machine;
  in->osabi = e->osabi;
  in->compatible = dl_elf_compatible(e);
  if (e->shnum > 0 && (e->shentsize < (e->is64 ? 64 : 40) ||
                       e->shnum > e->size / e->shentsize ||
                       !dl_elf_in_file(e, e->shoff, (uint64_t)e->shnum * e->shentsize))) {
    dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY,
              "%s: section header table extends past the end of the file",
              e->name);
    return -1;
  }
  if (read_sections(e, in, err) != 0 || read_dynamic(e, in, err) != 0 ||
      read_exports(e, in, err) != 0) {
    dl_inspect_free(in);
    return -1;
  }
  return 0;
}

int dl_inspect_dynamic(const dl_elf *e, dl_inspection *in, dynlib_error *err) {
  memset(in, 0, sizeof *in);
  if (read_dynamic(e, in, err) != 0) {
    dl_inspect_free(in);
    return -1;
  }
  return 0;
}

void dl_inspect_free(dl_inspection *in) {
  free(in->soname);
  free(in->rpath);
  free(in->runpath);
  free(in->interp);
  for (size_t i = 0; i < in->nneeded; i++) free(in->needed[i]);
  free(in->needed);
  for (size_t i = 0; i < in->nsections; i++) free(in->sections[i].name);
  free(in->sections);
  for (size_t i = 0; i < in->nexports; i++) {
    free(in->exports[i].name);
    free(in->exports[i].version);
  }
  free(in->exports);
  memset(in, 0, sizeof *in);
}

int dl_section_bytes(const dl_elf *e, const char *name, size_t max,
                     char **bytes, size_t *len, dynlib_error *err) {
  dl_elf_shdr sh;
  int r = dl_elf_section_by_name(e, name, &sh, err);
  if (r < 0) return -1;
  if (r == 0)
    return dl_seterr(err, DYNLIB_E_NOT_FOUND, "%s: no section named %s",
                     e->name, name);
  if (sh.type == SHT_NOBITS)
    return dl_seterr(err, DYNLIB_E_NOT_FOUND,
                     "%s: section %s has no bytes in the file (NOBITS)", e->name,
                     name);
  if (sh.size > max)
    return dl_seterr(err, DYNLIB_E_IO, "%s: section %s is larger than %zu bytes",
                     e->name, name, max);
  *bytes = malloc(sh.size ? (size_t)sh.size : 1);
  if (*bytes == NULL) return oom(e, err);
  if (dl_elf_read(e, sh.offset, *bytes, (size_t)sh.size, "section", err) != 0) {
    free(*bytes);
    return -1;
  }
  *len = (size_t)sh.size;
  return 0;
}

void dl_inspect_fuzz(const dl_elf *e) {
  dl_inspection in;
  dynlib_error err;
  if (dl_inspect(e, &in, &err) == 0) dl_inspect_free(&in);
  char *b;
  size_t n;
  if (dl_section_bytes(e, ".note.gnu.build-id", 4096, &b, &n, &err) == 0) free(b);
}

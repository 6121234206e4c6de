/*
 * elf_symbols.c - exports from .dynsym, .gnu.version and .gnu.version_d
 * (see elf_symbols.h).
 *
 * The symbol table is found through the section table (SHT_DYNSYM, its
 * names through sh_link) or, when the section table was stripped, through
 * PT_DYNAMIC (DT_SYMTAB, DT_STRTAB, and DT_GNU_HASH or DT_HASH for the
 * number of symbols). Symbols and version indices are read in batches,
 * names looked up in the string table read once.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "formats/elf_defs.h"
#include "formats/elf_dynamic.h"
#include "formats/elf_symbols.h"
#include "base/internal.h"

#define SYM_BATCH 256
#define MAX_STRTAB (256u << 20)
#define MAX_VERSIONS 0x8000 /* version indices are 15 bits */

static int oom(const dl_elf *e, dynlib_error *err) {
  return dl_seterr(err, DYNLIB_E_IO, "%s: out of memory", e->name);
}

/* ---- a string table in memory ------------------------------------------ */

typedef struct strtab {
  char *data;
  uint64_t size;
} strtab;

static int strtab_load(const dl_elf *e, const dl_elf_shdr *sh, strtab *t,
                       dynlib_error *err) {
  t->data = NULL;
  t->size = 0;
  if (sh->type == SHT_NOBITS || !dl_elf_in_file(e, sh->offset, sh->size) ||
      sh->size > MAX_STRTAB)
    return dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY,
                     "%s: the dynamic symbols' string table extends past the "
                     "end of the file",
                     e->name);
  t->data = malloc(sh->size ? (size_t)sh->size : 1);
  if (t->data == NULL) return oom(e, err);
  t->size = sh->size;
  return dl_elf_read(e, sh->offset, t->data, (size_t)sh->size, "string table",
                     err);
}

/* The name at idx, checked to end inside the table. */
static int strtab_name(const dl_elf *e, const strtab *t, uint64_t idx,
                       const char **out, dynlib_error *err) {
  if (idx >= t->size)
    return dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY,
                     "%s: symbol name offset %llu is past the end of its table",
                     e->name, (unsigned long long)idx);
  uint64_t avail = t->size - idx;
  if (avail > DL_ELF_MAX_STRING) avail = DL_ELF_MAX_STRING;
  if (memchr(t->data + idx, '\0', (size_t)avail) == NULL)
    return dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY,
                     "%s: unterminated symbol name in the string table",
                     e->name);
  *out = t->data + idx;
  return 0;
}

/* ---- version definitions (.gnu.version_d) ------------------------------- */

typedef struct verdefs {
  char **names; /* by version index; grown to the largest index seen */
  size_t n;
} verdefs;

static int verdefs_set(const dl_elf *e, verdefs *v, unsigned ndx, char *name,
                       dynlib_error *err) {
  if (ndx >= v->n) {
    char **n = realloc(v->names, (ndx + 1) * sizeof *n);
    if (n == NULL) {
      free(name);
      return oom(e, err);
    }
    memset(n + v->n, 0, (ndx + 1 - v->n) * sizeof *n);
    v->names = n;
    v->n = ndx + 1;
  }
  if (v->names[ndx] == NULL) v->names[ndx] = name;
  else free(name); /* the first definition of an index wins */
  return 0;
}

/* Walks the Verdef chain: each record (20 bytes) names its first Verdaux
 * (8 bytes), whose vda_name is the version's name. Offsets only move
 * forward and stay inside the section. */
static int read_verdefs(const dl_elf *e, const dl_elf_shdr *sh,
                        const dl_elf_shdr *str, verdefs *v, dynlib_error *err) {
  if (!dl_elf_in_file(e, sh->offset, sh->size))
    return dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY,
                     "%s: version definitions extend past the end of the file",
                     e->name);
  uint64_t off = sh->offset, end = sh->offset + sh->size; /* in the file */
  for (uint32_t i = 0; i < sh->info && i < MAX_VERSIONS; i++) {
    unsigned char d[20], a[8];
    if (end - off < 20 || dl_elf_read(e, off, d, 20, "version definition", err))
      return dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY,
                       "%s: version definitions extend past their section",
                       e->name);
    unsigned ndx = dl_elf_u16(e, d + 4) & 0x7fff;
    uint32_t aux = dl_elf_u32(e, d + 12), next = dl_elf_u32(e, d + 16);
    if (aux < 20 || aux > end - off || end - off - aux < 8 ||
        dl_elf_read(e, off + aux, a, 8, "version name", err) != 0)
      return dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY,
                       "%s: a version name entry is past its section", e->name);
    char *name;
    if (dl_elf_strdup(e, str->offset, str->size, dl_elf_u32(e, a), &name, err) ||
        verdefs_set(e, v, ndx, name, err))
      return -1;
    if (next == 0 || next > end - off) break;
    off += next;
  }
  return 0;
}

/* ---- where the tables are ------------------------------------------------ */

typedef struct symtabs {
  dl_elf_shdr dynsym, strtab, versym, verdef, verstr;
  int has_versym, has_verdef;
} symtabs;

/* Through the section table: 1 with the tables found, 0 without a
 * .dynsym, -1 on error. */
static int find_symtabs(const dl_elf *e, symtabs *t, dynlib_error *err) {
  int found = 0;
  for (unsigned i = 0; i < e->shnum; i++) {
    dl_elf_shdr sh;
    if (dl_elf_shdr_get(e, i, &sh, err) != 0) return -1;
    if (sh.type == SHT_DYNSYM && !found) {
      t->dynsym = sh;
      found = 1;
    } else if (sh.type == SHT_GNU_versym && !t->has_versym) {
      t->versym = sh;
      t->has_versym = 1;
    } else if (sh.type == SHT_GNU_verdef && !t->has_verdef) {
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
                        dl_elf_shdr_get(e, t->verdef.link, &t->verstr, err)))
    return dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY,
                     "%s: the version definitions' string table is invalid",
                     e->name);
  return 1;
}

/* An address from the dynamic table as a file offset, or an error naming
 * the tag. */
static int map_tag(const dl_elf *e, uint64_t addr, const char *tag,
                   uint64_t *off, dynlib_error *err) {
  int r = dl_elf_vaddr_to_offset(e, addr, off, NULL, err);
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
  if (bloom > e->size / word || nbuckets > e->size / 4 ||
      !dl_elf_in_file(e, off + 16, bloom * word) ||
      !dl_elf_in_file(e, off + 16 + bloom * word, nbuckets * 4))
    return dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY,
                     "%s: GNU hash table extends past the end of the file",
                     e->name);
  uint64_t buckets = off + 16 + bloom * word, max = 0;
  for (uint64_t i = 0; i < nbuckets; i++) {
    if (dl_elf_read(e, buckets + i * 4, w, 4, "GNU hash table", err) != 0)
      return -1;
    if (dl_elf_u32(e, w) > max) max = dl_elf_u32(e, w);
  }
  if (max < symoffset) {
    *count = symoffset;
    return 0;
  }
  /* The chain of the highest bucket ends with a value whose low bit is 1. */
  uint64_t chains = buckets + nbuckets * 4;
  for (uint64_t i = max - symoffset;; i++) {
    if (i > e->size / 4 || !dl_elf_in_file(e, chains, (i + 1) * 4))
      return dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY,
                       "%s: GNU hash chain runs past the end of the file",
                       e->name);
    if (dl_elf_read(e, chains + i * 4, w, 4, "GNU hash table", err) != 0)
      return -1;
    if (dl_elf_u32(e, w) & 1) {
      *count = symoffset + i + 1;
      return 0;
    }
  }
}

/* The number of dynamic symbols, from DT_HASH's nchain or DT_GNU_HASH. */
static int dynamic_count(const dl_elf *e, const dl_elf_dynamic *d,
                         uint64_t *count, dynlib_error *err) {
  uint64_t h;
  if (d->has_hash) {
    unsigned char b[8];
    if (map_tag(e, d->hash, "DT_HASH", &h, err) != 0 ||
        dl_elf_read(e, h, b, 8, "hash table", err) != 0)
      return -1;
    *count = dl_elf_u32(e, b + 4);
    return 0;
  }
  if (map_tag(e, d->gnu_hash, "DT_GNU_HASH", &h, err) != 0) return -1;
  return gnu_hash_count(e, h, count, err);
}

/* Without a section table: the same tables through PT_DYNAMIC. 1 found,
 * 0 when the dynamic table does not say where they are, -1 on error. */
static int find_symtabs_dynamic(const dl_elf *e, symtabs *t,
                                dynlib_error *err) {
  dl_elf_dynamic d;
  if (dl_elf_dynamic_read(e, &d, err) != 0) return -1;
  dl_elf_dynamic_free(&d); /* only the scalar tags are used */
  if (!d.has_symtab || !d.has_strtab || !(d.has_hash || d.has_gnu_hash))
    return 0;
  uint64_t entsize = e->is64 ? 24 : 16, count = 0;
  if (map_tag(e, d.symtab, "DT_SYMTAB", &t->dynsym.offset, err) != 0 ||
      map_tag(e, d.strtab_addr, "DT_STRTAB", &t->strtab.offset, err) != 0 ||
      dynamic_count(e, &d, &count, err) != 0)
    return -1;
  if (count > e->size / entsize ||
      !dl_elf_in_file(e, t->dynsym.offset, count * entsize))
    return dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY,
                     "%s: dynamic symbol table runs past the end of the file",
                     e->name);
  t->dynsym.size = count * entsize;
  t->dynsym.entsize = d.syment ? d.syment : entsize;
  t->strtab.size = d.strsz;
  if (d.has_versym) {
    if (map_tag(e, d.versym, "DT_VERSYM", &t->versym.offset, err) != 0)
      return -1;
    t->versym.size = count * 2;
    if (!dl_elf_in_file(e, t->versym.offset, t->versym.size))
      return dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY,
                       "%s: symbol version table runs past the end of the "
                       "file",
                       e->name);
    t->has_versym = 1;
  }
  if (d.has_verdef) {
    if (map_tag(e, d.verdef, "DT_VERDEF", &t->verdef.offset, err) != 0)
      return -1;
    /* Records are checked one by one against the end of the file. */
    t->verdef.size = e->size - t->verdef.offset;
    t->verdef.info = (uint32_t)(d.verdefnum < MAX_VERSIONS ? d.verdefnum
                                                           : MAX_VERSIONS);
    t->verstr = t->strtab;
    t->has_verdef = 1;
  }
  return 1;
}

/* ---- the symbols ---------------------------------------------------------- */

static int sym_kind(unsigned type) {
  switch (type) {
    case STT_FUNC: return DL_SYM_FUNC;
    case STT_OBJECT: return DL_SYM_OBJECT;
    case STT_TLS: return DL_SYM_TLS;
    case STT_GNU_IFUNC: return DL_SYM_IFUNC;
    default: return DL_SYM_OTHER;
  }
}

/* One symbol record: an export if defined, not absolute, named, and
 * global, weak or unique. vs is its .gnu.version entry (1 without one). */
static int add_export(const dl_elf *e, const unsigned char *s, uint16_t vs,
                      const strtab *names, const verdefs *v, dl_exports *x,
                      dynlib_error *err) {
  uint32_t name = dl_elf_u32(e, s);
  unsigned char info = e->is64 ? s[4] : s[12];
  uint16_t shndx = e->is64 ? dl_elf_u16(e, s + 6) : dl_elf_u16(e, s + 14);
  unsigned bind = info >> 4, type = info & 0xf;
  if (shndx == SHN_UNDEF || shndx == SHN_ABS || name == 0) return 0;
  if (bind != STB_GLOBAL && bind != STB_WEAK && bind != STB_GNU_UNIQUE) return 0;
  if (type == STT_SECTION || type == STT_FILE) return 0;
  dl_export *out = &x->list[x->n];
  memset(out, 0, sizeof *out);
  if (strtab_name(e, names, name, &out->name, err) != 0) return -1;
  x->n++;
  out->kind = (uint8_t)sym_kind(type);
  unsigned idx = vs & 0x7fff; /* 0 local, 1 global: no version to show */
  if (idx >= 2 && idx < v->n && v->names[idx]) {
    out->version = v->names[idx];
    out->is_default = !(vs & 0x8000);
  }
  return 0;
}

static int read_symbols(const dl_elf *e, const symtabs *t, const verdefs *v,
                        uint64_t count, dl_exports *x, dynlib_error *err) {
  strtab names;
  int rc = strtab_load(e, &t->strtab, &names, err);
  x->strings = names.data; /* the names point into it: freed with them */
  if (rc == 0) {
    x->list = calloc(count ? (size_t)count : 1, sizeof *x->list);
    if (x->list == NULL) rc = oom(e, err);
  }
  size_t entsize = e->is64 ? 24 : 16;
  unsigned char syms[SYM_BATCH * 24], vers[SYM_BATCH * 2];
  for (uint64_t i = 0; rc == 0 && i < count; i += SYM_BATCH) {
    uint64_t n = count - i < SYM_BATCH ? count - i : SYM_BATCH;
    rc = dl_elf_read(e, t->dynsym.offset + i * entsize, syms,
                     (size_t)(n * entsize), "dynamic symbol table", err);
    if (rc == 0 && t->has_versym)
      rc = dl_elf_read(e, t->versym.offset + i * 2, vers, (size_t)(n * 2),
                       "symbol version table", err);
    for (uint64_t j = 0; rc == 0 && j < n; j++) {
      uint16_t vs = t->has_versym ? dl_elf_u16(e, vers + j * 2) : 1;
      rc = add_export(e, syms + j * entsize, vs, &names, v, x, err);
    }
  }
  return rc;
}

int dl_elf_exports(const dl_elf *e, dl_exports *x, dynlib_error *err) {
  memset(x, 0, sizeof *x);
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
  /* dl_elf_shdr_get checked the table against the file: count is bounded
   * by the file's size before anything is allocated for it. */
  uint64_t count = t.dynsym.size / entsize;
  if (t.has_versym && t.versym.size / 2 < count)
    return dl_seterr(err, DYNLIB_E_NOT_A_LIBRARY,
                     "%s: symbol version table is shorter than the symbol "
                     "table",
                     e->name);
  verdefs v = {NULL, 0};
  int rc = t.has_verdef ? read_verdefs(e, &t.verdef, &t.verstr, &v, err) : 0;
  x->versions = v.names; /* the exports point into them */
  x->nversions = v.n;
  if (rc == 0) rc = read_symbols(e, &t, &v, count, x, err);
  if (rc != 0) dl_exports_free(x);
  return rc;
}

void dl_exports_free(dl_exports *x) {
  for (size_t i = 0; i < x->nversions; i++) free(x->versions[i]);
  free(x->versions);
  free(x->list);
  free(x->strings);
  memset(x, 0, sizeof *x);
}

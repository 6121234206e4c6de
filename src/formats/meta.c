/*
 * meta.c - a plugin's metadata record, found without loading the plugin.
 *
 * The record is an ELF note (owner "dynlib", type DYNLIB_NOTE_TYPE) whose
 * descriptor holds: format, ABI, JSON length, JSON text (dynlib_plugin.h).
 * Order of the search: the PT_NOTE segments (one small read near the start
 * of the file), then the section table (.note.dynlib), and only for a
 * shared object whose section table is missing or unusable (never a core
 * dump: those can be huge), a chunked search of the whole file for the
 * note's header (memmem, bounded chunks overlapping by the pattern's length
 * so a header straddling two chunks is found, holes of sparse files
 * skipped). Every length is checked before anything is read or allocated.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "formats/elf_defs.h"
#include "dynlib_plugin.h"
#include "base/file.h"
#include "base/internal.h"
#include "formats/format.h"
#include "formats/meta.h"
#include "formats/pe.h"

/* glibc's memmem is a two-way search (GB/s); elsewhere the first byte is
 * found with memchr and the rest compared. */
#if defined(__GLIBC__)
#define find_bytes memmem
#else
static void *find_bytes(const void *hay, size_t n, const void *needle, size_t m) {
  const unsigned char *h = hay, *end = h + n, *k = needle;
  if (m == 0) return (void *)h;
  while (n >= m && (h = memchr(h, k[0], n - m + 1)) != NULL) {
    if (memcmp(h, k, m) == 0) return (void *)h;
    h++;
    n = (size_t)(end - h);
  }
  return NULL;
}
#endif

#define NOTE_HEADER 12
#define NAME_SIZE 8 /* "dynlib\0" padded to 4 */
#define DESC_FIXED 12 /* format, abi, length */
#define SEARCH_CHUNK (256u << 10)
#define MAX_NOTES 4096
#define PHDR_BATCH 1024 /* bytes of program headers read at once */
/* The way out of no_metadata. */
#define NO_META_HINT \
  " (a plugin declares it with DYNLIB_PLUGIN from dynlib_plugin.h)"

/* The 20 bytes a note of ours starts with, in the file's byte order. Built
 * at run time so that dynlib's own binary never holds them contiguously
 * (the search would find dynlib itself). */
static void note_pattern(const dl_elf *e, unsigned char pat[NOTE_HEADER + NAME_SIZE],
                         uint32_t descsz) {
  uint32_t v[3] = {7, descsz, DYNLIB_NOTE_TYPE};
  for (int i = 0; i < 3; i++)
    for (int b = 0; b < 4; b++)
      pat[i * 4 + b] = (unsigned char)(e->big_endian ? v[i] >> (24 - 8 * b)
                                                     : v[i] >> (8 * b));
  const char owner[] = {'d', 'y', 'n', 'l', 'i', 'b', 0, 0};
  memcpy(pat + NOTE_HEADER, owner, NAME_SIZE);
}

/* The first offset >= i that is not ASCII (or n): eight bytes at a time,
 * so that the usual all-ASCII text costs about one test per word. */
static size_t ascii_end(const unsigned char *s, size_t i, size_t n) {
  const uint64_t high = 0x8080808080808080u;
  for (; n - i >= 8; i += 8) {
    uint64_t w;
    memcpy(&w, s + i, 8);
    if (w & high) break;
  }
  while (i < n && s[i] < 0x80) i++;
  return i;
}

/* The offset of the first byte that is not part of a well-formed UTF-8
 * sequence (RFC 3629: no overlong forms, no surrogates, nothing past
 * U+10FFFF), or n when all of s is UTF-8. */
static size_t utf8_invalid_at(const char *text, size_t n) {
  const unsigned char *s = (const unsigned char *)text;
  size_t i = 0;
  while (i < n) {
    unsigned c = s[i];
    size_t more;
    unsigned lo = 0x80, hi = 0xBF; /* the range of the second byte */
    if (c < 0x80) {
      i = ascii_end(s, i + 1, n); /* metadata is mostly ASCII */
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      more = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      more = 2;
      if (c == 0xE0) lo = 0xA0;      /* overlong */
      else if (c == 0xED) hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
      more = 3;
      if (c == 0xF0) lo = 0x90;      /* overlong */
      else if (c == 0xF4) hi = 0x8F; /* past U+10FFFF */
    } else {
      return i;
    }
    if (n - i <= more) return i;
    if (s[i + 1] < lo || s[i + 1] > hi) return i;
    for (size_t k = 2; k <= more; k++)
      if ((s[i + k] & 0xC0) != 0x80) return i;
    i += more + 1;
  }
  return n;
}

/* Empties out, keeping where its text is to go. */
static void clear(dl_meta *out) {
  dl_meta_alloc_fn alloc = out->alloc;
  void *ctx = out->alloc_ctx;
  memset(out, 0, sizeof *out);
  out->alloc = alloc;
  out->alloc_ctx = ctx;
}

/* A text read_desc allocated and did not keep. */
static void drop_text(const dl_meta *out, char *json) {
  if (out->alloc == NULL) free(json);
}

/* Decodes our descriptor at desc_off (desc_size bytes inside the note). */
static int read_desc(const dl_elf *e, uint64_t desc_off, uint64_t desc_size,
                     int source, dl_meta *out, dynlib_error *err) {
  unsigned char fixed[DESC_FIXED];
  if (desc_size < DESC_FIXED)
    return dl_seterr(err, DYNLIB_E_BAD_METADATA,
                     "%s: metadata record too short (%llu bytes)", e->name,
                     (unsigned long long)desc_size);
  if (dl_elf_read(e, desc_off, fixed, DESC_FIXED, "metadata record", err) != 0)
    return -1;
  uint32_t format = dl_elf_u32(e, fixed), abi = dl_elf_u32(e, fixed + 4);
  uint32_t len = dl_elf_u32(e, fixed + 8);
  if (format != DYNLIB_NOTE_FORMAT)
    return dl_seterr(err, DYNLIB_E_BAD_METADATA,
                     "%s: metadata record format %u is not supported (this "
                     "dynlib reads format %u)",
                     e->name, format, DYNLIB_NOTE_FORMAT);
  if (len > desc_size - DESC_FIXED)
    return dl_seterr(err, DYNLIB_E_BAD_METADATA,
                     "%s: metadata length %u runs past its note (which has "
                     "room for %llu bytes): the record is corrupt",
                     e->name, len, (unsigned long long)(desc_size - DESC_FIXED));
  if (len > DL_META_MAX_JSON)
    return dl_seterr(err, DYNLIB_E_BAD_METADATA,
                     "%s: metadata is %u bytes, over the limit of %u bytes "
                     "(1 MiB); keep the plugin's metadata smaller (large data "
                     "belongs in a file or in the plugin's code)",
                     e->name, len, (unsigned)DL_META_MAX_JSON);
  char *json = out->alloc ? out->alloc(out->alloc_ctx, (size_t)len + 1) : malloc((size_t)len + 1);
  if (json == NULL)
    return dl_seterr(err, DYNLIB_E_IO, "%s: out of memory", e->name);
  if (dl_elf_read(e, desc_off + DESC_FIXED, json, len, "metadata", err) != 0) {
    drop_text(out, json);
    return -1;
  }
  json[len] = '\0';
  if (strlen(json) != len) {
    drop_text(out, json);
    return dl_seterr(err, DYNLIB_E_BAD_METADATA,
                     "%s: metadata text holds a NUL byte", e->name);
  }
  size_t bad = utf8_invalid_at(json, len);
  if (bad < len) {
    drop_text(out, json);
    return dl_seterr(err, DYNLIB_E_BAD_METADATA,
                     "%s: metadata text is not valid UTF-8 (byte %zu of %u); "
                     "JSON text must be UTF-8",
                     e->name, bad, len);
  }
  out->json = json;
  out->length = len;
  out->format = format;
  out->abi = abi;
  out->source = source;
  return 0;
}

static uint64_t align_up(uint64_t v, uint64_t a) {
  return (v + a - 1) & ~(a - 1);
}

/* Walks the notes in [off, off + size): 1 found (out set), 0 none, -1. */
static int walk_notes(const dl_elf *e, uint64_t off, uint64_t size,
                      uint64_t align, int source, dl_meta *out,
                      dynlib_error *err) {
  if (!dl_elf_in_file(e, off, size)) return 0; /* a NOBITS or odd segment */
  if (align != 8) align = 4;
  uint64_t end = off + size;
  for (int n = 0; n < MAX_NOTES && end - off >= NOTE_HEADER; n++) {
    unsigned char h[NOTE_HEADER + NAME_SIZE];
    size_t want = end - off >= sizeof h ? sizeof h : NOTE_HEADER;
    if (dl_elf_read(e, off, h, want, "note", err) != 0) return -1;
    uint64_t namesz = dl_elf_u32(e, h), descsz = dl_elf_u32(e, h + 4);
    uint32_t type = dl_elf_u32(e, h + 8);
    uint64_t name_off = off + NOTE_HEADER;
    uint64_t desc_off = name_off + align_up(namesz, align);
    if (desc_off > end || descsz > end - desc_off) break; /* malformed: stop */
    int ours = namesz == 7 && type == DYNLIB_NOTE_TYPE &&
               want == sizeof h && memcmp(h + NOTE_HEADER, "dynlib", 7) == 0;
    if (ours) return read_desc(e, desc_off, descsz, source, out, err) == 0 ? 1 : -1;
    off = desc_off + align_up(descsz, align);
    if (off > end) break;
  }
  return 0;
}

/* One PT_NOTE segment (program header i): 1 found, 0 none, -1 error,
 * -3 undecided (from_segments). */
static int from_segment(const dl_elf *e, unsigned i, int strict, dl_meta *out,
                        dynlib_error *err) {
  dl_elf_phdr ph;
  if (dl_elf_phdr_get(e, i, &ph, err) != 0) return -1;
  if (ph.type != PT_NOTE) return 0;
  if (strict && !dl_elf_in_file(e, ph.offset, ph.filesz)) return -3;
  return walk_notes(e, ph.offset, ph.filesz, ph.align, DL_META_NOTE, out, err);
}

/* The PT_NOTE segments in order: 1 found, 0 none, -1 error. With strict
 * (the head-only pass), a note segment outside the bytes at hand gives -3,
 * undecided: the whole file might hold the record there. The table is read
 * a batch of headers at a time and only a note's header decoded in full:
 * a plugin has a dozen segments and one or two notes. */
static int from_segments(const dl_elf *e, int strict, dl_meta *out,
                         dynlib_error *err) {
  unsigned char batch[PHDR_BATCH];
  size_t entsize = e->phentsize;
  unsigned per = entsize > 0 && entsize <= sizeof batch ? (unsigned)(sizeof batch / entsize) : 0;
  for (unsigned i = 0; i < e->phnum;) {
    unsigned k = per == 0 ? 1 : e->phnum - i < per ? e->phnum - i : per;
    if (per && dl_elf_read(e, e->phoff + (uint64_t)i * entsize, batch, k * entsize,
                           "program header", err) != 0)
      return -1;
    for (unsigned j = 0; j < k; j++, i++) {
      if (per && dl_elf_u32(e, batch + j * entsize) != PT_NOTE) continue;
      int r = from_segment(e, i, strict, out, err);
      if (r != 0) return r;
    }
  }
  return 0;
}

/* 1 found, 0 none, -1 error, -2 no usable section table. */
static int from_sections(const dl_elf *e, dl_meta *out, dynlib_error *err) {
  dl_elf_shdr sh;
  dynlib_error ignored;
  int r = dl_elf_section_by_name(e, ".note.dynlib", &sh, &ignored);
  if (r < 0) return -2;
  if (r == 0 || sh.type != SHT_NOTE) return 0;
  return walk_notes(e, sh.offset, sh.size, sh.addralign, DL_META_SECTION, out, err);
}

int64_t dl_meta_search(const dl_elf *e, dl_next_data_fn next_data,
                       size_t chunk) {
  unsigned char pat[NOTE_HEADER + NAME_SIZE];
  note_pattern(e, pat, 0);
  /* The descriptor size varies: search for the fixed tail (type and owner)
   * and check the name size before it. */
  const unsigned char *tail = pat + 8;
  const size_t tail_len = sizeof pat - 8;
  if (chunk < 4 * sizeof pat) chunk = 4 * sizeof pat;
  unsigned char *buf = malloc(chunk);
  if (buf == NULL) return -1;
  int64_t found = -1;
  uint64_t off = 0;
  while (off < e->size && found < 0) {
    if (next_data) {
      uint64_t data = next_data(e->ctx, off);
      if (data > off) off = data >= 8 ? data - 8 : 0; /* keep the name size */
      if (off >= e->size) break;
    }
    size_t n = e->size - off < chunk ? (size_t)(e->size - off) : chunk;
    if (e->read(e->ctx, off, buf, n) != 0) break;
    for (size_t from = 0; from + tail_len <= n;) {
      unsigned char *hit = find_bytes(buf + from, n - from, tail, tail_len);
      if (hit == NULL) break;
      size_t at = (size_t)(hit - buf);
      uint64_t hdr = off + at;
      unsigned char namesz[4];
      const unsigned char *ns = at >= 8 ? buf + at - 8 : namesz; /* in the chunk? */
      if (hdr >= 8 && (at >= 8 || e->read(e->ctx, hdr - 8, namesz, 4) == 0) &&
          memcmp(ns, pat, 4) == 0) {
        found = (int64_t)(hdr - 8);
        break;
      }
      from = at + 1;
    }
    if (n < chunk) break;
    off += n - (tail_len - 1); /* overlap: a straddling header is seen whole */
  }
  free(buf);
  return found;
}

static int from_search(const dl_elf *e, dl_next_data_fn next_data,
                       dl_meta *out, dynlib_error *err) {
  int64_t at = dl_meta_search(e, next_data, SEARCH_CHUNK);
  if (at < 0) return 0;
  unsigned char h[NOTE_HEADER];
  if (dl_elf_read(e, (uint64_t)at, h, NOTE_HEADER, "note", err) != 0) return -1;
  uint64_t descsz = dl_elf_u32(e, h + 4);
  uint64_t desc_off = (uint64_t)at + NOTE_HEADER + NAME_SIZE;
  if (desc_off > e->size || descsz > e->size - desc_off)
    return dl_seterr(err, DYNLIB_E_BAD_METADATA,
                     "%s: metadata note runs past the end of the file", e->name);
  return read_desc(e, desc_off, descsz, DL_META_SEARCH, out, err) == 0 ? 1 : -1;
}

static int read_elf(const dl_elf *e, dl_next_data_fn next_data, dl_meta *out,
                    dynlib_error *err) {
  clear(out);
  int r = from_segments(e, 0, out, err);
  if (r == 0) r = from_sections(e, out, err);
  /* Only a shared object can be a plugin: a core dump or an executable
   * without a section table is not searched (a core file can be huge). */
  if (r == -2 && e->type == ET_DYN) r = from_search(e, next_data, out, err);
  if (r == -2) r = 0;
  if (r == 1) return 0;
  if (r < 0) return -1;
  return dl_seterr(err, DYNLIB_E_NO_METADATA, "%s: no dynlib plugin metadata%s",
                   e->name, NO_META_HINT);
}

int dl_meta_read_elf(const dl_elf *e, dl_next_data_fn next_data, dl_meta *out,
                     dynlib_error *err) {
  memset(out, 0, sizeof *out);
  return read_elf(e, next_data, out, err);
}

/* A PE file: the record (the same note as in ELF, little-endian) is the
 * content of the section .dynlib, found by name; no search. */
static int read_pe(const dl_pe *p, dl_meta *out, dynlib_error *err) {
  clear(out);
  int i = dl_pe_section_by_name(p, ".dynlib");
  if (i < 0)
    return dl_seterr(err, DYNLIB_E_NO_METADATA, "%s: no dynlib plugin metadata%s",
                     p->name, NO_META_HINT);
  uint64_t off, len;
  dl_pe_section_bytes(p, (unsigned)i, &off, &len);
  /* The note walker reads through an ELF view of the same bytes: only the
   * callback, the size, the name and the byte order matter to it. */
  dl_elf view;
  memset(&view, 0, sizeof view);
  view.read = p->read;
  view.ctx = p->ctx;
  view.size = p->size;
  view.name = p->name;
  int r = walk_notes(&view, off, len, 4, DL_META_SECTION, out, err);
  if (r == 1) return 0;
  if (r < 0) return -1;
  return dl_seterr(err, DYNLIB_E_BAD_METADATA,
                   "%s: section .dynlib holds no dynlib metadata record", p->name);
}

int dl_meta_read_pe(const dl_pe *p, dl_meta *out, dynlib_error *err) {
  memset(out, 0, sizeof *out);
  return read_pe(p, out, err);
}

static int read_opened(dl_file *f, const char *path, dl_meta *out,
                       dynlib_error *err) {
  unsigned char head[4];
  size_t n = f->size < sizeof head ? (size_t)f->size : sizeof head;
  int rc = 0;
  if (dl_file_read_at(f, 0, head, n) != 0)
    rc = dl_seterr(err, DYNLIB_E_IO, "%s: cannot read", path);
  if (rc == 0 && dl_format_sniff(head, n) == DL_FORMAT_PE) {
    dl_pe p;
    rc = dl_pe_open(&p, dl_file_read_at, f, f->size, path, err);
    if (rc == 0) rc = read_pe(&p, out, err);
    dl_file_close(f);
    return rc;
  }
  dl_elf e;
  if (rc == 0) rc = dl_elf_open(&e, dl_file_read_at, f, f->size, path, err);
  if (rc == 0) rc = read_elf(&e, dl_file_next_data, out, err);
  dl_file_close(f);
  return rc;
}

/* The common case answered from the file's first bytes alone (one read,
 * no fstat): an ELF header whose program headers and note segments lie in
 * the head, our record in one of them. Taken only when the whole file
 * cannot answer otherwise: found through a PT_NOTE segment with every note
 * segment before it inside the head. Anything else (an error, a record
 * elsewhere, a PE file, a read that failed on a FIFO or a directory) is
 * undecided: the caller then checks the descriptor (regular, not empty)
 * and reads the whole file, which gives every refusal its usual reason.
 * What is left unchecked: a device node swapped in for the listed file
 * whose first bytes hold a plugin's header and record reads as that
 * plugin (nothing is loaded; the open, with its side effects, happened
 * before any fstat could look anyway). 1 found, 0 undecided. */
static int from_head(dl_file *f, const char *path, dl_meta *out) {
  size_t n = dl_file_head(f);
  if (n < 4 || dl_format_sniff(f->head, n) == DL_FORMAT_PE) return 0;
  dl_mem view = {f->head, n};
  dl_elf e;
  dynlib_error ignored;
  if (dl_elf_open(&e, dl_mem_read_at, &view, n, path, &ignored) != 0) return 0;
  if (from_segments(&e, 1, out, &ignored) == 1) return 1;
  dl_meta_free(out);
  return 0;
}

static int read_deferred(dl_file *f, const char *path, dl_meta *out,
                         dynlib_error *err) {
  clear(out);
  if (from_head(f, path, out)) {
    dl_file_close(f);
    return 0;
  }
  if (dl_file_check(f, err) != 0) return -1;
  return read_opened(f, path, out, err);
}

int dl_meta_read(const char *path, dl_meta *out, dynlib_error *err) {
  dl_file f;
  memset(out, 0, sizeof *out);
  if (dl_file_open_deferred(&f, path, 0, err) != 0) return -1;
  return read_deferred(&f, path, out, err);
}

int dl_meta_read_regular(const char *path, dl_meta *out, dynlib_error *err) {
  dl_file f;
  memset(out, 0, sizeof *out);
  if (dl_file_open_deferred(&f, path, 1, err) != 0) return -1;
  return read_deferred(&f, path, out, err);
}

int dl_meta_read_to(const char *path, int listed, dl_meta_alloc_fn alloc, void *ctx,
                    dl_meta *out, dynlib_error *err) {
  dl_file f;
  memset(out, 0, sizeof *out);
  out->alloc = alloc;
  out->alloc_ctx = ctx;
  if (dl_file_open_deferred(&f, path, listed, err) != 0) return -1;
  return read_deferred(&f, path, out, err);
}

void dl_meta_free(dl_meta *m) {
  drop_text(m, m->json);
  m->json = NULL;
}

/*
 * elf_notes.c - note lookup (see elf_notes.h). A note is a 12-byte header
 * (namesz, descsz, type), the owner's name and the descriptor, each padded
 * to the segment's alignment (4, or 8 for 8-aligned note segments).
 */
#define _GNU_SOURCE
#include <string.h>

#include "formats/elf_defs.h"
#include "formats/elf_notes.h"

#define NOTE_HEADER 12
#define MAX_NOTES 4096 /* per segment or section */
#define MAX_OWNER 32

static uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }

/* Walks [off, off + size): 1 found, 0 none, -1 read error. */
static int walk(const dl_elf *e, uint64_t off, uint64_t size, uint64_t align,
                const char *owner, uint32_t type, uint64_t *desc_off,
                uint64_t *desc_size, dynlib_error *err) {
  if (!dl_elf_in_file(e, off, size)) return 0;
  align = align == 8 ? 8 : 4;
  size_t olen = strlen(owner) + 1;
  uint64_t end = off + size;
  for (int n = 0; n < MAX_NOTES && end - off >= NOTE_HEADER; n++) {
    unsigned char h[NOTE_HEADER + MAX_OWNER];
    if (dl_elf_read(e, off, h, NOTE_HEADER, "note", err) != 0) return -1;
    uint64_t namesz = dl_elf_u32(e, h), descsz = dl_elf_u32(e, h + 4);
    uint64_t name_off = off + NOTE_HEADER;
    uint64_t d = name_off + align_up(namesz, align);
    if (namesz > end - name_off || d > end || descsz > end - d) return 0;
    if (namesz == olen && olen <= MAX_OWNER && dl_elf_u32(e, h + 8) == type) {
      if (dl_elf_read(e, name_off, h, olen, "note", err) != 0) return -1;
      if (memcmp(h, owner, olen) == 0) {
        *desc_off = d;
        *desc_size = descsz;
        return 1;
      }
    }
    uint64_t next = align_up(descsz, align);
    if (next > end - d) return 0;
    off = d + next;
  }
  return 0;
}

int dl_elf_note_find(const dl_elf *e, const char *owner, uint32_t type,
                     uint64_t *desc_off, uint64_t *desc_size,
                     dynlib_error *err) {
  for (unsigned i = 0; i < e->phnum; i++) {
    dl_elf_phdr ph;
    if (dl_elf_phdr_get(e, i, &ph, err) != 0) return -1;
    if (ph.type != PT_NOTE) continue;
    int r = walk(e, ph.offset, ph.filesz, ph.align, owner, type, desc_off,
                 desc_size, err);
    if (r != 0) return r;
  }
  /* Object and debug files have note sections but no PT_NOTE. */
  dynlib_error ignored;
  if (e->shnum == 0 || dl_elf_sections_check(e, &ignored) != 0) return 0;
  for (unsigned i = 1; i < e->shnum; i++) {
    dl_elf_shdr sh;
    if (dl_elf_shdr_get(e, i, &sh, &ignored) != 0) return 0;
    if (sh.type != SHT_NOTE) continue;
    int r = walk(e, sh.offset, sh.size, sh.addralign, owner, type, desc_off,
                 desc_size, err);
    if (r != 0) return r;
  }
  return 0;
}

/*
 * elf_notes.h - finding an ELF note (owner, type): through the PT_NOTE
 * segments first, then the SHT_NOTE sections.
 */
#ifndef DYNLIB_ELF_NOTES_H
#define DYNLIB_ELF_NOTES_H

#include <stdint.h>

#include "formats/elf.h"

/* The first note of this owner ("GNU") and type: 1 found (its descriptor
 * at *desc_off, *desc_size bytes, inside the file), 0 none, -1 on a read
 * error. A malformed note ends the walk of its segment or section: notes
 * do not matter to loading, so a broken one hides what follows it rather
 * than failing the inspection. */
int dl_elf_note_find(const dl_elf *e, const char *owner, uint32_t type,
                     uint64_t *desc_off, uint64_t *desc_size,
                     dynlib_error *err);

#endif

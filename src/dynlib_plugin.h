/*
 * dynlib_plugin.h - for plugin authors: embed metadata dynlib can read
 * without loading the plugin, and declare the entry points.
 *
 *   #include <dynlib_plugin.h>
 *
 *   DYNLIB_PLUGIN("{\"name\": \"physics\", \"version\": \"1.2.0\","
 *                 " \"iid\": \"game.Physics/1\", \"abi\": 1}");
 *
 *   DYNLIB_EXPORT void *dynlib_plugin_instance(void) { return &my_physics; }
 *
 * The metadata is an ELF note (owner "dynlib") in the section .note.dynlib.
 * The section is allocated, so the linker lists it in a PT_NOTE program
 * header near the start of the file: dynlib finds it with one or two small
 * reads, even when the section table was stripped. In a Windows DLL the
 * same record is the section .dynlib. No Lua header is needed.
 */
#ifndef DYNLIB_PLUGIN_H
#define DYNLIB_PLUGIN_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct lua_State; /* plugins that talk to Lua include lua.h themselves */

/* The dynlib plugin ABI this header describes; recorded in every note. */
#define DYNLIB_PLUGIN_ABI 1
/* The note's type and the format of its descriptor. */
#define DYNLIB_NOTE_TYPE 0x64790001u
#define DYNLIB_NOTE_FORMAT 1u

#if defined(_WIN32)
#define DYNLIB_EXPORT __declspec(dllexport)
#elif defined(__GNUC__)
#define DYNLIB_EXPORT __attribute__((visibility("default")))
#else
#define DYNLIB_EXPORT
#endif

/* `retain` keeps the note under --gc-sections (gcc 11+, clang 13+; ELF
 * only: PE has no such flag, and the linkers keep the section). */
#if defined(__has_attribute) && !defined(_WIN32)
#if __has_attribute(retain)
#define DYNLIB_RETAIN_ __attribute__((retain))
#endif
#endif
#ifndef DYNLIB_RETAIN_
#define DYNLIB_RETAIN_
#endif

/* The note: name size, descriptor size, type, name "dynlib" (padded to 8),
 * then the descriptor: format, ABI, JSON length, JSON text with its NUL.
 * The compiler pads the whole to 4 bytes, as notes require.
 *
 * Where it goes: on ELF systems the section .note.dynlib (a note); in a
 * Windows DLL the section .dynlib (PE section names longer than 8 bytes
 * need the COFF string table, which images may lack), holding the same
 * record, little-endian. mingw-w64 (gcc, clang) takes the GNU attributes;
 * MSVC declares the section (read-only) and allocates the record in it, and
 * the /include directive keeps it from /OPT:REF (the record is then
 * external: one DYNLIB_PLUGIN per DLL, as everywhere). */
#if defined(_MSC_VER) && !defined(__clang__)
#if defined(_M_IX86)
#define DYNLIB_INCLUDE_ "/include:_dynlib_plugin_note_"
#else
#define DYNLIB_INCLUDE_ "/include:dynlib_plugin_note_"
#endif
#define DYNLIB_PLACE_                                                        \
  __pragma(section(".dynlib", read))                                         \
  __pragma(comment(linker, DYNLIB_INCLUDE_))                                 \
  __declspec(allocate(".dynlib")) __declspec(align(4)) extern const
#elif defined(_WIN32)
#define DYNLIB_PLACE_                                                        \
  __attribute__((section(".dynlib"), used, aligned(4))) static const
#else
#define DYNLIB_PLACE_                                                        \
  __attribute__((section(".note.dynlib"), used, aligned(4)))                 \
  DYNLIB_RETAIN_ static const
#endif

#define DYNLIB_PLUGIN(json_text)                                             \
  DYNLIB_PLACE_ struct {                                                     \
    uint32_t namesz, descsz, type;                                           \
    char name[8];                                                            \
    uint32_t format, abi, length;                                            \
    char json[sizeof(json_text)];                                            \
  } dynlib_plugin_note_ = {7,                                                \
                           12 + sizeof(json_text),                           \
                           DYNLIB_NOTE_TYPE,                                 \
                           "dynlib",                                         \
                           DYNLIB_NOTE_FORMAT,                               \
                           DYNLIB_PLUGIN_ABI,                                \
                           sizeof(json_text) - 1,                            \
                           json_text}

/* Entry points a plugin may export (both optional):
 *
 * dynlib_plugin_instance: called once per loaded library, whatever the
 *   number of Lua states and threads asking; the result is cached until the
 *   library is really unloaded.
 * dynlib_plugin_open: called once per Lua state, like a Lua C module's
 *   luaopen_*; the library then stays loaded for the life of that state,
 *   since the C functions it registers know nothing of dynlib's handles. */
DYNLIB_EXPORT void *dynlib_plugin_instance(void);
DYNLIB_EXPORT int dynlib_plugin_open(struct lua_State *L);

#ifdef __cplusplus
}
#endif
#endif

/* A plugin for the metadata benchmark, built in a few sizes (BLOB bytes of
 * read-only data) and interfaces. No constructor: opening it costs what the
 * loader costs, nothing more. */
#include "dynlib_plugin.h"

#ifndef BLOB
#define BLOB 1
#endif
#ifndef KIND
#define KIND "Physics"
#endif

DYNLIB_PLUGIN("{\"name\": \"bench-" KIND "\", \"version\": \"1.4.2\","
              " \"iid\": \"bench." KIND "/1\", \"abi\": 1,"
              " \"description\": \"a plugin of the metadata benchmark\","
              " \"tags\": [\"bench\", \"generated\"], \"priority\": 10}");

/* Read-only data standing for a plugin's tables: makes the file bigger
 * without adding relocations or code the loader must run. */
__attribute__((used)) static const unsigned char blob[BLOB] = {1};

struct bench_plugin {
  const char *kind;
  int calls;
};
static struct bench_plugin me = {KIND, 0};

DYNLIB_EXPORT void *dynlib_plugin_instance(void) { return &me; }

DYNLIB_EXPORT int bench_step(int x) {
  me.calls++;
  return x + (int)blob[x % BLOB];
}

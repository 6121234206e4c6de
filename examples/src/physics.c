/* A physics plugin for the example game. Built twice: version 1 ships in
 * examples/plugins/, version 2 replaces it during the demo's hot reload. */
#include "dynlib_plugin.h"

#ifndef PHYSICS_VERSION
#define PHYSICS_VERSION 1
#endif
#define STR2(x) #x
#define STR(x) STR2(x)

DYNLIB_PLUGIN("{\"name\": \"physics\", \"version\": \"" STR(PHYSICS_VERSION) ".0.0\","
              " \"iid\": \"game.Physics/1\", \"abi\": 1,"
              " \"description\": \"falling bodies\", \"tags\": [\"core\", \"sim\"]}");

struct physics {
  const char *name;
  int version;
};

static struct physics me = {"physics", PHYSICS_VERSION};

DYNLIB_EXPORT void *dynlib_plugin_instance(void) { return &me; }

DYNLIB_EXPORT int physics_version(void) { return me.version; }

/* Takes the instance the game got from dynlib_plugin_instance. */
DYNLIB_EXPORT const char *physics_describe(void *instance) {
  const struct physics *p = instance;
  return p->version >= 2 ? "falling bodies with drag" : "falling bodies in a vacuum";
}

/* Height after t seconds of free fall from h0 metres (version 2 adds air). */
DYNLIB_EXPORT double physics_fall(double h0, double t) {
  double g = 9.81;
#if PHYSICS_VERSION >= 2
  g = 9.81 * 0.9; /* drag, roughly */
#endif
  double h = h0 - 0.5 * g * t * t;
  return h < 0 ? 0 : h;
}

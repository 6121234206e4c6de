/* An audio plugin: another interface in the same folder. */
#include "dynlib_plugin.h"

DYNLIB_PLUGIN("{\"name\": \"audio\", \"version\": \"0.3.1\","
              " \"iid\": \"game.Audio/1\", \"abi\": 1, \"channels\": 8}");

DYNLIB_EXPORT const char *audio_backend(void) { return "null-sink"; }
DYNLIB_EXPORT int audio_channels(void) { return 8; }

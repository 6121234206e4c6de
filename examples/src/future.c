/* A plugin built for a later dynlib ABI: the game must refuse it without
 * loading it (its constructor would say so). */
#include <stdio.h>

#include "dynlib_plugin.h"

DYNLIB_PLUGIN("{\"name\": \"future\", \"version\": \"9.0.0\","
              " \"iid\": \"game.Physics/1\", \"abi\": 99}");

__attribute__((constructor)) static void loaded(void) {
  fprintf(stderr, "future plugin code ran: it should never have been loaded\n");
}

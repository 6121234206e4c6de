/*
 * capi.c - the C API's reading without loading (dynlib.h only: metadata,
 * inspect, scan) against the suite's fixtures. spec/capi_spec.lua runs it.
 *
 *   capi check FIXTURES       the error cases and invariants; prints "ok"
 *   capi inspect FILE...      a dump of each inspection, one fact a line
 *   capi metadata FILE...     each record's facts and JSON text
 *   capi scan [-r] DIR        each item: path, code, JSON or message
 *   capi scan-paths FILE...   the same for a list of files
 *
 * The dumps are compared with dynlib.inspect, dynlib.metadata and
 * dynlib.scan by the spec: C and Lua must say the same.
 */
#include <dynlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

#define CHECK(cond)                                                        \
  do {                                                                     \
    if (!(cond)) {                                                         \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__,      \
              #cond);                                                      \
      failures++;                                                          \
    }                                                                      \
  } while (0)

static char *join(const char *dir, const char *name) {
  static char buf[4096];
  snprintf(buf, sizeof buf, "%s/%s", dir, name);
  return buf;
}

/* ---- dumps --------------------------------------------------------------- */

static void dump_inspection(const char *path) {
  dynlib_inspection *in = (dynlib_inspection *)1;
  dynlib_error err;
  if (dynlib_inspect(path, &in, &err) != 0) {
    CHECK(in == NULL);
    printf("error %s %s\n", dynlib_code_name(err.code), err.msg);
    return;
  }
  int pe = strcmp(in->format, "pe") == 0;
  CHECK(in->struct_size == sizeof *in);
  printf("format %s\nclass %d\nendian %s\n", in->format, in->bits, in->endian);
  if (in->machine) printf("machine %s\n", in->machine);
  else printf("machine %u\n", in->machine_number);
  printf("type %s\ncompatible %d\n", in->type, in->compatible);
  if (pe) {
    if (in->subsystem) printf("subsystem %s\n", in->subsystem);
    else printf("subsystem %u\n", in->subsystem_number);
    printf("aslr %d\ndep %d\nhigh_entropy_va %d\nguard_cf %d\n", in->aslr, in->dep,
           in->high_entropy_va, in->guard_cf);
    printf("dll_characteristics %u\nimage_base %llu\n", in->dll_characteristics,
           (unsigned long long)in->image_base);
    if (in->dll_name) printf("dll_name %s\n", in->dll_name);
  } else {
    printf("osabi %u\npie %d\n", in->osabi, in->pie);
    if (in->soname) printf("soname %s\n", in->soname);
    if (in->interp) printf("interp %s\n", in->interp);
    if (in->build_id) printf("build_id %s\n", in->build_id);
  }
  for (size_t i = 0; i < in->nneeded; i++) printf("needed %s\n", in->needed[i]);
  CHECK(in->needed[in->nneeded] == NULL);
  for (size_t i = 0; i < in->nrpath; i++) printf("rpath %s\n", in->rpath[i]);
  for (size_t i = 0; i < in->nrunpath; i++) printf("runpath %s\n", in->runpath[i]);
  CHECK(in->rpath[in->nrpath] == NULL && in->runpath[in->nrunpath] == NULL);
  for (size_t i = 0; i < in->nsections; i++) {
    const dynlib_section *s = in->sections[i];
    printf("section %s %s %s %llu %llu %llu", s->name, s->type, s->flags,
           (unsigned long long)s->size, (unsigned long long)s->offset,
           (unsigned long long)s->addr);
    if (pe)
      printf(" %llu %u", (unsigned long long)s->raw_size, (unsigned)s->characteristics);
    printf("\n");
  }
  CHECK(in->sections[in->nsections] == NULL);
  for (size_t i = 0; i < in->nexports; i++) {
    const dynlib_export *x = in->exports[i];
    if (pe)
      printf("export %s %u %s %s\n", x->name ? x->name : "-", x->ordinal, x->kind,
             x->forward ? x->forward : "-");
    else if (x->version)
      printf("export %s %s %s %d\n", x->name, x->kind, x->version, x->is_default);
    else
      printf("export %s %s\n", x->name, x->kind);
  }
  CHECK(in->exports[in->nexports] == NULL);
  dynlib_inspect_free(in);
}

static void dump_metadata(const char *path) {
  dynlib_meta *m = (dynlib_meta *)1;
  dynlib_error err;
  if (dynlib_metadata_record(path, &m, &err) != 0) {
    CHECK(m == NULL);
    printf("error %s %s\n", dynlib_code_name(err.code), err.msg);
    return;
  }
  CHECK(m->struct_size == sizeof *m);
  CHECK(strlen(m->json) == m->length);
  printf("format %u\nabi %u\nsource %s\nlength %zu\njson %s\n", m->format, m->abi,
         m->source, m->length, m->json);
  /* the plain form hands out the same text */
  char *json = NULL;
  size_t len = 0;
  CHECK(dynlib_metadata(path, &json, &len, &err) == 0);
  CHECK(json != NULL && len == m->length && memcmp(json, m->json, len + 1) == 0);
  free(json);
  dynlib_meta_free(m);
}

static void dump_scan(const dynlib_scan_result *r) {
  CHECK(r->struct_size == sizeof *r);
  CHECK(r->items[r->count] == NULL);
  for (size_t i = 0; i < r->count; i++) {
    const dynlib_scan_item *it = r->items[i];
    if (i > 0) CHECK(strcmp(r->items[i - 1]->path, it->path) < 0);
    if (it->code == DYNLIB_OK) {
      CHECK(it->message == NULL && strlen(it->json) == it->length);
      printf("item %s ok %u %s\n", it->path, it->abi, it->json);
    } else {
      CHECK(it->json == NULL && it->message != NULL);
      printf("item %s %s %s\n", it->path, dynlib_code_name(it->code), it->message);
    }
  }
}

/* ---- error cases and invariants ------------------------------------------ */

static void expect_error(int rc, const dynlib_error *err, dynlib_code code,
                         const char *part, const char *what) {
  if (rc == 0 || err->code != code || strstr(err->msg, part) == NULL) {
    fprintf(stderr, "%s: wanted %s with \"%s\", got rc %d, %s: %s\n", what,
            dynlib_code_name(code), part, rc, dynlib_code_name(err->code), err->msg);
    failures++;
  }
}

static void check_metadata(const char *fix) {
  dynlib_error err;
  char *json = (char *)1;
  size_t len = 7;
  int rc = dynlib_metadata(join(fix, "plugin/libhuge.so"), &json, &len, &err);
  expect_error(rc, &err, DYNLIB_E_BAD_METADATA,
               "metadata is 1099997 bytes, over the limit of 1048576 bytes", "huge");
  CHECK(json == NULL && len == 0);
  rc = dynlib_metadata(join(fix, "store/libbasic.so"), &json, &len, &err);
  expect_error(rc, &err, DYNLIB_E_NO_METADATA, "libbasic.so: no dynlib plugin metadata",
               "no metadata");
  rc = dynlib_metadata(join(fix, "plugin/no-such-plugin.so"), &json, NULL, &err);
  expect_error(rc, &err, DYNLIB_E_NOT_FOUND, "no-such-plugin.so: no such file", "missing");
  rc = dynlib_metadata(join(fix, "plugin/huge.c"), &json, NULL, &err);
  expect_error(rc, &err, DYNLIB_E_NOT_A_LIBRARY, "not an ELF file", "text");
  rc = dynlib_metadata(join(fix, "plugin"), &json, NULL, &err);
  expect_error(rc, &err, DYNLIB_E_NOT_A_LIBRARY, "plugin", "folder");
  rc = dynlib_metadata(NULL, &json, NULL, &err);
  expect_error(rc, &err, DYNLIB_E_INVALID, "must not be NULL", "NULL path");
  dynlib_meta *m = (dynlib_meta *)1;
  rc = dynlib_metadata_record(join(fix, "plugin/libhuge.so"), &m, &err);
  expect_error(rc, &err, DYNLIB_E_BAD_METADATA, "over the limit", "huge record");
  CHECK(m == NULL);
  /* JSON that is not valid is still handed out: parsing is the caller's */
  rc = dynlib_metadata(join(fix, "plugin/libinvalid.so"), &json, &len, &err);
  CHECK(rc == 0 && json && strcmp(json, "{\"name\": \"broken\",}") == 0);
  if (rc == 0) free(json);
  /* errors may be ignored: err NULL */
  CHECK(dynlib_metadata(join(fix, "store/libbasic.so"), &json, NULL, NULL) == -1);
  dynlib_meta_free(NULL);
}

static void check_inspect(const char *fix) {
  dynlib_error err;
  dynlib_inspection *in = (dynlib_inspection *)1;
  int rc = dynlib_inspect(join(fix, "plugin/huge.c"), &in, &err);
  expect_error(rc, &err, DYNLIB_E_NOT_A_LIBRARY, "huge.c: not an ELF file", "text");
  CHECK(in == NULL);
  rc = dynlib_inspect(join(fix, "elf/no-such.so"), &in, &err);
  expect_error(rc, &err, DYNLIB_E_NOT_FOUND, "no-such.so: no such file", "missing");
  rc = dynlib_inspect(NULL, &in, &err);
  expect_error(rc, &err, DYNLIB_E_INVALID, "must not be NULL", "NULL path");
  rc = dynlib_inspect(join(fix, "store/libbasic.so"), NULL, &err);
  expect_error(rc, &err, DYNLIB_E_INVALID, "must not be NULL", "NULL out");
  /* a library with versioned exports, DT_NEEDED and DT_RUNPATH */
  rc = dynlib_inspect(join(fix, "store/libdependent.so"), &in, &err);
  CHECK(rc == 0);
  if (rc != 0) return;
  CHECK(strcmp(in->format, "elf") == 0 && strcmp(in->type, "dyn") == 0);
  CHECK(in->compatible == 1 && in->bits == (int)sizeof(void *) * 8);
  int basic = 0;
  for (size_t i = 0; i < in->nneeded; i++) basic |= strcmp(in->needed[i], "libbasic.so") == 0;
  CHECK(basic);
  CHECK(in->nrpath + in->nrunpath == 1);
  CHECK(in->dll_name == NULL && in->subsystem == NULL);
  dynlib_inspect_free(in);
  dynlib_inspect_free(NULL);
}

static void check_scan(const char *fix) {
  dynlib_error err;
  dynlib_scan_result *r = (dynlib_scan_result *)1;
  int rc = dynlib_scan(join(fix, "no-such-folder"), 0, &r, &err);
  expect_error(rc, &err, DYNLIB_E_NOT_FOUND, "no-such-folder: no such folder", "missing");
  CHECK(r == NULL);
  rc = dynlib_scan(join(fix, "plugin/libmarker.so"), 0, &r, &err);
  expect_error(rc, &err, DYNLIB_E_NOT_A_LIBRARY, "libmarker.so: not a folder", "file");
  rc = dynlib_scan(NULL, 0, &r, &err);
  expect_error(rc, &err, DYNLIB_E_INVALID, "must not be NULL", "NULL dir");
  /* the plugin folder: plugins with JSON, the rest with a reason */
  rc = dynlib_scan(join(fix, "plugin"), DYNLIB_SCAN_ONE_THREAD, &r, &err);
  CHECK(rc == 0);
  if (rc != 0) return;
  int marker = 0, huge = 0, text = 0;
  for (size_t i = 0; i < r->count; i++) {
    const dynlib_scan_item *it = r->items[i];
    const char *base = strrchr(it->path, '/') + 1;
    if (strcmp(base, "libmarker.so") == 0)
      marker = it->code == DYNLIB_OK && strstr(it->json, "\"marker\"") && it->abi == 1;
    if (strcmp(base, "libhuge.so") == 0)
      huge = it->code == DYNLIB_E_BAD_METADATA && strstr(it->message, "over the limit");
    if (strcmp(base, "huge.c") == 0)
      text = it->code == DYNLIB_E_NOT_A_LIBRARY && strstr(it->message, "not an ELF file");
  }
  CHECK(marker && huge && text);
  dynlib_scan_free(r);
  /* the recursive fixture folder, read by several threads, finds the same */
  rc = dynlib_scan(fix, DYNLIB_SCAN_RECURSIVE, &r, &err);
  CHECK(rc == 0 && r->count > 20);
  if (rc == 0) dynlib_scan_free(r);
  /* the caller's list, sorted in the result */
  const char *paths[4];
  char a[4096], b[4096], c[4096];
  snprintf(a, sizeof a, "%s/plugin/libmarker.so", fix);
  snprintf(b, sizeof b, "%s/plugin/libcounter.so", fix);
  snprintf(c, sizeof c, "%s/plugin/gone.so", fix);
  paths[0] = a, paths[1] = b, paths[2] = c, paths[3] = NULL;
  rc = dynlib_scan_paths(paths, 0, &r, &err);
  CHECK(rc == 0 && r->count == 3);
  if (rc == 0) {
    CHECK(strcmp(r->items[0]->path, c) == 0 && r->items[0]->code == DYNLIB_E_NOT_FOUND);
    CHECK(strcmp(r->items[1]->path, b) == 0 && r->items[1]->code == DYNLIB_OK);
    CHECK(strcmp(r->items[2]->path, a) == 0 && r->items[2]->code == DYNLIB_OK);
    dynlib_scan_free(r);
  }
  rc = dynlib_scan_paths(NULL, 0, &r, &err);
  expect_error(rc, &err, DYNLIB_E_INVALID, "must not be NULL", "NULL paths");
  dynlib_scan_free(NULL);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: capi check|inspect|metadata|scan|scan-paths ARG...\n");
    return 2;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "check") == 0) {
    check_metadata(argv[2]);
    check_inspect(argv[2]);
    check_scan(argv[2]);
    if (failures == 0) printf("ok\n");
  } else if (strcmp(cmd, "inspect") == 0) {
    for (int i = 2; i < argc; i++) {
      printf("inspect %s\n", argv[i]);
      dump_inspection(argv[i]);
    }
  } else if (strcmp(cmd, "metadata") == 0) {
    for (int i = 2; i < argc; i++) {
      printf("metadata %s\n", argv[i]);
      dump_metadata(argv[i]);
    }
  } else if (strcmp(cmd, "scan") == 0 || strcmp(cmd, "scan-paths") == 0) {
    dynlib_scan_result *r;
    dynlib_error err;
    int rc;
    if (strcmp(cmd, "scan") == 0) {
      int rec = strcmp(argv[2], "-r") == 0;
      if (rec && argc < 4) return 2;
      rc = dynlib_scan(argv[rec ? 3 : 2], rec ? DYNLIB_SCAN_RECURSIVE : 0, &r, &err);
    } else {
      rc = dynlib_scan_paths((const char *const *)argv + 2, 0, &r, &err);
    }
    if (rc != 0) {
      printf("error %s %s\n", dynlib_code_name(err.code), err.msg);
    } else {
      dump_scan(r);
      dynlib_scan_free(r);
    }
  } else {
    fprintf(stderr, "capi: unknown command %s\n", cmd);
    return 2;
  }
  return failures ? 1 : 0;
}

/*
 * json.c - the JSON reader of json.h: one pass over the bytes, a bit stack
 * of the open containers (object or array) instead of recursion, and
 * strings handed to the sink in place when they hold no escape.
 *
 * With a sink, a small document (metadata: a few dozen values) is read
 * once into a list of events, which gives every container its member
 * count, then the list is played to the sink; a larger one is read with
 * the sink called as it goes, each container's members counted by looking
 * ahead (count_members).
 */
#include <stdlib.h>
#include <string.h>

#include "formats/json.h"

#define SCRATCH 256
#define EVENTS 64 /* a document with more events is read the other way */

enum { EV_OPEN, EV_CLOSE, EV_KEY, EV_STRING, EV_INTEGER, EV_REAL, EV_LITERAL };

/* What the sink will be told, and where (for its refusals). */
typedef struct event {
  unsigned char kind;
  unsigned char flag;        /* open: an object; close: an object; string:
                                escaped; literal: which */
  unsigned char closed;      /* open: its close was read */
  const unsigned char *at;
  const unsigned char *s;    /* key, string: the bytes between the quotes;
                                real: the token */
  union {
    size_t n;                /* key, string, real: length; open: members */
    int64_t i;
  } v;
} event;

typedef struct parser {
  const unsigned char *p, *end, *start;
  const dl_json_sink *sink;
  void *ctx;
  const char *why;      /* the first error's reason */
  const unsigned char *at; /* and where it happened */
  char small[SCRATCH];  /* decoded strings with escapes, when they fit */
  char *big;            /* else this (malloc'd, grown as needed) */
  size_t bigcap;
  uint64_t open[DL_JSON_MAX_NESTING / 64]; /* bit set: an object */
  event *ev;            /* recording (NULL: the sink is called at once) */
  unsigned nev;
  unsigned open_ev[DL_JSON_COUNT_LEVELS]; /* the open event of each level */
} parser;

/* The recording gave up (too many events, too deep): read again. */
static const char REPLAY_FULL[] = "too many values to record";

/* The next event, or NULL (the recording then fails with REPLAY_FULL). */
static event *record(parser *ps, int kind, const unsigned char *at) {
  if (ps->nev == EVENTS) return NULL;
  event *e = &ps->ev[ps->nev++];
  e->kind = (unsigned char)kind;
  e->flag = e->closed = 0;
  e->at = at;
  return e;
}

static int fail(parser *ps, const unsigned char *at, const char *why) {
  if (ps->why == NULL) {
    ps->why = why;
    ps->at = at;
  }
  return -1;
}

static int full(parser *ps) {
  return fail(ps, ps->p, REPLAY_FULL);
}

/* A sink's verdict: NULL goes on. */
static int sunk(parser *ps, const unsigned char *at, const char *why) {
  return why ? fail(ps, at, why) : 0;
}

static inline void skip_ws(parser *ps) {
  const unsigned char *p = ps->p;
  if (p < ps->end && *p > ' ') return; /* the usual case: none */
  while (p < ps->end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) p++;
  ps->p = p;
}

static int hex4(const unsigned char *p, unsigned *out) {
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    unsigned c = p[i], d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    else return -1;
    v = v << 4 | d;
  }
  *out = v;
  return 0;
}

static size_t put_utf8(char *o, unsigned cp) {
  if (cp < 0x80) {
    o[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    o[0] = (char)(0xC0 | cp >> 6);
    o[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    o[0] = (char)(0xE0 | cp >> 12);
    o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
    o[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  o[0] = (char)(0xF0 | cp >> 18);
  o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
  o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
  o[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* One \uXXXX escape (a surrogate pair takes two) at p (after the
 * backslash's 'u'); the code point in *cp, p moved past it. */
static int unicode_escape(parser *ps, const unsigned char **pp, unsigned *cp) {
  const unsigned char *p = *pp;
  unsigned hi, lo;
  if (ps->end - p < 4 || hex4(p, &hi) != 0) return fail(ps, p, "invalid \\u escape");
  p += 4;
  if (hi >= 0xDC00 && hi <= 0xDFFF) return fail(ps, p - 6, "invalid Unicode: lone low surrogate");
  if (hi >= 0xD800 && hi <= 0xDBFF) {
    if (ps->end - p < 6 || p[0] != '\\' || p[1] != 'u' || hex4(p + 2, &lo) != 0 ||
        lo < 0xDC00 || lo > 0xDFFF)
      return fail(ps, p - 6, "invalid Unicode: lone high surrogate");
    hi = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
    p += 6;
  }
  if (hi == 0) return fail(ps, p - 6, "\\u0000 is not allowed");
  *cp = hi;
  *pp = p;
  return 0;
}

/* Decodes the escaped string from s (after the quote) up to its closing
 * quote, known to be at q: the result is at most q - s bytes. */
static int decode(parser *ps, const unsigned char *s, const unsigned char *q,
                  const char **out, size_t *len) {
  size_t need = (size_t)(q - s);
  char *o = ps->small;
  if (need > SCRATCH) {
    if (need > ps->bigcap) {
      char *b = realloc(ps->big, need);
      if (b == NULL) return fail(ps, s, "out of memory");
      ps->big = b;
      ps->bigcap = need;
    }
    o = ps->big;
  }
  *out = o;
  const unsigned char *p = s;
  size_t n = 0;
  while (p < q) {
    if (*p != '\\') {
      o[n++] = (char)*p++;
      continue;
    }
    unsigned char c = p[1];
    p += 2;
    switch (c) {
      case '"': o[n++] = '"'; break;
      case '\\': o[n++] = '\\'; break;
      case '/': o[n++] = '/'; break;
      case 'b': o[n++] = '\b'; break;
      case 'f': o[n++] = '\f'; break;
      case 'n': o[n++] = '\n'; break;
      case 'r': o[n++] = '\r'; break;
      case 't': o[n++] = '\t'; break;
      default: { /* 'u': the scan checked the letter */
        unsigned cp;
        if (unicode_escape(ps, &p, &cp) != 0) return -1;
        n += put_utf8(o + n, cp);
      }
    }
  }
  *len = n;
  return 0;
}

/* The bytes that end a string's plain run: the quote, the backslash and
 * the control characters (refused). One load per byte in the hot loop. */
static const unsigned char STOP[256] = {
    [0x00] = 1, [0x01] = 1, [0x02] = 1, [0x03] = 1, [0x04] = 1, [0x05] = 1, [0x06] = 1,
    [0x07] = 1, [0x08] = 1, [0x09] = 1, [0x0A] = 1, [0x0B] = 1, [0x0C] = 1, [0x0D] = 1,
    [0x0E] = 1, [0x0F] = 1, [0x10] = 1, [0x11] = 1, [0x12] = 1, [0x13] = 1, [0x14] = 1,
    [0x15] = 1, [0x16] = 1, [0x17] = 1, [0x18] = 1, [0x19] = 1, [0x1A] = 1, [0x1B] = 1,
    [0x1C] = 1, [0x1D] = 1, [0x1E] = 1, [0x1F] = 1, ['"'] = 1, ['\\'] = 1};

/* The end of the plain run at p: the first byte in STOP, or end. Eight
 * bytes at a time: a word's flags are set for its quotes, backslashes and
 * control characters, and for bytes after one of them (a borrow), never
 * before, so the lowest flag is the first stop (on little-endian machines:
 * elsewhere the word is looked at byte by byte). */
static inline const unsigned char *plain_run(const unsigned char *p,
                                             const unsigned char *end) {
  const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
  for (; end - p >= 8; p += 8) {
    uint64_t w, q, b;
    memcpy(&w, p, 8);
    q = w ^ ('"' * ones);
    b = w ^ ('\\' * ones);
    uint64_t stops = (((q - ones) & ~q) | ((b - ones) & ~b) | ((w - ' ' * ones) & ~w)) & high;
    if (stops) {
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
      return p + (__builtin_ctzll(stops) >> 3);
#else
      break;
#endif
    }
  }
  while (p < end && !STOP[*p]) p++;
  return p;
}

/* A string at ps->p (on its quote): to the sink as a key or a value. */
static int string(parser *ps, int is_key) {
  const unsigned char *s = ++ps->p, *p = s;
  int escaped = 0;
  for (;;) {
    p = plain_run(p, ps->end);
    if (p >= ps->end) return fail(ps, p, "premature end of input in a string");
    if (*p == '"') break;
    if (*p < 0x20) return fail(ps, p, "control character in a string");
    if (p + 1 >= ps->end) return fail(ps, p, "premature end of input in a string");
    if (!strchr("\"\\/bfnrtu", p[1]) || p[1] == 0) return fail(ps, p, "invalid escape");
    escaped = 1;
    p += 2;
  }
  ps->p = p + 1;
  const char *out = (const char *)s;
  size_t len = (size_t)(p - s);
  if (escaped && decode(ps, s, p, &out, &len) != 0) return -1;
  if (ps->ev) { /* the bytes kept: decoded again when played */
    event *e = record(ps, is_key ? EV_KEY : EV_STRING, s - 1);
    if (e == NULL) return full(ps);
    e->flag = (unsigned char)escaped;
    e->s = s;
    e->v.n = (size_t)(p - s);
    return 0;
  }
  if (ps->sink == NULL) return 0;
  if (is_key) return sunk(ps, s - 1, ps->sink->key(ps->ctx, out, len));
  return sunk(ps, s - 1, ps->sink->string(ps->ctx, out, len));
}

static const unsigned char *digits(const unsigned char *p, const unsigned char *end) {
  while (p < end && *p >= '0' && *p <= '9') p++;
  return p;
}

/* A number: an integer (no fraction, no exponent) must fit in 64 bits. */
static int number(parser *ps) {
  const unsigned char *s = ps->p, *p = s, *end = ps->end;
  int neg = *p == '-';
  if (neg) p++;
  const unsigned char *d = p;
  if (p < end && *p == '0') p++;
  else if (p < end && *p >= '1' && *p <= '9') p = digits(p, end);
  else return fail(ps, s, "invalid number");
  const unsigned char *int_end = p;
  int real = 0;
  if (p < end && *p == '.') {
    const unsigned char *f = p + 1;
    p = digits(f, end);
    if (p == f) return fail(ps, s, "invalid number");
    real = 1;
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    const unsigned char *x = p + 1;
    if (x < end && (*x == '+' || *x == '-')) x++;
    p = digits(x, end);
    if (p == x) return fail(ps, s, "invalid number");
    real = 1;
  }
  ps->p = p;
  if (real && ps->ev) {
    event *e = record(ps, EV_REAL, s);
    if (e == NULL) return full(ps);
    e->s = s;
    e->v.n = (size_t)(p - s);
    return 0;
  }
  if (real) {
    if (ps->sink == NULL) return 0;
    return sunk(ps, s, ps->sink->real(ps->ctx, (const char *)s, (size_t)(p - s)));
  }
  uint64_t v = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
  for (; d < int_end; d++) {
    unsigned k = *d - '0';
    if (v > (limit - k) / 10) return fail(ps, s, neg ? "too big negative integer" : "too big integer");
    v = v * 10 + k;
  }
  if (ps->sink == NULL) return 0;
  int64_t i = neg ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v) : (int64_t)v;
  if (ps->ev) {
    event *e = record(ps, EV_INTEGER, s);
    if (e == NULL) return full(ps);
    e->v.i = i;
    return 0;
  }
  return sunk(ps, s, ps->sink->integer(ps->ctx, i));
}

static int literal(parser *ps) {
  static const char *const words[] = {"false", "true", "null"};
  for (int w = 0; w < 3; w++) {
    size_t n = strlen(words[w]);
    if ((size_t)(ps->end - ps->p) >= n && memcmp(ps->p, words[w], n) == 0) {
      const unsigned char *s = ps->p;
      ps->p += n;
      if (ps->ev) {
        event *e = record(ps, EV_LITERAL, s);
        if (e == NULL) return full(ps);
        e->flag = (unsigned char)w;
        return 0;
      }
      return ps->sink ? sunk(ps, s, ps->sink->literal(ps->ctx, w)) : 0;
    }
  }
  return fail(ps, ps->p, "invalid token");
}

/* What count_members stops on; every other byte is passed over by a
 * one-load loop. */
enum { C_QUOTE = 1, C_OPEN, C_CLOSE, C_COMMA };
static const unsigned char CLASS[256] = {['"'] = C_QUOTE, ['['] = C_OPEN, ['{'] = C_OPEN,
                                         [']'] = C_CLOSE, ['}'] = C_CLOSE, [','] = C_COMMA};

/* The members of a non-empty container whose bracket is before p: the
 * commas at its own level, plus one. Strings are skipped whole (a bracket
 * or comma inside one is text). A container longer than DL_JSON_COUNT_SPAN
 * bytes, or unclosed, is not counted (0). Each level looks ahead at most
 * once per container and sibling containers do not overlap, so the looking
 * costs O(levels counted * n) at worst. */
static size_t count_members(const unsigned char *p, const unsigned char *end) {
  const unsigned char *stop = (size_t)(end - p) > DL_JSON_COUNT_SPAN ? p + DL_JSON_COUNT_SPAN : end;
  unsigned depth = 0;
  size_t commas = 0;
  for (;; p++) {
    while (p < stop && !CLASS[*p]) p++;
    if (p >= stop) return 0;
    switch (CLASS[*p]) {
      case C_QUOTE: /* to the closing quote: STOP holds the quote and the backslash */
        for (p++;; p++) {
          p = plain_run(p, stop);
          if (p >= stop) return 0;
          if (*p == '"') break;
          if (*p == '\\') p++;
        }
        break;
      case C_OPEN: depth++; break;
      case C_CLOSE:
        if (depth == 0) return commas + 1;
        depth--;
        break;
      default: commas += depth == 0;
    }
  }
}

static int is_object(const parser *ps, unsigned level) {
  return (int)(ps->open[level / 64] >> (level % 64) & 1);
}

/* '{' or '[' at ps->p: pushed as level (0-based); ps->p is left on what
 * follows the bracket and its white space. */
static int open_container(parser *ps, unsigned level) {
  int obj = *ps->p == '{';
  if (level >= DL_JSON_MAX_NESTING) return fail(ps, ps->p, "maximum parsing depth reached");
  uint64_t bit = (uint64_t)1 << (level % 64);
  ps->open[level / 64] = obj ? ps->open[level / 64] | bit : ps->open[level / 64] & ~bit;
  const unsigned char *s = ps->p++;
  skip_ws(ps);
  if (ps->ev) { /* members counted as they are read (run) */
    event *e = level < DL_JSON_COUNT_LEVELS ? record(ps, EV_OPEN, s) : NULL;
    if (e == NULL) return full(ps);
    e->flag = (unsigned char)obj;
    e->v.n = 0;
    ps->open_ev[level] = ps->nev - 1;
    return 0;
  }
  if (ps->sink == NULL) return 0;
  size_t count = 0;
  if (level < DL_JSON_COUNT_LEVELS && ps->p < ps->end && *ps->p != (obj ? '}' : ']'))
    count = count_members(ps->p, ps->end);
  return sunk(ps, s, ps->sink->open(ps->ctx, obj, count));
}

static int close_container(parser *ps, unsigned level) {
  const unsigned char *s = ps->p++;
  if (ps->ev) {
    event *e = record(ps, EV_CLOSE, s);
    if (e == NULL) return full(ps);
    e->flag = (unsigned char)is_object(ps, level);
    ps->ev[ps->open_ev[level]].closed = 1;
    return 0;
  }
  return ps->sink ? sunk(ps, s, ps->sink->close(ps->ctx, is_object(ps, level))) : 0;
}

/* A key and its colon, at ps->p after white space. */
static int key(parser *ps) {
  if (ps->p >= ps->end || *ps->p != '"') return fail(ps, ps->p, "string or '}' expected");
  if (string(ps, 1) != 0) return -1;
  skip_ws(ps);
  if (ps->p >= ps->end || *ps->p != ':') return fail(ps, ps->p, "':' expected");
  ps->p++;
  return 0;
}

/* One scalar value at ps->p (not a container). */
static int scalar(parser *ps) {
  unsigned char c = *ps->p;
  if (c == '"') return string(ps, 0);
  if (c == '-' || (c >= '0' && c <= '9')) return number(ps);
  return literal(ps);
}

/* The body of the parse: values and the punctuation between them, with
 * the open containers on the bit stack (levels = how many are open). */
static int run(parser *ps, dl_json_result *r) {
  unsigned levels = 0;
  skip_ws(ps);
  if (ps->p >= ps->end || (*ps->p != '{' && *ps->p != '['))
    return fail(ps, ps->p, "'[' or '{' expected");
  r->top_object = *ps->p == '{';
  for (;;) {
    /* A value is due at ps->p. */
    skip_ws(ps);
    if (ps->p >= ps->end) return fail(ps, ps->p, "premature end of input");
    if (levels + 1 > r->depth) r->depth = levels + 1;
    if (ps->ev && levels > 0) ps->ev[ps->open_ev[levels - 1]].v.n++;
    if (*ps->p == '{' || *ps->p == '[') {
      int obj = *ps->p == '{';
      if (open_container(ps, levels++) != 0) return -1;
      skip_ws(ps);
      if (ps->p < ps->end && *ps->p == (obj ? '}' : ']')) {
        if (close_container(ps, --levels) != 0) return -1;
      } else {
        if (obj && key(ps) != 0) return -1;
        continue;
      }
    } else if (scalar(ps) != 0) {
      return -1;
    }
    /* After a value: a comma, a closing bracket, or the end. */
    for (;;) {
      skip_ws(ps);
      if (levels == 0) {
        if (ps->p != ps->end) return fail(ps, ps->p, "end of file expected");
        return 0;
      }
      int obj = is_object(ps, levels - 1);
      if (ps->p >= ps->end) return fail(ps, ps->p, "premature end of input");
      if (*ps->p == ',') {
        ps->p++;
        if (obj) {
          skip_ws(ps);
          if (key(ps) != 0) return -1;
        }
        break;
      }
      if (*ps->p != (obj ? '}' : ']'))
        return fail(ps, ps->p, obj ? "',' or '}' expected" : "',' or ']' expected");
      if (close_container(ps, --levels) != 0) return -1;
    }
  }
}

static void locate(const parser *ps, dl_json_result *r) {
  int line = 1, col = 1;
  for (const unsigned char *p = ps->start; p < ps->at; p++) {
    if (*p == '\n') {
      line++;
      col = 1;
    } else {
      col++;
    }
  }
  r->line = line;
  r->column = col;
}

/* One event to the sink. */
static int play_one(parser *ps, const event *e) {
  const dl_json_sink *k = ps->sink;
  const char *out = (const char *)e->s;
  size_t len = e->v.n;
  switch (e->kind) {
    case EV_OPEN: return sunk(ps, e->at, k->open(ps->ctx, e->flag, e->closed ? e->v.n : 0));
    case EV_CLOSE: return sunk(ps, e->at, k->close(ps->ctx, e->flag));
    case EV_INTEGER: return sunk(ps, e->at, k->integer(ps->ctx, e->v.i));
    case EV_REAL: return sunk(ps, e->at, k->real(ps->ctx, out, len));
    case EV_LITERAL: return sunk(ps, e->at, k->literal(ps->ctx, e->flag));
    default: /* a key or a string, checked when recorded */
      if (e->flag && decode(ps, e->s, e->s + e->v.n, &out, &len) != 0) return -1;
      if (e->kind == EV_KEY) return sunk(ps, e->at, k->key(ps->ctx, out, len));
      return sunk(ps, e->at, k->string(ps->ctx, out, len));
  }
}

/* The recorded events to the sink, in order: those before an error in the
 * text come before it, so a refusal of the sink's takes its place, as when
 * the sink is called while reading. */
static int play(parser *ps, int rc) {
  const char *why = ps->why;
  const unsigned char *at = ps->at;
  ps->why = NULL;
  for (unsigned i = 0; i < ps->nev; i++)
    if (play_one(ps, &ps->ev[i]) != 0) return -1;
  ps->why = why;
  ps->at = at;
  return rc;
}

static void start(parser *ps, const char *text, size_t n, dl_json_result *r) {
  ps->start = ps->p = (const unsigned char *)text;
  ps->end = ps->p + n;
  ps->why = NULL;
  ps->at = NULL;
  ps->nev = 0;
  memset(r, 0, sizeof *r);
}

int dl_json_parse(const char *text, size_t n, const dl_json_sink *sink,
                  void *ctx, dl_json_result *r) {
  parser ps;
  event ev[EVENTS];
  ps.sink = sink;
  ps.ctx = ctx;
  ps.big = NULL;
  ps.bigcap = 0;
  ps.ev = sink ? ev : NULL;
  start(&ps, text, n, r);
  int rc = run(&ps, r);
  if (ps.ev && ps.why == REPLAY_FULL) { /* too big to record: read again */
    ps.ev = NULL;
    start(&ps, text, n, r);
    rc = run(&ps, r);
  } else if (ps.ev) {
    rc = play(&ps, rc);
  }
  free(ps.big);
  if (rc == 0) return 0;
  r->text = ps.why;
  locate(&ps, r);
  return -1;
}

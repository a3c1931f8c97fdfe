/* A strict JSON parser (RFC 8259) into an arena-allocated DOM.
 *
 * Why strict: config.json and state files are written by programs; a lenient
 * parser would hide their bugs. Rejected: trailing commas, comments, a BOM,
 * invalid UTF-8, control characters in strings, lone surrogates, \u0000 (it
 * would silently cut a C string short, e.g. a path), leading zeros, NaN.
 *
 * Numbers: `number` always holds the double. When the literal is an integer
 * (or a double with an integral value) that fits, `integer` holds it exactly:
 * values in [INT64_MIN, INT64_MAX] as themselves, values in
 * (INT64_MAX, UINT64_MAX] as their uint64 bit pattern (read them with
 * (uint64_t)node->integer; seccomp argument values need the full range).
 *
 * Memory: the root node sits inside the first arena chunk's header, so
 * json_free(root) finds and frees every chunk. Children of arrays and
 * objects are collected on one shared scratch stack and copied into the
 * arena when the container closes: one allocation per container. */
#include "json.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h> /* isinf: a macro, no libm needed */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define JSON_MAX_DEPTH 512
#define ARENA_MIN_CHUNK (16 * 1024)

struct chunk {
  struct chunk *next;
  size_t used, size;
  _Alignas(max_align_t) char data[];
};

struct arena_head {
  struct chunk *chunks; /* newest first */
  json_t root;
};

typedef struct {
  const char *s, *p, *end;
  const char *name;
  tsc_err_t *err;
  struct arena_head *head;
  /* scratch stack of children (and keys) for open containers */
  json_t **stack;
  char **kstack;
  size_t sp, cap;
  int depth;
  bool failed;
} parser_t;

static void *arena_alloc(parser_t *ps, size_t n) {
  n = (n + 15) & ~(size_t)15;
  struct chunk *c = ps->head->chunks;
  if (!c || c->size - c->used < n) {
    size_t sz = n > ARENA_MIN_CHUNK ? n : ARENA_MIN_CHUNK;
    if (c && c->size * 2 > sz && c->size < (1u << 24))
      sz = c->size * 2;
    c = malloc(sizeof *c + sz);
    if (!c)
      return NULL;
    c->size = sz;
    c->used = 0;
    c->next = ps->head->chunks;
    ps->head->chunks = c;
  }
  void *r = c->data + c->used;
  c->used += n;
  return r;
}

__attribute__((format(printf, 2, 3))) static void perr(parser_t *ps, const char *fmt, ...) {
  if (ps->failed)
    return;
  ps->failed = true;
  int line = 1, col = 1;
  for (const char *q = ps->s; q < ps->p && q < ps->end; q++) {
    if (*q == '\n') {
      line++;
      col = 1;
    } else if (((unsigned char)*q & 0xC0) != 0x80) {
      col++; /* count characters, not UTF-8 continuation bytes */
    }
  }
  char what[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  tsc_error(ps->err, 0, "%s:%d:%d: %s", ps->name ? ps->name : "<json>", line, col, what);
}

static void oom(parser_t *ps) {
  if (!ps->failed) {
    ps->failed = true;
    tsc_error(ps->err, ENOMEM, "parse `%s`", ps->name ? ps->name : "<json>");
  }
}

static void skip_ws(parser_t *ps) {
  const char *p = ps->p, *e = ps->end;
  while (p < e && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r'))
    p++;
  ps->p = p;
}

static const char *describe(parser_t *ps) {
  if (ps->p >= ps->end)
    return "end of input";
  static __thread char buf[32];
  unsigned char c = (unsigned char)*ps->p;
  if (c >= 0x20 && c < 0x7f)
    snprintf(buf, sizeof buf, "'%c'", c);
  else
    snprintf(buf, sizeof buf, "byte 0x%02x", c);
  return buf;
}

static int push(parser_t *ps, json_t *v, char *key) {
  if (ps->sp == ps->cap) {
    size_t nc = ps->cap ? ps->cap * 2 : 64;
    json_t **ns = realloc(ps->stack, nc * sizeof *ns);
    if (!ns)
      return oom(ps), -1;
    ps->stack = ns;
    char **nk = realloc(ps->kstack, nc * sizeof *nk);
    if (!nk)
      return oom(ps), -1;
    ps->kstack = nk;
    ps->cap = nc;
  }
  ps->stack[ps->sp] = v;
  ps->kstack[ps->sp] = key;
  ps->sp++;
  return 0;
}

static int hex4(const char *p, unsigned *out) {
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    char c = p[i];
    v <<= 4;
    if (c >= '0' && c <= '9')
      v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f')
      v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      v |= (unsigned)(c - 'A' + 10);
    else
      return -1;
  }
  *out = v;
  return 0;
}

static char *put_utf8(char *o, unsigned cp) {
  if (cp < 0x80) {
    *o++ = (char)cp;
  } else if (cp < 0x800) {
    *o++ = (char)(0xC0 | (cp >> 6));
    *o++ = (char)(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *o++ = (char)(0xE0 | (cp >> 12));
    *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
    *o++ = (char)(0x80 | (cp & 0x3F));
  } else {
    *o++ = (char)(0xF0 | (cp >> 18));
    *o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
    *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
    *o++ = (char)(0x80 | (cp & 0x3F));
  }
  return o;
}

/* Length of a valid UTF-8 sequence at p (lead byte >= 0x80), 0 if invalid. */
static size_t utf8_seq(const unsigned char *p, const unsigned char *e) {
  unsigned c = p[0];
  size_t n;
  unsigned min, cp;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2, min = 0x80, cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3, min = 0x800, cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4, min = 0x10000, cp = c & 0x07;
  } else {
    return 0;
  }
  if ((size_t)(e - p) < n)
    return 0;
  for (size_t i = 1; i < n; i++) {
    if ((p[i] & 0xC0) != 0x80)
      return 0;
    cp = (cp << 6) | (p[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return n;
}

/* At the opening quote. Returns the unescaped string in the arena. */
static char *parse_string(parser_t *ps, size_t *outlen) {
  const char *p = ps->p + 1, *e = ps->end;
  /* Fast scan: find the closing quote; the unescaped text is never longer. */
  const char *q = p;
  while (q < e && *q != '"') {
    if (*q == '\\')
      q++;
    q++;
  }
  if (q >= e) {
    perr(ps, "unterminated string");
    return NULL;
  }
  char *out = arena_alloc(ps, (size_t)(q - p) + 1);
  if (!out)
    return oom(ps), NULL;
  char *o = out;
  while (p < e) {
    unsigned char c = (unsigned char)*p;
    if (c == '"') {
      *o = 0;
      *outlen = (size_t)(o - out);
      ps->p = p + 1;
      return out;
    }
    if (c < 0x20) {
      ps->p = p;
      perr(ps, "control character 0x%02x in string (escape it)", c);
      return NULL;
    }
    if (c == '\\') {
      ps->p = p;
      if (p + 1 >= e) {
        perr(ps, "unterminated string");
        return NULL;
      }
      char x = p[1];
      p += 2;
      switch (x) {
      case '"': *o++ = '"'; break;
      case '\\': *o++ = '\\'; break;
      case '/': *o++ = '/'; break;
      case 'b': *o++ = '\b'; break;
      case 'f': *o++ = '\f'; break;
      case 'n': *o++ = '\n'; break;
      case 'r': *o++ = '\r'; break;
      case 't': *o++ = '\t'; break;
      case 'u': {
        unsigned cp;
        if (e - p < 4 || hex4(p, &cp) < 0) {
          perr(ps, "bad \\u escape (need 4 hex digits)");
          return NULL;
        }
        p += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          unsigned lo;
          if (e - p < 6 || p[0] != '\\' || p[1] != 'u' || hex4(p + 2, &lo) < 0 || lo < 0xDC00 ||
              lo > 0xDFFF) {
            perr(ps, "high surrogate \\u%04X without a low surrogate", cp);
            return NULL;
          }
          p += 6;
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
          perr(ps, "lone low surrogate \\u%04X", cp);
          return NULL;
        } else if (cp == 0) {
          perr(ps, "\\u0000 is not allowed (it would truncate the string)");
          return NULL;
        }
        o = put_utf8(o, cp);
        break;
      }
      default:
        ps->p = p - 1;
        perr(ps, "bad escape '\\%c'", x >= 0x20 && x < 0x7f ? x : '?');
        return NULL;
      }
      continue;
    }
    if (c < 0x80) {
      *o++ = (char)c;
      p++;
      continue;
    }
    size_t n = utf8_seq((const unsigned char *)p, (const unsigned char *)e);
    if (!n) {
      ps->p = p;
      perr(ps, "invalid UTF-8 in string");
      return NULL;
    }
    memcpy(o, p, n);
    o += n;
    p += n;
  }
  perr(ps, "unterminated string");
  return NULL;
}

static int parse_number(parser_t *ps, json_t *v) {
  const char *start = ps->p, *p = ps->p, *e = ps->end;
  bool neg = false, integral = true;
  if (p < e && *p == '-') {
    neg = true;
    p++;
  }
  if (p >= e || !(*p >= '0' && *p <= '9'))
    return perr(ps, "bad number: expected a digit"), -1;
  uint64_t acc = 0;
  bool ovf = false;
  if (*p == '0') {
    p++;
    if (p < e && *p >= '0' && *p <= '9') {
      ps->p = p;
      return perr(ps, "bad number: leading zero"), -1;
    }
  } else {
    while (p < e && *p >= '0' && *p <= '9') {
      unsigned d = (unsigned)(*p - '0');
      if (acc > (UINT64_MAX - d) / 10)
        ovf = true;
      else
        acc = acc * 10 + d;
      p++;
    }
  }
  if (p < e && *p == '.') {
    integral = false;
    p++;
    if (p >= e || !(*p >= '0' && *p <= '9')) {
      ps->p = p;
      return perr(ps, "bad number: digit expected after '.'"), -1;
    }
    while (p < e && *p >= '0' && *p <= '9')
      p++;
  }
  if (p < e && (*p == 'e' || *p == 'E')) {
    integral = false;
    p++;
    if (p < e && (*p == '+' || *p == '-'))
      p++;
    if (p >= e || !(*p >= '0' && *p <= '9')) {
      ps->p = p;
      return perr(ps, "bad number: digit expected in exponent"), -1;
    }
    while (p < e && *p >= '0' && *p <= '9')
      p++;
  }
  ps->p = p;
  v->type = JSON_NUMBER;
  if (integral && !ovf && (!neg || acc <= (uint64_t)INT64_MAX + 1)) {
    v->integer = neg ? (int64_t)(0 - acc) : (int64_t)acc;
    v->number = neg ? -(double)acc : (double)acc;
    return 0;
  }
  char buf[128], *tmp = buf;
  size_t n = (size_t)(p - start);
  if (n >= sizeof buf && !(tmp = malloc(n + 1)))
    return oom(ps), -1;
  memcpy(tmp, start, n);
  tmp[n] = 0;
  errno = 0;
  v->number = strtod(tmp, NULL);
  if (tmp != buf)
    free(tmp);
  if (isinf(v->number)) {
    ps->p = start;
    return perr(ps, "number out of range"), -1;
  }
  double d = v->number;
  if (d >= -9223372036854775808.0 && d < 9223372036854775808.0 && (double)(int64_t)d == d)
    v->integer = (int64_t)d;
  else if (d >= 0 && d < 18446744073709551616.0 && (double)(uint64_t)d == d)
    v->integer = (int64_t)(uint64_t)d;
  return 0;
}

static json_t *parse_value(parser_t *ps);

static int close_container(parser_t *ps, json_t *v, size_t base, bool obj) {
  size_t n = ps->sp - base;
  v->len = n;
  if (n) {
    v->items = arena_alloc(ps, n * sizeof(json_t *));
    if (!v->items)
      return oom(ps), -1;
    memcpy(v->items, ps->stack + base, n * sizeof(json_t *));
    if (obj) {
      v->keys = arena_alloc(ps, n * sizeof(char *));
      if (!v->keys)
        return oom(ps), -1;
      memcpy(v->keys, ps->kstack + base, n * sizeof(char *));
    }
  }
  ps->sp = base;
  return 0;
}

static int parse_array(parser_t *ps, json_t *v) {
  size_t base = ps->sp;
  v->type = JSON_ARRAY;
  ps->p++;
  skip_ws(ps);
  if (ps->p < ps->end && *ps->p == ']') {
    ps->p++;
    return 0;
  }
  for (;;) {
    json_t *c = parse_value(ps);
    if (!c || push(ps, c, NULL) < 0)
      return -1;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == ',') {
      ps->p++;
      continue;
    }
    if (ps->p < ps->end && *ps->p == ']') {
      ps->p++;
      return close_container(ps, v, base, false);
    }
    return perr(ps, "expected ',' or ']' in array, got %s", describe(ps)), -1;
  }
}

static int parse_object(parser_t *ps, json_t *v) {
  size_t base = ps->sp;
  v->type = JSON_OBJECT;
  ps->p++;
  skip_ws(ps);
  if (ps->p < ps->end && *ps->p == '}') {
    ps->p++;
    return 0;
  }
  for (;;) {
    skip_ws(ps);
    if (ps->p >= ps->end || *ps->p != '"')
      return perr(ps, "expected a string key, got %s", describe(ps)), -1;
    size_t klen;
    char *key = parse_string(ps, &klen);
    if (!key)
      return -1;
    skip_ws(ps);
    if (ps->p >= ps->end || *ps->p != ':')
      return perr(ps, "expected ':' after key \"%s\", got %s", key, describe(ps)), -1;
    ps->p++;
    json_t *c = parse_value(ps);
    if (!c || push(ps, c, key) < 0)
      return -1;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == ',') {
      ps->p++;
      continue;
    }
    if (ps->p < ps->end && *ps->p == '}') {
      ps->p++;
      return close_container(ps, v, base, true);
    }
    return perr(ps, "expected ',' or '}' in object, got %s", describe(ps)), -1;
  }
}

static int literal(parser_t *ps, const char *word) {
  size_t n = strlen(word);
  if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
    return perr(ps, "unexpected %s", describe(ps)), -1;
  ps->p += n;
  return 0;
}

static json_t *parse_value_into(parser_t *ps, json_t *v) {
  skip_ws(ps);
  if (ps->p >= ps->end) {
    perr(ps, "unexpected end of input, expected a value");
    return NULL;
  }
  int r = 0;
  switch (*ps->p) {
  case '{':
  case '[':
    if (++ps->depth > JSON_MAX_DEPTH) {
      perr(ps, "nesting deeper than %d", JSON_MAX_DEPTH);
      return NULL;
    }
    r = *ps->p == '{' ? parse_object(ps, v) : parse_array(ps, v);
    ps->depth--;
    break;
  case '"':
    v->type = JSON_STRING;
    v->string = parse_string(ps, &v->len);
    r = v->string ? 0 : -1;
    break;
  case 't':
    v->type = JSON_BOOL;
    v->boolean = true;
    r = literal(ps, "true");
    break;
  case 'f':
    v->type = JSON_BOOL;
    r = literal(ps, "false");
    break;
  case 'n':
    v->type = JSON_NULL;
    r = literal(ps, "null");
    break;
  default:
    if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9'))
      r = parse_number(ps, v);
    else {
      perr(ps, "unexpected %s, expected a value", describe(ps));
      r = -1;
    }
  }
  return r < 0 ? NULL : v;
}

static json_t *parse_value(parser_t *ps) {
  json_t *v = arena_alloc(ps, sizeof *v);
  if (!v)
    return oom(ps), NULL;
  memset(v, 0, sizeof *v);
  return parse_value_into(ps, v);
}

static void free_head(struct arena_head *h) {
  struct chunk *c = h->chunks;
  while (c) {
    struct chunk *n = c->next;
    free(c);
    c = n;
  }
  free(h);
}

json_t *json_parse(const char *text, size_t len, const char *name, tsc_err_t *err) {
  struct arena_head *h = calloc(1, sizeof *h);
  if (!h) {
    tsc_error(err, ENOMEM, "parse `%s`", name ? name : "<json>");
    return NULL;
  }
  parser_t ps = {.s = text, .p = text, .end = text + len, .name = name, .err = err, .head = h};
  json_t *root = parse_value_into(&ps, &h->root);
  if (root) {
    skip_ws(&ps);
    if (ps.p < ps.end) {
      perr(&ps, "unexpected %s after the value", describe(&ps));
      root = NULL;
    }
  }
  free(ps.stack);
  free(ps.kstack);
  if (!root) {
    free_head(h);
    return NULL;
  }
  return root;
}

json_t *json_parse_file(const char *path, tsc_err_t *err) {
  int fd;
  do
    fd = open(path, O_RDONLY | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  if (fd < 0)
    return tsc_error(err, errno, "open `%s`", path), NULL;
  struct stat st;
  if (fstat(fd, &st) < 0) {
    tsc_error(err, errno, "stat `%s`", path);
    close(fd);
    return NULL;
  }
  size_t cap = st.st_size > 0 ? (size_t)st.st_size + 1 : 4096, n = 0;
  char *buf = malloc(cap);
  if (!buf) {
    close(fd);
    return tsc_error(err, ENOMEM, "read `%s`", path), NULL;
  }
  for (;;) {
    if (n == cap) {
      char *nb = realloc(buf, cap * 2);
      if (!nb) {
        free(buf);
        close(fd);
        return tsc_error(err, ENOMEM, "read `%s`", path), NULL;
      }
      buf = nb;
      cap *= 2;
    }
    ssize_t r = read(fd, buf + n, cap - n);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {
      tsc_error(err, errno, "read `%s`", path);
      free(buf);
      close(fd);
      return NULL;
    }
    if (r == 0)
      break;
    n += (size_t)r;
  }
  close(fd);
  json_t *root = json_parse(buf, n, path, err);
  free(buf);
  return root;
}

void json_free(json_t *root) {
  if (!root)
    return;
  free_head((struct arena_head *)((char *)root - offsetof(struct arena_head, root)));
}

const json_t *json_get(const json_t *obj, const char *key) {
  if (!obj || obj->type != JSON_OBJECT || !key)
    return NULL;
  /* last duplicate wins, like Go's encoding/json (runc) */
  for (size_t i = obj->len; i-- > 0;)
    if (strcmp(obj->keys[i], key) == 0)
      return obj->items[i];
  return NULL;
}

const json_t *json_at(const json_t *arr, size_t i) {
  if (!arr || arr->type != JSON_ARRAY || i >= arr->len)
    return NULL;
  return arr->items[i];
}

const json_t *json_path(const json_t *root, const char *dotted) {
  const json_t *cur = root;
  const char *p = dotted;
  if (!p || !*p)
    return root;
  while (cur && *p) {
    const char *dot = strchr(p, '.');
    size_t n = dot ? (size_t)(dot - p) : strlen(p);
    char seg[256];
    if (n >= sizeof seg)
      return NULL;
    memcpy(seg, p, n);
    seg[n] = 0;
    if (cur->type == JSON_ARRAY) {
      /* numeric segments index arrays: "linux.namespaces.0.type" */
      char *endp;
      errno = 0;
      unsigned long idx = strtoul(seg, &endp, 10);
      if (n == 0 || *endp || errno || seg[0] == '-' || seg[0] == '+')
        return NULL;
      cur = json_at(cur, idx);
    } else {
      cur = json_get(cur, seg);
    }
    p = dot ? dot + 1 : p + n;
  }
  return cur;
}

const char *json_str(const json_t *obj, const char *key, const char *dflt) {
  const json_t *v = json_get(obj, key);
  return v && v->type == JSON_STRING ? v->string : dflt;
}

int64_t json_int(const json_t *obj, const char *key, int64_t dflt) {
  const json_t *v = json_get(obj, key);
  if (!v || v->type != JSON_NUMBER)
    return dflt;
  /* integral values have `integer` set; 1.5 or 1e300 fall back to dflt */
  if ((double)v->integer != v->number && (double)(uint64_t)v->integer != v->number)
    return dflt;
  return v->integer;
}

bool json_bool(const json_t *obj, const char *key, bool dflt) {
  const json_t *v = json_get(obj, key);
  return v && v->type == JSON_BOOL ? v->boolean : dflt;
}

void json_write_string(FILE *out, const char *s) {
  static const char hex[] = "0123456789abcdef";
  putc('"', out);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    unsigned char c = *p;
    switch (c) {
    case '"': fputs("\\\"", out); break;
    case '\\': fputs("\\\\", out); break;
    case '\n': fputs("\\n", out); break;
    case '\r': fputs("\\r", out); break;
    case '\t': fputs("\\t", out); break;
    case '\b': fputs("\\b", out); break;
    case '\f': fputs("\\f", out); break;
    default:
      if (c < 0x20) {
        fputs("\\u00", out);
        putc(hex[c >> 4], out);
        putc(hex[c & 15], out);
      } else {
        putc(c, out);
      }
    }
  }
  putc('"', out);
}

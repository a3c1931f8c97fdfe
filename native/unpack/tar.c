#include "tar.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char tar_errmsg[512];

#define BLOCK 512
#define PAX_MAX (1u << 20)      /* a PAX or GNU long-name record larger than this is refused */

__attribute__((format(printf, 1, 2))) static int fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(tar_errmsg, sizeof tar_errmsg, fmt, ap);
  va_end(ap);
  return -1;
}

int tar_reader_init(struct tar_reader *r, int fd, size_t cap) {
  memset(r, 0, sizeof *r);
  r->fd = fd;
  r->cap = cap;
  r->buf = malloc(cap);
  if (!r->buf) return fail("out of memory");
  return 0;
}

void tar_reader_free(struct tar_reader *r) {
  free(r->buf);
  r->buf = NULL;
}

/* Makes at least n bytes available at buf+pos (n <= cap). 0 ok, 1 EOF before n, -1 error. */
static int fill(struct tar_reader *r, size_t n) {
  if (r->len - r->pos >= n) return 0;
  if (r->pos > 0) {
    memmove(r->buf, r->buf + r->pos, r->len - r->pos);
    r->len -= r->pos;
    r->pos = 0;
  }
  while (r->len < n) {
    if (r->eof) return 1;
    ssize_t k = read(r->fd, r->buf + r->len, r->cap - r->len);
    if (k < 0) {
      if (errno == EINTR) continue;
      return fail("read tar stream: %s", strerror(errno));
    }
    if (k == 0) {
      r->eof = 1;
      return 1;
    }
    r->len += (size_t)k;
  }
  return 0;
}

static void consume(struct tar_reader *r, size_t n) {
  r->pos += n;
  r->consumed += n;
}

/* Skips n bytes of stream. */
static int skip_bytes(struct tar_reader *r, uint64_t n) {
  while (n > 0) {
    if (r->len == r->pos) {
      int f = fill(r, 1);
      if (f < 0) return -1;
      if (f > 0) return fail("unexpected end of tar stream");
    }
    size_t k = r->len - r->pos;
    if (k > n) k = (size_t)n;
    consume(r, k);
    n -= k;
  }
  return 0;
}

/* Octal or GNU base-256 numeric field. */
static int parse_num(const unsigned char *f, size_t n, uint64_t *out, const char *what) {
  uint64_t v = 0;
  if (f[0] & 0x80) {
    if (f[0] == 0xff) return fail("negative %s in tar header", what);
    v = f[0] & 0x7f;
    for (size_t i = 1; i < n; i++) {
      if (v >> 56) return fail("%s in tar header too large", what);
      v = (v << 8) | f[i];
    }
    *out = v;
    return 0;
  }
  size_t i = 0;
  while (i < n && (f[i] == ' ' || f[i] == 0)) i++;
  for (; i < n && f[i] >= '0' && f[i] <= '7'; i++) {
    if (v >> 60) return fail("%s in tar header too large", what);
    v = (v << 3) | (uint64_t)(f[i] - '0');
  }
  for (; i < n; i++)
    if (f[i] != ' ' && f[i] != 0) return fail("invalid %s field in tar header", what);
  *out = v;
  return 0;
}

static int checksum_ok(const unsigned char *h) {
  uint64_t stored;
  if (parse_num(h + 148, 8, &stored, "checksum") < 0) return 0;
  unsigned long u = 0;
  long s = 0;
  for (int i = 0; i < BLOCK; i++) {
    unsigned char c = (i >= 148 && i < 156) ? ' ' : h[i];
    u += c;
    s += (signed char)c;
  }
  return stored == u || (long)stored == s;
}

static int all_zero(const unsigned char *h) {
  for (int i = 0; i < BLOCK; i++)
    if (h[i]) return 0;
  return 1;
}

/* Reads the data of a metadata entry (PAX or GNU long name) into a NUL-terminated buffer. */
static int read_meta(struct tar_reader *r, uint64_t size, char **out) {
  if (size > PAX_MAX) return fail("tar metadata record of %llu bytes is larger than the %u allowed", (unsigned long long)size, PAX_MAX);
  char *b = malloc((size_t)size + 1);
  if (!b) return fail("out of memory");
  size_t got = 0;
  while (got < size) {
    if (r->len == r->pos) {
      int f = fill(r, 1);
      if (f != 0) {
        free(b);
        return f < 0 ? -1 : fail("unexpected end of tar stream in a metadata record");
      }
    }
    size_t k = r->len - r->pos;
    if (k > size - got) k = (size_t)(size - got);
    memcpy(b + got, r->buf + r->pos, k);
    consume(r, k);
    got += k;
  }
  b[size] = 0;
  uint64_t pad = (BLOCK - size % BLOCK) % BLOCK;
  if (skip_bytes(r, pad) < 0) {
    free(b);
    return -1;
  }
  *out = b;
  return 0;
}

static void set_str(char **dst, const char *src, size_t n) {
  free(*dst);
  *dst = strndup(src, n);
}

static int parse_time(const char *v, size_t n, int64_t *sec, long *nsec) {
  char tmp[64];
  if (n >= sizeof tmp) return -1;
  memcpy(tmp, v, n);
  tmp[n] = 0;
  char *end;
  errno = 0;
  long long s = strtoll(tmp, &end, 10);
  if (errno || end == tmp) return -1;
  long ns = 0;
  if (*end == '.') {
    end++;
    int digits = 0;
    while (*end >= '0' && *end <= '9') {
      if (digits < 9) ns = ns * 10 + (*end - '0'), digits++;
      end++;
    }
    while (digits++ < 9) ns *= 10;
    if (s < 0 && ns) ns = -ns;
  }
  *sec = s;
  *nsec = ns;
  return 0;
}

/* Applies PAX records "LEN key=value\n" to e (or stores path/linkpath overrides). */
static int apply_pax(char *data, size_t size, struct tar_entry *e, char **path, char **linkpath, int *have_size, uint64_t *size_out) {
  size_t off = 0;
  while (off < size) {
    char *rec = data + off;
    char *sp = memchr(rec, ' ', size - off);
    if (!sp) return fail("malformed PAX record");
    unsigned long len = strtoul(rec, NULL, 10);
    if (len == 0 || len > size - off || rec[len - 1] != '\n') return fail("malformed PAX record length");
    char *key = sp + 1;
    char *eq = memchr(key, '=', (size_t)(rec + len - key));
    if (!eq) return fail("malformed PAX record (no '=')");
    size_t klen = (size_t)(eq - key);
    char *val = eq + 1;
    size_t vlen = (size_t)(rec + len - 1 - val);
#define KEY(s) (klen == sizeof(s) - 1 && memcmp(key, s, klen) == 0)
    if (KEY("path")) {
      set_str(path, val, vlen);
    } else if (KEY("linkpath")) {
      set_str(linkpath, val, vlen);
    } else if (KEY("size")) {
      char tmp[32];
      if (vlen >= sizeof tmp) return fail("malformed PAX size");
      memcpy(tmp, val, vlen);
      tmp[vlen] = 0;
      *size_out = strtoull(tmp, NULL, 10);
      *have_size = 1;
    } else if (KEY("uid")) {
      e->uid = (uid_t)strtoul(val, NULL, 10);
    } else if (KEY("gid")) {
      e->gid = (gid_t)strtoul(val, NULL, 10);
    } else if (KEY("mtime")) {
      if (parse_time(val, vlen, &e->mtime_sec, &e->mtime_nsec) < 0) return fail("malformed PAX mtime");
    } else if (KEY("atime")) {
      if (parse_time(val, vlen, &e->atime_sec, &e->atime_nsec) < 0) return fail("malformed PAX atime");
      e->has_atime = 1;
    } else if (klen > 13 && memcmp(key, "SCHILY.xattr.", 13) == 0) {
      if (e->nxattrs >= TAR_MAX_XATTRS) return fail("more than %d xattrs on one entry", TAR_MAX_XATTRS);
      struct tar_xattr *x = &e->xattrs[e->nxattrs++];
      x->name = strndup(key + 13, klen - 13);
      x->value = malloc(vlen ? vlen : 1);
      if (!x->name || !x->value) return fail("out of memory");
      memcpy(x->value, val, vlen);
      x->len = vlen;
    } else if (klen > 11 && memcmp(key, "GNU.sparse.", 11) == 0) {
      return fail("sparse files are not supported");
    }
#undef KEY
    off += len;
  }
  return 0;
}

void tar_entry_free(struct tar_entry *e) {
  free(e->name);
  free(e->linkname);
  for (int i = 0; i < e->nxattrs; i++) {
    free(e->xattrs[i].name);
    free(e->xattrs[i].value);
  }
  memset(e, 0, sizeof *e);
}

int tar_next(struct tar_reader *r, struct tar_entry *e) {
  char *longname = NULL, *longlink = NULL, *paxpath = NULL, *paxlink = NULL;
  int pax_has_size = 0;
  uint64_t pax_size = 0;
  int rc = -1;
  tar_entry_free(e);
  if (tar_skip(r) < 0) return -1;
  for (;;) {
    int f = fill(r, BLOCK);
    if (f < 0) goto out;
    if (f > 0) {
      /* A stream that ends without the two zero blocks is accepted at a header
       * boundary (many writers omit them); mid-header it is truncated. */
      if (r->len - r->pos == 0 && !longname && !longlink && !paxpath && !paxlink) {
        rc = 0;
        goto out;
      }
      fail("unexpected end of tar stream in a header");
      goto out;
    }
    const unsigned char *h = r->buf + r->pos;
    if (all_zero(h)) {
      consume(r, BLOCK);
      rc = 0;
      goto out;
    }
    if (!checksum_ok(h)) {
      fail("invalid tar header checksum at offset %llu (not a tar stream, or corrupt)", (unsigned long long)r->consumed);
      goto out;
    }
    uint64_t size, v;
    if (parse_num(h + 124, 12, &size, "size") < 0) goto out;
    char type = (char)h[156];
    if (type == 'x' || type == 'g' || type == 'L' || type == 'K') {
      consume(r, BLOCK);
      char *data = NULL;
      if (read_meta(r, size, &data) < 0) goto out;
      if (type == 'L') {
        free(longname);
        longname = data;
      } else if (type == 'K') {
        free(longlink);
        longlink = data;
      } else if (type == 'x') {
        int prc = apply_pax(data, size, e, &paxpath, &paxlink, &pax_has_size, &pax_size);
        free(data);
        if (prc < 0) goto out;
      } else {
        free(data); /* global headers: only comments/charset in practice */
      }
      continue;
    }
    if (type == 'S') {
      fail("sparse files are not supported");
      goto out;
    }
    e->type = type == 0 || type == '7' ? '0' : type;
    if (parse_num(h + 100, 8, &v, "mode") < 0) goto out;
    e->mode = (mode_t)(v & 07777);
    if (!e->uid) {
      if (parse_num(h + 108, 8, &v, "uid") < 0) goto out;
      e->uid = (uid_t)v;
    }
    if (!e->gid) {
      if (parse_num(h + 116, 8, &v, "gid") < 0) goto out;
      e->gid = (gid_t)v;
    }
    if (!e->mtime_sec && !e->mtime_nsec) {
      if (parse_num(h + 136, 12, &v, "mtime") < 0) goto out;
      e->mtime_sec = (int64_t)v;
    }
    if (parse_num(h + 329, 8, &v, "devmajor") < 0) goto out;
    e->devmajor = (unsigned)v;
    if (parse_num(h + 337, 8, &v, "devminor") < 0) goto out;
    e->devminor = (unsigned)v;
    if (pax_has_size) size = pax_size;
    if (paxpath) {
      e->name = paxpath, paxpath = NULL;
    } else if (longname) {
      e->name = longname, longname = NULL;
    } else {
      char nm[257];
      size_t pl = strnlen((const char *)h + 345, 155);
      size_t nl = strnlen((const char *)h, 100);
      /* ustar prefix only where the magic says ustar (GNU uses those bytes otherwise) */
      if (memcmp(h + 257, "ustar\0", 6) == 0 && pl) {
        memcpy(nm, h + 345, pl);
        nm[pl] = '/';
        memcpy(nm + pl + 1, h, nl);
        nm[pl + 1 + nl] = 0;
      } else {
        memcpy(nm, h, nl);
        nm[nl] = 0;
      }
      e->name = strdup(nm);
    }
    if (paxlink) {
      e->linkname = paxlink, paxlink = NULL;
    } else if (longlink) {
      e->linkname = longlink, longlink = NULL;
    } else {
      e->linkname = strndup((const char *)h + 157, 100);
    }
    if (!e->name || !e->linkname) {
      fail("out of memory");
      goto out;
    }
    e->size = (e->type == '1' || e->type == '2' || e->type == '3' || e->type == '4' || e->type == '5' || e->type == '6') ? 0 : size;
    consume(r, BLOCK);
    /* Data of link/dir/device entries (size set by odd writers) is skipped too. */
    r->remaining = size;
    r->padding = (BLOCK - size % BLOCK) % BLOCK;
    rc = 1;
    goto out;
  }
out:
  free(longname);
  free(longlink);
  free(paxpath);
  free(paxlink);
  return rc;
}

ssize_t tar_data(struct tar_reader *r, const unsigned char **p) {
  if (r->remaining == 0) return 0;
  if (r->len == r->pos) {
    int f = fill(r, 1);
    if (f < 0) return -1;
    if (f > 0) return fail("unexpected end of tar stream (%llu bytes of the entry missing)", (unsigned long long)r->remaining);
  }
  size_t k = r->len - r->pos;
  if (k > r->remaining) k = (size_t)r->remaining;
  *p = r->buf + r->pos;
  consume(r, k);
  r->remaining -= k;
  return (ssize_t)k;
}

int tar_skip(struct tar_reader *r) {
  if (skip_bytes(r, r->remaining) < 0) return -1;
  r->remaining = 0;
  if (skip_bytes(r, r->padding) < 0) return -1;
  r->padding = 0;
  return 0;
}

uint64_t tar_drain(struct tar_reader *r) {
  uint64_t n = r->len - r->pos;
  r->pos = r->len = 0;
  while (!r->eof) {
    ssize_t k = read(r->fd, r->buf, r->cap);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) break;
    n += (uint64_t)k;
  }
  return n;
}

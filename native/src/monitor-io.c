/* See monitor-io.h: helpers and the json-file writer without libc calls. */
#include "monitor-io.h"

#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <time.h>

MIO_NOLIB void mio_copy(void *d, const void *s, size_t n) {
  char *dp = d;
  const char *sp = s;
  while (n--)
    *dp++ = *sp++;
}

MIO_NOLIB const char *mio_chr(const char *p, char c, size_t n) {
  for (; n; n--, p++)
    if (*p == c)
      return p;
  return NULL;
}

MIO_NOLIB size_t mio_len(const char *s) {
  size_t n = 0;
  while (s[n])
    n++;
  return n;
}

long mio_write_all(int fd, const void *b, size_t n) {
  const char *p = b;
  size_t left = n;
  while (left) {
    long w = mio_write(fd, p, left);
    if (w == -4 /* EINTR */)
      continue;
    if (w < 0)
      return w;
    p += w;
    left -= (size_t)w;
  }
  return (long)n;
}

static void now(struct timespec *ts, clockid_t clk) { mio_sc(SYS_clock_gettime, clk, (long)ts, 0, 0, 0, 0); }

long long mio_now_ms(void) {
  struct timespec ts;
  now(&ts, CLOCK_MONOTONIC);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *digits(char *o, unsigned long v, int width) {
  for (int i = width - 1; i >= 0; i--, v /= 10)
    o[i] = (char)('0' + v % 10);
  return o + width;
}

/* Days since 1970-01-01 → civil date (the proleptic Gregorian calendar,
 * computed per 400-year era: no tables, no timezone files). */
static void civil(long long days, long long *y, unsigned *m, unsigned *d) {
  days += 719468;
  long long era = (days >= 0 ? days : days - 146096) / 146097;
  unsigned doe = (unsigned)(days - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = (long long)yoe + era * 400 + (*m <= 2);
}

size_t mio_rfc3339(char *buf) {
  struct timespec ts;
  now(&ts, CLOCK_REALTIME);
  long long days = ts.tv_sec / 86400, secs = ts.tv_sec % 86400, y;
  unsigned m, d;
  civil(days, &y, &m, &d);
  char *o = digits(buf, (unsigned long)y, 4);
  *o++ = '-';
  o = digits(o, m, 2);
  *o++ = '-';
  o = digits(o, d, 2);
  *o++ = 'T';
  o = digits(o, (unsigned long)(secs / 3600), 2);
  *o++ = ':';
  o = digits(o, (unsigned long)(secs / 60 % 60), 2);
  *o++ = ':';
  o = digits(o, (unsigned long)(secs % 60), 2);
  *o++ = '.';
  o = digits(o, (unsigned long)ts.tv_nsec, 9);
  *o++ = 'Z';
  *o = 0;
  return (size_t)(o - buf);
}

/* ---------- the json-file writer ---------- */

static struct {
  int fd;
  long long size, max_size;
  int max_file;
  char path[PATH_MAX];
  size_t plen;
  char stage[8192];
  size_t sl;
} lg = {.fd = -1};

static void stage_flush(void) {
  if (lg.sl && lg.fd >= 0 && mio_write_all(lg.fd, lg.stage, lg.sl) > 0)
    lg.size += (long long)lg.sl;
  lg.sl = 0;
}

static void stage_put(const char *s, size_t n) {
  while (n) {
    size_t room = sizeof lg.stage - lg.sl, k = n < room ? n : room;
    mio_copy(lg.stage + lg.sl, s, k);
    lg.sl += k, s += k, n -= k;
    if (lg.sl == sizeof lg.stage)
      stage_flush();
  }
}

static int reopen(bool trunc) {
  long fd = mio_sc(SYS_openat, AT_FDCWD, (long)lg.path,
                   O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (trunc ? O_TRUNC : 0), 0640, 0, 0);
  if (fd < 0)
    return lg.fd = -1, (int)fd;
  lg.fd = (int)fd;
  long end = mio_sc(SYS_lseek, fd, 0, SEEK_END, 0, 0, 0);
  lg.size = end > 0 ? end : 0;
  return 0;
}

int mio_log_open(const char *path, long long max_size, int max_file) {
  lg.plen = mio_len(path);
  if (lg.plen + 16 >= sizeof lg.path)
    return -36; /* ENAMETOOLONG */
  mio_copy(lg.path, path, lg.plen + 1);
  lg.max_size = max_size;
  lg.max_file = max_file;
  return reopen(false);
}

void mio_log_close(void) {
  stage_flush();
  if (lg.fd >= 0)
    mio_close(lg.fd);
  lg.fd = -1;
}

/* PATH.n into buf (n == 0: PATH itself) */
static const char *numbered(char *buf, int n) {
  mio_copy(buf, lg.path, lg.plen + 1);
  if (n > 0) {
    char tmp[12], *t = tmp + sizeof tmp;
    *--t = 0;
    for (unsigned v = (unsigned)n; v; v /= 10)
      *--t = (char)('0' + v % 10);
    buf[lg.plen] = '.';
    mio_copy(buf + lg.plen + 1, t, (size_t)(tmp + sizeof tmp - t));
  }
  return buf;
}

/* PATH → PATH.1 → … → PATH.(max_file-1), like dockerd's rotation. */
static void rotate(void) {
  char from[PATH_MAX], to[PATH_MAX];
  mio_close(lg.fd);
  for (int i = lg.max_file - 1; i >= 1; i--)
    mio_sc(SYS_renameat, AT_FDCWD, (long)numbered(from, i - 1), AT_FDCWD, (long)numbered(to, i), 0, 0);
  reopen(lg.max_file <= 1);
}

/* The JSON string body the way dockerd's jsonlog writes it: HTML-safe (<>&
 * escaped), invalid UTF-8 as \ufffd, U+2028/2029 escaped. */
static void put_escaped(const unsigned char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  char e[8];
  size_t start = 0;
  for (size_t i = 0; i < n;) {
    unsigned char c = s[i];
    const char *rep = NULL;
    size_t rl = 0, adv = 1;
    if (c < 0x80) {
      if (c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&') {
        i++;
        continue;
      }
      switch (c) {
      case '"': rep = "\\\"", rl = 2; break;
      case '\\': rep = "\\\\", rl = 2; break;
      case '\n': rep = "\\n", rl = 2; break;
      case '\r': rep = "\\r", rl = 2; break;
      case '\t': rep = "\\t", rl = 2; break;
      default:
        e[0] = '\\', e[1] = 'u', e[2] = '0', e[3] = '0', e[4] = hex[c >> 4], e[5] = hex[c & 15];
        rep = e, rl = 6;
      }
    } else {
      size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
      unsigned cp = len == 4 ? c & 7u : len == 3 ? c & 15u : c & 31u;
      bool ok = len && i + len <= n && c <= 0xF4;
      for (size_t k = 1; ok && k < len; k++) {
        ok = (s[i + k] & 0xC0) == 0x80;
        cp = (cp << 6) | (s[i + k] & 0x3Fu);
      }
      if (ok && ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
                 (cp >= 0xD800 && cp <= 0xDFFF)))
        ok = false;
      if (ok && cp != 0x2028 && cp != 0x2029) {
        i += len;
        continue;
      }
      if (ok)
        rep = cp == 0x2028 ? "\\u2028" : "\\u2029", rl = 6, adv = len;
      else
        rep = "\\ufffd", rl = 6;
    }
    stage_put((const char *)s + start, i - start);
    stage_put(rep, rl);
    i += adv;
    start = i;
  }
  stage_put((const char *)s + start, n - start);
}

void mio_log_entry(const char *stream, const char *data, size_t n) {
  char ts[40];
  if (lg.fd < 0)
    return;
  if (lg.max_size > 0 && lg.size >= lg.max_size)
    rotate(); /* before the write, like dockerd: a file may end one entry past max-size */
  size_t tl = mio_rfc3339(ts);
  stage_put("{\"log\":\"", 8);
  put_escaped((const unsigned char *)data, n);
  stage_put("\",\"stream\":\"", 12);
  stage_put(stream, mio_len(stream));
  stage_put("\",\"time\":\"", 10);
  stage_put(ts, tl);
  stage_put("\"}\n", 3);
  stage_flush();
}

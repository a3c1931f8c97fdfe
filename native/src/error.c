/* The error contract of native/ (see error.h and native/ERRORS.md). */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int tsc_error(tsc_err_t *err, int errno_, const char *fmt, ...) {
  if (!err)
    return -1;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->msg, sizeof err->msg, fmt, ap);
  va_end(ap);
  err->errnum = errno_;
  return -1;
}

int tsc_error_wrap(tsc_err_t *err, const char *fmt, ...) {
  if (!err)
    return -1;
  char ctx[TSC_ERR_MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(ctx, sizeof ctx, fmt, ap);
  va_end(ap);
  if (n < 0)
    return -1;
  /* Keep the root cause: when the combined text is too long the context
   * (outer layers) is what gets truncated, not the original message. */
  size_t clen = strnlen(ctx, sizeof ctx - 1);
  size_t mlen = strnlen(err->msg, sizeof err->msg);
  if (mlen == 0) {
    memcpy(err->msg, ctx, clen + 1);
    return -1;
  }
  size_t room = sizeof err->msg - 1;
  if (mlen + 2 >= room) /* no room for context at all */
    return -1;
  if (clen + 2 + mlen > room)
    clen = room - 2 - mlen;
  memmove(err->msg + clen + 2, err->msg, mlen + 1);
  memcpy(err->msg, ctx, clen);
  err->msg[clen] = ':';
  err->msg[clen + 1] = ' ';
  return -1;
}

const char *tsc_error_text(const tsc_err_t *err, char *buf, size_t len) {
  if (!buf || len == 0)
    return buf;
  if (!err) {
    snprintf(buf, len, "unknown error");
    return buf;
  }
  if (err->errnum)
    snprintf(buf, len, "%s: %s", err->msg, strerror(err->errnum));
  else
    snprintf(buf, len, "%s", err->msg);
  return buf;
}

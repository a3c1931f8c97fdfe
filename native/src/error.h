/* One error contract for all of native/ (see native/ERRORS.md).
 *
 *   int f(..., tsc_err_t *err);   returns >= 0 on success, < 0 on failure
 *                                 with *err filled: {errno, message}.
 *
 * Messages name the syscall and the object: "mount `proc` on `/x/proc`".
 * tsc_error_wrap() prefixes context on the way up; the final text shown to a
 * user is "<message>: <strerror(errno)>". */
#ifndef TSC_ERROR_H
#define TSC_ERROR_H

#include <stddef.h>

#define TSC_ERR_MSG_MAX 1024

typedef struct tsc_err {
  int errnum;                  /* errno of the root cause, 0 if none */
  char msg[TSC_ERR_MSG_MAX];   /* human text without strerror */
} tsc_err_t;

/* Set *err and return -1. Captures errno_ (pass errno, or 0). */
int tsc_error(tsc_err_t *err, int errno_, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prefix context: "<ctx>: <old msg>". Returns -1. */
int tsc_error_wrap(tsc_err_t *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* "<msg>: <strerror(errnum)>" into buf. */
const char *tsc_error_text(const tsc_err_t *err, char *buf, size_t len);

#endif

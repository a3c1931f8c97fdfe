/* Small helpers shared by the runtime: cleanup-by-scope, files, paths.
 *
 * Ownership rule (STYLE 13): a local marked cleanup_free / cleanup_close is
 * released when it goes out of scope; hand it on with get_and_reset(). */
#ifndef TSC_UTILS_H
#define TSC_UTILS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>
#include "error.h"
#include "json.h"

static inline void tsc_freep(void *p) { free(*(void **)p); }
static inline void tsc_closep(int *fd) {
  if (*fd >= 0)
    close(*fd);
}
static inline void tsc_jsonp(json_t **j) {
  if (*j)
    json_free(*j);
}
#define cleanup_free __attribute__((cleanup(tsc_freep)))
#define cleanup_close __attribute__((cleanup(tsc_closep)))
#define cleanup_json __attribute__((cleanup(tsc_jsonp)))

static inline int get_and_reset(int *fd) {
  int r = *fd;
  *fd = -1;
  return r;
}
static inline void *steal_ptr(void *pp) {
  void **p = pp;
  void *r = *p;
  *p = NULL;
  return r;
}

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Allocation failures end the process: a runtime cannot do anything useful
 * without memory, and every caller checking would hide the real logic. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Whole-file helpers; errors name the file. */
int read_all_file(const char *path, char **out, size_t *len, tsc_err_t *err);
int write_file(const char *path, const char *data, size_t len, tsc_err_t *err);
/* Write to `path.tmp` then rename: readers never see half a file. */
int write_file_atomic(const char *path, const char *data, size_t len, mode_t mode, tsc_err_t *err);
int mkdir_p(const char *path, mode_t mode, tsc_err_t *err);
/* rm -rf of a directory that holds only plain files (state dirs). */
int remove_dir_files(const char *path, tsc_err_t *err);

/* Full write/read, retrying on EINTR and short counts. */
ssize_t write_full(int fd, const void *buf, size_t len);
ssize_t read_full(int fd, void *buf, size_t len);

/* Start time of a process (field 22 of /proc/<pid>/stat), 0 when gone;
 * *zombie set when it has exited but is not reaped yet. */
uint64_t proc_start_time(pid_t pid, bool *zombie);

/* RFC 3339 UTC time with nanoseconds, as runc writes "created". */
void format_time_now(char *buf, size_t len);

/* Signal by name ("KILL", "SIGKILL", "9"); -1 when unknown. */
int parse_signal(const char *s);

/* Send / receive one fd with SCM_RIGHTS over a unix socket. */
int send_fd(int sock, int fd, tsc_err_t *err);
int recv_fd(int sock, tsc_err_t *err);

/* Close every fd >= `from` on exec (CVE-2024-21626). */
int cloexec_from(int from, tsc_err_t *err);

/* TSCRUN_TRACE=1: timestamps of the phases on stderr (for bench/). */
void trace_mark(const char *what);

#endif

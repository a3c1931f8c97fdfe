/* The monitor's steady-state toolbox: raw syscalls, memory and time helpers
 * and the json-file log writer, none of which calls into libc.
 *
 * Why: a monitor lives as long as its container, one per container. After
 * setup it gives back the pages it touched in libc's and its own read-only
 * mappings (monitor.c: shed_pages). The kernel maps file pages back a whole
 * page-cache folio at a time (often 64 KiB-2 MiB of libc.so for one call),
 * so a single poll() through libc would bring most of libc back into the
 * RSS. The loop therefore reaches the kernel directly; libc is used again
 * only after the container has exited. Raw calls return -errno. */
#ifndef TSC_MONITOR_IO_H
#define TSC_MONITOR_IO_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#if defined(__x86_64__)
static inline long mio_sc(long n, long a, long b, long c, long d, long e, long f) {
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  long r;
  __asm__ volatile("syscall"
                   : "=a"(r)
                   : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return r;
}
#else /* elsewhere libc's syscall(): correct, only less frugal */
#include <errno.h>
static inline long mio_sc(long n, long a, long b, long c, long d, long e, long f) {
  long r = syscall(n, a, b, c, d, e, f);
  return r < 0 ? -errno : r;
}
#endif

#define MIO_NOLIB __attribute__((optimize("no-tree-loop-distribute-patterns")))

static inline long mio_read(int fd, void *b, size_t n) { return mio_sc(SYS_read, fd, (long)b, (long)n, 0, 0, 0); }
static inline long mio_write(int fd, const void *b, size_t n) { return mio_sc(SYS_write, fd, (long)b, (long)n, 0, 0, 0); }
static inline long mio_close(int fd) { return mio_sc(SYS_close, fd, 0, 0, 0, 0, 0); }
/* ppoll: the one every arch has (arm64 lacks SYS_poll) */
static inline long mio_poll(struct pollfd *p, unsigned long n, int timeout_ms) {
  struct {
    long sec, nsec;
  } ts = {timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L};
  return mio_sc(SYS_ppoll, (long)p, (long)n, timeout_ms < 0 ? 0 : (long)&ts, 0, 8, 0);
}
static inline long mio_wait4(pid_t pid, int *st, int opt) { return mio_sc(SYS_wait4, pid, (long)st, opt, 0, 0, 0); }
static inline long mio_send(int fd, const void *b, size_t n, int flags) {
  return mio_sc(SYS_sendto, fd, (long)b, (long)n, flags, 0, 0);
}
static inline long mio_accept4(int fd, int flags) { return mio_sc(SYS_accept4, fd, 0, 0, flags, 0, 0); }

long mio_write_all(int fd, const void *b, size_t n);
long long mio_now_ms(void);
/* RFC 3339, UTC, 9 fraction digits (dockerd's RFC3339NanoFixed); buf >= 32. */
size_t mio_rfc3339(char *buf);
void mio_copy(void *d, const void *s, size_t n);
const char *mio_chr(const char *p, char c, size_t n);
size_t mio_len(const char *s);

/* Docker json-file log: {"log":"…","stream":"stdout","time":"…"} per line,
 * rotated to PATH.1 … PATH.(max_file-1) when it reaches max_size (0: never;
 * max_file <= 1 truncates in place). */
int mio_log_open(const char *path, long long max_size, int max_file);
void mio_log_entry(const char *stream, const char *data, size_t n);
void mio_log_close(void);

#endif

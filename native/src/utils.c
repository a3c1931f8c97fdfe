/* Helpers shared by the runtime (see utils.h). */
#include "utils.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static void oom(void) {
  static const char m[] = "tscrun: out of memory\n";
  (void)!write(2, m, sizeof m - 1);
  _exit(1);
}

void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p)
    oom();
  return p;
}

void *xcalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (!p)
    oom();
  return p;
}

void *xrealloc(void *p, size_t n) {
  p = realloc(p, n ? n : 1);
  if (!p)
    oom();
  return p;
}

char *xstrdup(const char *s) {
  char *p = strdup(s ? s : "");
  if (!p)
    oom();
  return p;
}

char *xasprintf(const char *fmt, ...) {
  char *out = NULL;
  va_list ap;
  va_start(ap, fmt);
  int n = vasprintf(&out, fmt, ap);
  va_end(ap);
  if (n < 0)
    oom();
  return out;
}

ssize_t write_full(int fd, const void *buf, size_t len) {
  const char *p = buf;
  size_t done = 0;
  while (done < len) {
    ssize_t n = write(fd, p + done, len - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -1;
    done += (size_t)n;
  }
  return (ssize_t)done;
}

ssize_t read_full(int fd, void *buf, size_t len) {
  char *p = buf;
  size_t done = 0;
  while (done < len) {
    ssize_t n = read(fd, p + done, len - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -1;
    if (n == 0)
      break;
    done += (size_t)n;
  }
  return (ssize_t)done;
}

int read_all_file(const char *path, char **out, size_t *len, tsc_err_t *err) {
  cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return tsc_error(err, errno, "open `%s`", path);
  size_t cap = 4096, used = 0;
  cleanup_free char *buf = xmalloc(cap);
  for (;;) {
    if (used + 1 >= cap)
      buf = xrealloc(buf, cap *= 2);
    ssize_t n = read(fd, buf + used, cap - used - 1);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return tsc_error(err, errno, "read `%s`", path);
    if (n == 0)
      break;
    used += (size_t)n;
  }
  buf[used] = '\0';
  if (len)
    *len = used;
  *out = steal_ptr(&buf);
  return 0;
}

int write_file(const char *path, const char *data, size_t len, tsc_err_t *err) {
  cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC | O_TRUNC);
  if (fd < 0)
    return tsc_error(err, errno, "open `%s`", path);
  if (write_full(fd, data, len) < 0)
    return tsc_error(err, errno, "write `%.*s` to `%s`", (int)(len > 64 ? 64 : len), data, path);
  return 0;
}

int write_file_atomic(const char *path, const char *data, size_t len, mode_t mode, tsc_err_t *err) {
  cleanup_free char *tmp = xasprintf("%s.tmp", path);
  cleanup_close int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0)
    return tsc_error(err, errno, "open `%s`", tmp);
  if (write_full(fd, data, len) < 0) {
    int e = errno;
    unlink(tmp);
    return tsc_error(err, e, "write `%s`", tmp);
  }
  if (rename(tmp, path) < 0) {
    int e = errno;
    unlink(tmp);
    return tsc_error(err, e, "rename `%s` to `%s`", tmp, path);
  }
  return 0;
}

int mkdir_p(const char *path, mode_t mode, tsc_err_t *err) {
  cleanup_free char *p = xstrdup(path);
  for (char *s = p + 1; *s; s++) {
    if (*s != '/')
      continue;
    *s = '\0';
    if (mkdir(p, mode) < 0 && errno != EEXIST)
      return tsc_error(err, errno, "mkdir `%s`", p);
    *s = '/';
  }
  if (mkdir(p, mode) < 0 && errno != EEXIST)
    return tsc_error(err, errno, "mkdir `%s`", p);
  return 0;
}

int remove_dir_files(const char *path, tsc_err_t *err) {
  DIR *d = opendir(path);
  if (!d)
    return errno == ENOENT ? 0 : tsc_error(err, errno, "open `%s`", path);
  struct dirent *de;
  while ((de = readdir(d))) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
      continue;
    if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT) {
      int e = errno;
      closedir(d);
      return tsc_error(err, e, "remove `%s/%s`", path, de->d_name);
    }
  }
  closedir(d);
  if (rmdir(path) < 0 && errno != ENOENT)
    return tsc_error(err, errno, "remove `%s`", path);
  return 0;
}

uint64_t proc_start_time(pid_t pid, bool *zombie) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  ssize_t n = read_full(fd, buf, sizeof buf - 1);
  if (n <= 0)
    return 0;
  buf[n] = '\0';
  /* comm may hold spaces and parentheses: fields start after the last ')'. */
  char *p = strrchr(buf, ')');
  if (!p || p[1] != ' ')
    return 0;
  p += 2;
  if (zombie)
    *zombie = (*p == 'Z' || *p == 'X');
  for (int field = 3; field < 22 && p; field++) {
    p = strchr(p, ' ');
    if (p)
      p++;
  }
  return p ? strtoull(p, NULL, 10) : 0;
}

void format_time_now(char *buf, size_t len) {
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  char base[32];
  strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(buf, len, "%s.%09ldZ", base, ts.tv_nsec);
}

static const struct {
  const char *name;
  int sig;
} signals[] = {
    {"HUP", SIGHUP},   {"INT", SIGINT},       {"QUIT", SIGQUIT},     {"ILL", SIGILL},
    {"TRAP", SIGTRAP}, {"ABRT", SIGABRT},     {"IOT", SIGIOT},       {"BUS", SIGBUS},
    {"FPE", SIGFPE},   {"KILL", SIGKILL},     {"USR1", SIGUSR1},     {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2}, {"PIPE", SIGPIPE},     {"ALRM", SIGALRM},     {"TERM", SIGTERM},
    {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT},     {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},     {"TTOU", SIGTTOU},     {"URG", SIGURG},
    {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ},     {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
    {"WINCH", SIGWINCH}, {"IO", SIGIO},       {"POLL", SIGPOLL},     {"PWR", SIGPWR},
    {"SYS", SIGSYS},
};

int parse_signal(const char *s) {
  if (!s || !*s)
    return -1;
  if (isdigit((unsigned char)*s)) {
    char *end;
    long v = strtol(s, &end, 10);
    return (*end || v <= 0 || v > SIGRTMAX) ? -1 : (int)v;
  }
  if (!strncasecmp(s, "SIG", 3))
    s += 3;
  for (size_t i = 0; i < ARRAY_SIZE(signals); i++)
    if (!strcasecmp(s, signals[i].name))
      return signals[i].sig;
  if (!strncasecmp(s, "RTMIN", 5) || !strncasecmp(s, "RTMAX", 5)) {
    int base = !strncasecmp(s, "RTMIN", 5) ? SIGRTMIN : SIGRTMAX;
    int off = s[5] ? atoi(s + 5) : 0;
    int sig = base + off;
    return (sig >= SIGRTMIN && sig <= SIGRTMAX) ? sig : -1;
  }
  return -1;
}

int send_fd(int sock, int fd, tsc_err_t *err) {
  char data = 0;
  struct iovec iov = {.iov_base = &data, .iov_len = 1};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  memset(&u, 0, sizeof u);
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                       .msg_controllen = sizeof u.buf};
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof fd);
  ssize_t n;
  do
    n = sendmsg(sock, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  return n < 0 ? tsc_error(err, errno, "send fd over socket") : 0;
}

int recv_fd(int sock, tsc_err_t *err) {
  char data;
  struct iovec iov = {.iov_base = &data, .iov_len = 1};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                       .msg_controllen = sizeof u.buf};
  ssize_t n;
  do
    n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return tsc_error(err, errno, "receive fd from socket");
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  if (!c || c->cmsg_type != SCM_RIGHTS)
    return tsc_error(err, EPROTO, "receive fd from socket: no fd in message");
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return fd;
}

int cloexec_from(int from, tsc_err_t *err) {
  if (syscall(SYS_close_range, (unsigned)from, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
    return 0;
  /* Older kernels: walk /proc/self/fd. */
  DIR *d = opendir("/proc/self/fd");
  if (!d)
    return tsc_error(err, errno, "mark fds close-on-exec: open `/proc/self/fd`");
  struct dirent *de;
  while ((de = readdir(d))) {
    int fd = atoi(de->d_name);
    if (de->d_name[0] != '.' && fd >= from && fd != dirfd(d))
      fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
  closedir(d);
  return 0;
}

void trace_mark(const char *what) {
  static int enabled = -1;
  if (enabled < 0)
    enabled = getenv("TSCRUN_TRACE") != NULL;
  if (!enabled)
    return;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  fprintf(stderr, "tscrun-trace %d %ld.%06ld %s\n", (int)getpid(), (long)ts.tv_sec,
          ts.tv_nsec / 1000, what);
}

/* `tscrun monitor` (see monitor.h for the protocol diagram).
 *
 * Memory: the monitor lives as long as its container, one per container, so
 * it allocates nothing after setup: fixed static buffers (two 16 KiB partial-
 * line buffers, an 8 KiB read buffer, an 8 KiB output stage), a handful of
 * fds, and malloc_trim() once setup is done. */
#include "monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "error.h"
#include "monitor-io.h"

#define LINE_MAX_BYTES (16 * 1024) /* like dockerd: longer lines become partial entries */
#define MAX_CLIENTS 8
#define MAX_CONTROL 2
#define DRAIN_MS 2000

typedef struct {
  const char *id, *bundle, *runtime, *runtime_root, *log_path, *exit_file, *pid_file, *attach, *control;
  long long max_size;
  int max_file, ready_fd;
  bool terminal, stdin_, stdin_once;
} opts_t;

/* ---------- small helpers ---------- */

static void closep(int *fd) {
  if (*fd >= 0)
    close(*fd);
  *fd = -1;
}

static ssize_t write_all(int fd, const void *buf, size_t n) {
  const char *p = buf;
  size_t left = n;
  while (left) {
    ssize_t w = write(fd, p, left);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0)
      return -1;
    p += w;
    left -= (size_t)w;
  }
  return (ssize_t)n;
}

static int parse_num(const char *s, long long *out) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || end == s)
    return -1;
  /* docker-style suffixes for --log-max-size: 10k, 10m, 1g */
  switch (*end) {
  case 'k': case 'K': v *= 1024, end++; break;
  case 'm': case 'M': v *= 1024 * 1024, end++; break;
  case 'g': case 'G': v *= 1024LL * 1024 * 1024, end++; break;
  }
  if (*end || v < 0)
    return -1;
  *out = v;
  return 0;
}

static const opts_t *O;

/* ---------- streams: out, err (or the pty) ---------- */

typedef struct {
  int fd;
  const char *name; /* "stdout" / "stderr" */
  int frame;        /* attach frame type: 1 / 2 */
  char part[LINE_MAX_BYTES];
  size_t pl;
} stream_t;

static stream_t S[2] = {{.fd = -1, .name = "stdout", .frame = 1}, {.fd = -1, .name = "stderr", .frame = 2}};
static int clients[MAX_CLIENTS] = {-1, -1, -1, -1, -1, -1, -1, -1};
static bool client_eof[MAX_CLIENTS]; /* half-closed: no more input, still gets output */
static struct {
  int fd;
  size_t len;
  char line[64];
} ctl[MAX_CONTROL] = {{.fd = -1}, {.fd = -1}};

static void feed(stream_t *s, const char *p, size_t n) {
  while (n) {
    const char *nl = mio_chr(p, '\n', n);
    size_t take = nl ? (size_t)(nl - p) + 1 : n, room = sizeof s->part - s->pl;
    if (take > room)
      take = room, nl = NULL;
    mio_copy(s->part + s->pl, p, take);
    s->pl += take, p += take, n -= take;
    if (nl || s->pl == sizeof s->part) {
      mio_log_entry(s->name, s->part, s->pl);
      s->pl = 0;
    }
  }
}

static void flush_partial(stream_t *s) {
  if (s->pl)
    mio_log_entry(s->name, s->part, s->pl);
  s->pl = 0;
}

static void mclose(int *fd) {
  if (*fd >= 0)
    mio_close(*fd);
  *fd = -1;
}

static void to_clients(int frame, const char *p, size_t n) {
  unsigned char hdr[8] = {(unsigned char)frame, 0, 0, 0, (unsigned char)(n >> 24), (unsigned char)(n >> 16),
                          (unsigned char)(n >> 8), (unsigned char)n};
  for (int i = 0; i < MAX_CLIENTS; i++) {
    if (clients[i] < 0)
      continue;
    /* a slow reader is dropped instead of stalling the container's output */
    bool ok = true;
    if (!O->terminal)
      ok = mio_send(clients[i], hdr, 8, MSG_DONTWAIT | MSG_NOSIGNAL) == 8;
    if (ok)
      ok = mio_send(clients[i], p, n, MSG_DONTWAIT | MSG_NOSIGNAL) == (long)n;
    if (!ok)
      mclose(&clients[i]);
  }
}

/* Returns false at EOF. */
static bool pump(stream_t *s) {
  static char buf[8192];
  long r;
  do
    r = mio_read(s->fd, buf, sizeof buf);
  while (r == -EINTR);
  if (r == -EAGAIN)
    return true;
  if (r <= 0) { /* EOF, or EIO from a pty whose slave side is gone */
    flush_partial(s);
    mclose(&s->fd);
    return false;
  }
  feed(s, buf, (size_t)r);
  to_clients(s->frame, buf, (size_t)r);
  return true;
}

/* ---------- setup ---------- */

static void report(int fd, char kind, const char *text) {
  if (fd < 0)
    return;
  char c = kind;
  write_all(fd, &c, 1);
  write_all(fd, text, strlen(text));
}

static int devnull_stdio(void) {
  int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (fd < 0)
    return -1;
  for (int i = 0; i < 3; i++)
    if (dup2(fd, i) < 0)
      return -1;
  if (fd > 2)
    close(fd);
  return 0;
}

static int listen_unix(const char *path, tsc_err_t *err) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof sa.sun_path)
    return tsc_error(err, ENAMETOOLONG, "socket path `%s` is longer than %zu bytes", path, sizeof sa.sun_path - 1);
  strcpy(sa.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return tsc_error(err, errno, "socket for `%s`", path);
  unlink(path);
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || chmod(path, 0600) < 0 || listen(fd, 8) < 0) {
    int e = errno;
    close(fd);
    return tsc_error(err, e, "listen on `%s`", path);
  }
  return fd;
}

/* The pty master a runtime sends over --console-socket (SCM_RIGHTS). */
static int recv_console(int lfd) {
  int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
  if (c < 0)
    return -1;
  char data[256];
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  struct iovec iov = {data, sizeof data};
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
  struct pollfd p = {c, POLLIN, 0};
  int fd = -1;
  if (poll(&p, 1, 5000) > 0 && recvmsg(c, &mh, MSG_CMSG_CLOEXEC) >= 0) {
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
      memcpy(&fd, CMSG_DATA(cm), sizeof fd);
  }
  close(c);
  return fd;
}

static pid_t read_pid_file(const char *path) {
  char b[32];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n = read(fd, b, sizeof b - 1);
  close(fd);
  if (n <= 0)
    return -1;
  b[n] = 0;
  long v = strtol(b, NULL, 10);
  return v > 0 ? (pid_t)v : -1;
}

typedef struct {
  int out[2], err[2], in[2];
  int console_l, attach_l, control_l, sfd, stdin_w;
  char tmpdir[64], console_path[128], pid_path[PATH_MAX];
  pid_t init;
  tsc_cgroup_t *cg;
  bool created; /* `<runtime> create` succeeded: undo it if we fail later */
  uint64_t oom_base;
} mon_t;

static void exec_runtime(const mon_t *m) {
  const char *argv[16];
  int a = 0;
  argv[a++] = O->runtime;
  if (O->runtime_root)
    argv[a++] = "--root", argv[a++] = O->runtime_root;
  argv[a++] = "create";
  argv[a++] = "--bundle", argv[a++] = O->bundle;
  argv[a++] = "--pid-file", argv[a++] = m->pid_path;
  if (O->terminal)
    argv[a++] = "--console-socket", argv[a++] = m->console_path;
  argv[a++] = O->id;
  argv[a] = NULL;
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  signal(SIGPIPE, SIG_DFL);
  signal(SIGHUP, SIG_DFL);
  int in = m->in[0] >= 0 ? m->in[0] : open("/dev/null", O_RDONLY);
  /* with a terminal the container gets the pty; the runtime's own stdout
   * and stderr still come to us so that its errors can be reported */
  if (dup2(in, 0) < 0 || dup2(m->out[1], 1) < 0 || dup2(m->err[1], 2) < 0)
    _exit(126);
  if (in > 2)
    close(in);
  execv(O->runtime, (char *const *)argv);
  dprintf(2, "exec `%s`: %s", O->runtime, strerror(errno));
  _exit(127);
}

/* `<runtime> [--root R] delete --force ID`, output discarded. */
static void runtime_delete(void) {
  pid_t p = fork();
  if (p == 0) {
    const char *argv[8];
    int a = 0;
    argv[a++] = O->runtime;
    if (O->runtime_root)
      argv[a++] = "--root", argv[a++] = O->runtime_root;
    argv[a++] = "delete", argv[a++] = "--force", argv[a++] = O->id, argv[a] = NULL;
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execv(O->runtime, (char *const *)argv);
    _exit(127);
  }
  int st;
  while (p > 0 && waitpid(p, &st, 0) < 0 && errno == EINTR)
    ;
}

static void cleanup_tmp(mon_t *m) {
  if (*m->console_path)
    unlink(m->console_path);
  if (!O->pid_file && *m->pid_path)
    unlink(m->pid_path);
  if (*m->tmpdir)
    rmdir(m->tmpdir);
  *m->console_path = *m->tmpdir = 0;
}

/* Runs `<runtime> create` and waits for it; fills m->init. */
static int create_container(mon_t *m, tsc_err_t *err) {
  pid_t rt = fork();
  if (rt < 0)
    return tsc_error(err, errno, "fork for `%s create`", O->runtime);
  if (rt == 0)
    exec_runtime(m);
  closep(&m->out[1]);
  closep(&m->err[1]);
  closep(&m->in[0]);
  static char msg[4096];
  size_t ml = 0;
  int status = 0, console = -1;
  for (;;) {
    struct pollfd p[4] = {{m->sfd, POLLIN, 0}, {m->err[0], POLLIN, 0}, {m->out[0], POLLIN, 0}, {m->console_l, POLLIN, 0}};
    if (poll(p, 4, -1) < 0 && errno != EINTR)
      return tsc_error(err, errno, "poll");
    for (int i = 1; i <= 2; i++)
      if (p[i].revents & POLLIN) { /* before `start` only the runtime writes here */
        char spill[512]; /* past 4 KiB the rest is read and dropped: never spin */
        bool full = ml == sizeof msg - 1;
        ssize_t r = full ? read(p[i].fd, spill, sizeof spill) : read(p[i].fd, msg + ml, sizeof msg - 1 - ml);
        if (r > 0 && !full)
          ml += (size_t)r;
      }
    if (p[3].revents & POLLIN && console < 0)
      console = recv_console(m->console_l);
    if (p[0].revents & POLLIN) {
      struct signalfd_siginfo si;
      while (read(m->sfd, &si, sizeof si) > 0)
        ;
      pid_t w = waitpid(rt, &status, WNOHANG);
      if (w == rt)
        break;
    }
  }
  for (int i = 0; i < 2; i++) { /* what is still buffered in the pipes */
    ssize_t r;
    int fd = i ? m->out[0] : m->err[0];
    while (ml < sizeof msg - 1 && (r = read(fd, msg + ml, sizeof msg - 1 - ml)) > 0)
      ml += (size_t)r;
  }
  msg[ml] = 0;
  while (ml && (msg[ml - 1] == '\n' || msg[ml - 1] == ' '))
    msg[--ml] = 0;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    if (WIFSIGNALED(status))
      return tsc_error(err, 0, "`%s create` was killed by signal %d%s%s", O->runtime, WTERMSIG(status),
                       ml ? ": " : "", msg);
    return tsc_error(err, 0, "`%s create` failed (exit %d)%s%s", O->runtime, WEXITSTATUS(status), ml ? ": " : "",
                     msg);
  }
  m->created = true;
  if (O->terminal) {
    if (console < 0)
      console = recv_console(m->console_l); /* connected but not yet accepted */
    if (console < 0)
      return tsc_error(err, 0, "`%s create` sent no terminal over the console socket", O->runtime);
    closep(&m->out[0]);
    closep(&m->err[0]);
    fcntl(console, F_SETFL, O_NONBLOCK);
    S[0].fd = console;
    m->stdin_w = fcntl(console, F_DUPFD_CLOEXEC, 3);
  } else {
    S[0].fd = m->out[0], S[1].fd = m->err[0];
    m->out[0] = m->err[0] = -1;
  }
  closep(&m->console_l);
  if ((m->init = read_pid_file(m->pid_path)) < 0)
    return tsc_error(err, errno, "`%s create` succeeded but its pid file `%s` is unreadable", O->runtime, m->pid_path);
  return 0;
}

static int setup(mon_t *m, tsc_err_t *err) {
  m->out[0] = m->out[1] = m->err[0] = m->err[1] = m->in[0] = m->in[1] = -1;
  m->console_l = m->attach_l = m->control_l = m->stdin_w = -1;
  if (pipe2(m->out, O_CLOEXEC) < 0 || pipe2(m->err, O_CLOEXEC) < 0)
    return tsc_error(err, errno, "pipe");
  /* our ends only: the container's write ends must stay blocking */
  if (fcntl(m->out[0], F_SETFL, O_NONBLOCK) < 0 || fcntl(m->err[0], F_SETFL, O_NONBLOCK) < 0)
    return tsc_error(err, errno, "fcntl(O_NONBLOCK) on the output pipes");
  if (O->stdin_ && !O->terminal) {
    if (pipe2(m->in, O_CLOEXEC) < 0)
      return tsc_error(err, errno, "pipe");
    m->stdin_w = m->in[1];
    m->in[1] = -1;
  }
  snprintf(m->tmpdir, sizeof m->tmpdir, "/tmp/tscmon-XXXXXX");
  if (!mkdtemp(m->tmpdir)) {
    *m->tmpdir = 0;
    return tsc_error(err, errno, "mkdtemp in /tmp");
  }
  if (O->terminal) {
    snprintf(m->console_path, sizeof m->console_path, "%s/console.sock", m->tmpdir);
    if ((m->console_l = listen_unix(m->console_path, err)) < 0)
      return -1;
  }
  if (O->pid_file)
    snprintf(m->pid_path, sizeof m->pid_path, "%s", O->pid_file);
  else
    snprintf(m->pid_path, sizeof m->pid_path, "%s/pid", m->tmpdir);
  if (O->attach && (m->attach_l = listen_unix(O->attach, err)) < 0)
    return -1;
  if (O->control && (m->control_l = listen_unix(O->control, err)) < 0)
    return -1;
  int r = mio_log_open(O->log_path, O->max_size, O->max_file);
  if (r < 0)
    return tsc_error(err, -r, "open log `%s`", O->log_path);
  return 0;
}

/* ---------- after the container exited ---------- */

static void write_exit_file(int status, const char *finished, bool oom) {
  char tmp[PATH_MAX], body[512], sig[32] = "null";
  int code = 0;
  if (WIFEXITED(status)) {
    code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    code = 128 + WTERMSIG(status);
    const char *ab = sigabbrev_np(WTERMSIG(status));
    if (ab)
      snprintf(sig, sizeof sig, "\"SIG%s\"", ab);
    else
      snprintf(sig, sizeof sig, "\"%d\"", WTERMSIG(status));
  }
  int n = snprintf(body, sizeof body, "{\"exitCode\":%d,\"signal\":%s,\"finishedAt\":\"%s\",\"oomKilled\":%s}\n",
                   code, sig, finished, oom ? "true" : "false");
  if (snprintf(tmp, sizeof tmp, "%s.tmp", O->exit_file) >= (int)sizeof tmp)
    return;
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return;
  bool ok = write_all(fd, body, (size_t)n) == n && fsync(fd) == 0;
  close(fd);
  if (!ok || rename(tmp, O->exit_file) < 0)
    unlink(tmp);
}

/* ---------- the loop ---------- */

static void accept_client(int lfd) {
  long c = mio_accept4(lfd, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (c < 0)
    return;
  for (int i = 0; i < MAX_CLIENTS; i++)
    if (clients[i] < 0) {
      clients[i] = (int)c;
      client_eof[i] = false;
      return;
    }
  mio_close((int)c); /* full */
}

static void client_input(int i, int *stdin_w) {
  char buf[4096];
  if (client_eof[i]) { /* only POLLHUP/POLLERR are asked for now */
    mclose(&clients[i]);
    return;
  }
  long r = mio_read(clients[i], buf, sizeof buf);
  if (r == 0) {
    /* the client closed its side: docker attach keeps reading output; with
     * --stdin-once the container sees EOF on its stdin, like StdinOnce */
    client_eof[i] = true;
    if (O->stdin_once)
      mclose(stdin_w);
    return;
  }
  if (r < 0 && r != -EAGAIN && r != -EINTR) {
    mclose(&clients[i]);
    return;
  }
  if (r > 0 && *stdin_w >= 0)
    mio_write_all(*stdin_w, buf, (size_t)r);
}

/* ---------- the control socket: one command per line, one answer per line ---------- */

static void accept_control(int lfd) {
  long c = mio_accept4(lfd, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (c < 0)
    return;
  for (int i = 0; i < MAX_CONTROL; i++)
    if (ctl[i].fd < 0) {
      ctl[i].fd = (int)c, ctl[i].len = 0;
      return;
    }
  mio_close((int)c); /* busy: the engine retries */
}

/* "123 " → 123; NULL unless a number in 1..65535 follows */
static const char *parse_dim(const char *p, unsigned short *out) {
  unsigned v = 0;
  while (*p == ' ')
    p++;
  if (*p < '0' || *p > '9')
    return NULL;
  while (*p >= '0' && *p <= '9' && v <= 65535)
    v = v * 10 + (unsigned)(*p++ - '0');
  if (v == 0 || v > 65535)
    return NULL;
  *out = (unsigned short)v;
  return p;
}

static bool starts(const char *s, const char *prefix) {
  while (*prefix)
    if (*s++ != *prefix++)
      return false;
  return true;
}

/* `resize ROWS COLS`: the pty's window size (the container gets SIGWINCH). */
static const char *control_command(const char *line) {
  if (starts(line, "resize ")) {
    struct winsize ws = {0};
    const char *p = parse_dim(line + 7, &ws.ws_row);
    if (!p || !(p = parse_dim(p, &ws.ws_col)) || *p)
      return "error usage: resize ROWS COLS\n";
    if (!O->terminal || S[0].fd < 0)
      return "error the container has no terminal\n";
    return mio_sc(SYS_ioctl, S[0].fd, TIOCSWINSZ, (long)&ws, 0, 0, 0) < 0 ? "error TIOCSWINSZ failed\n" : "ok\n";
  }
  return "error unknown command\n";
}

static void control_input(int i) {
  long r = mio_read(ctl[i].fd, ctl[i].line + ctl[i].len, sizeof ctl[i].line - 1 - ctl[i].len);
  if (r == -EAGAIN || r == -EINTR)
    return;
  if (r <= 0) {
    mclose(&ctl[i].fd);
    return;
  }
  ctl[i].len += (size_t)r;
  char *nl;
  while ((nl = (char *)mio_chr(ctl[i].line, '\n', ctl[i].len))) {
    *nl = 0;
    const char *answer = control_command(ctl[i].line);
    mio_send(ctl[i].fd, answer, mio_len(answer), MSG_DONTWAIT | MSG_NOSIGNAL);
    size_t used = (size_t)(nl - ctl[i].line) + 1;
    mio_copy(ctl[i].line, nl + 1, ctl[i].len - used);
    ctl[i].len -= used;
  }
  if (ctl[i].len == sizeof ctl[i].line - 1) /* a line that long is no command */
    mclose(&ctl[i].fd);
}

/* Everything here goes straight to the kernel (monitor-io.h): see why there. */
static int loop(mon_t *m) {
  int status = 0;
  bool exited = false;
  long long deadline = 0;
  char finished[40] = "";
  for (;;) {
    enum { P_SIG, P_OUT, P_ERR, P_ATTACH, P_CONTROL, P_CTL, P_CLIENTS = P_CTL + MAX_CONTROL };
    struct pollfd p[P_CLIENTS + MAX_CLIENTS];
    int n = 0;
    p[n].fd = m->sfd, p[n].events = POLLIN, p[n++].revents = 0;
    p[n].fd = S[0].fd, p[n].events = POLLIN, p[n++].revents = 0;
    p[n].fd = S[1].fd, p[n].events = POLLIN, p[n++].revents = 0;
    p[n].fd = m->attach_l, p[n].events = POLLIN, p[n++].revents = 0;
    p[n].fd = m->control_l, p[n].events = POLLIN, p[n++].revents = 0;
    for (int i = 0; i < MAX_CONTROL; i++)
      p[n].fd = ctl[i].fd, p[n].events = POLLIN, p[n++].revents = 0;
    for (int i = 0; i < MAX_CLIENTS; i++)
      p[n].fd = clients[i], p[n].events = client_eof[i] ? 0 : POLLIN, p[n++].revents = 0;
    if (exited && S[0].fd < 0 && S[1].fd < 0)
      break;
    int timeout = -1;
    if (exited) {
      long long left = deadline - mio_now_ms();
      if (left <= 0)
        break; /* a daemonized grandchild still holds the pipes: stop waiting */
      timeout = (int)left;
    }
    long pr = mio_poll(p, (unsigned long)n, timeout);
    if (pr == -EINTR)
      continue;
    if (pr < 0)
      break;
    /* A client that connected before the container started (docker run
     * attaches, then starts) must be taken in before the first output is
     * pumped: when both are ready in one wakeup, pumping first would send
     * that output to the log only and the client would miss it. */
    if (p[P_ATTACH].revents & POLLIN)
      accept_client(m->attach_l);
    for (int i = 0; i < 2; i++)
      if (p[P_OUT + i].revents & (POLLIN | POLLHUP | POLLERR))
        pump(&S[i]);
    if (p[P_CONTROL].revents & POLLIN)
      accept_control(m->control_l);
    for (int i = 0; i < MAX_CONTROL; i++)
      if (p[P_CTL + i].revents & (POLLIN | POLLHUP | POLLERR))
        control_input(i);
    for (int i = 0; i < MAX_CLIENTS; i++)
      if (p[P_CLIENTS + i].revents & (POLLIN | POLLHUP | POLLERR))
        client_input(i, &m->stdin_w);
    if (p[P_SIG].revents & POLLIN) {
      struct signalfd_siginfo si;
      while (mio_read(m->sfd, &si, sizeof si) > 0)
        ;
      int st;
      long w;
      while ((w = mio_wait4(-1, &st, WNOHANG)) > 0) /* subreaper: reap everything */
        if (w == m->init) {
          status = st;
          exited = true;
          mio_rfc3339(finished);
          deadline = mio_now_ms() + DRAIN_MS;
          mclose(&m->stdin_w);
        }
    }
  }
  /* the container is gone: from here on libc is fine again */
  for (int i = 0; i < 2; i++) {
    flush_partial(&S[i]);
    closep(&S[i].fd);
  }
  mio_log_close();
  uint64_t ooms = 0;
  if (m->cg && tsc_cgroup_oom_count(m->cg, &ooms, NULL) < 0)
    ooms = 0;
  write_exit_file(status, finished, ooms > m->oom_base);
  return 0;
}

/* ---------- P2: the monitor itself ---------- */

/* Give back the pages setup touched in read-only file mappings (the
 * runtime's and libc's code and constants): the loop needs a few dozen of
 * them, and each monitor lives as long as its container. Only mappings
 * without any private (copied-on-write) page are dropped, so what is faulted
 * back in later is byte-identical: this saves memory, it never loses data. */
static void shed_pages(void) {
  static struct {
    unsigned long lo, hi;
  } r[64];
  int nr = 0;
  FILE *f = fopen("/proc/self/smaps", "re");
  if (!f)
    return;
  char line[512], perms[8], path[256];
  unsigned long lo = 0, hi = 0;
  bool cand = false;
  while (fgets(line, sizeof line, f)) {
    unsigned long a, b, anon;
    path[0] = 0;
    if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %255s", &a, &b, perms, path) >= 3 && strchr(line, '-') < strchr(line, ' ')) {
      lo = a, hi = b;
      cand = perms[1] != 'w' && path[0] == '/';
    } else if (cand && sscanf(line, "Anonymous: %lu kB", &anon) == 1) {
      if (anon == 0 && nr < 64)
        r[nr].lo = lo, r[nr++].hi = hi;
      cand = false;
    }
  }
  fclose(f);
  /* no libc from here: a call would map its folio straight back */
  for (int i = 0; i < nr; i++) {
    /* MADV_RANDOM: no fault-around refilling 16 pages around each fault */
    mio_sc(SYS_madvise, (long)r[i].lo, (long)(r[i].hi - r[i].lo), MADV_RANDOM, 0, 0, 0);
    mio_sc(SYS_madvise, (long)r[i].lo, (long)(r[i].hi - r[i].lo), MADV_DONTNEED, 0, 0, 0);
  }
}

static void close_fds_except(int keep) {
  /* the monitor must not hold its caller's fds (a pipe it waits on would
   * never see EOF): keep only 0-2 and the ready pipe */
  int target = 3;
  if (keep != target) {
    if (dup3(keep, target, O_CLOEXEC) < 0)
      return;
    close(keep);
  }
  if (syscall(SYS_close_range, 4U, ~0U, 0U) == 0)
    return;
  for (int fd = 4; fd < 1024; fd++)
    close(fd);
}

static _Noreturn void monitor_main(int ready) {
  mon_t m;
  tsc_err_t err = {0};
  char text[2048];
  memset(&m, 0, sizeof m);
  m.sfd = -1;
  if (devnull_stdio() < 0)
    _exit(1);
  close_fds_except(ready);
  ready = 3;
  if (chdir("/") < 0)
    _exit(1);
  prctl(PR_SET_NAME, "tscrun-monitor", 0, 0, 0);
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  signal(SIGPIPE, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  m.sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  if (m.sfd < 0) {
    tsc_error(&err, errno, "signalfd");
    goto fail;
  }
  if (setup(&m, &err) < 0 || create_container(&m, &err) < 0)
    goto fail;
  cleanup_tmp(&m);
  if (tsc_cgroup_from_pid(m.init, &m.cg, NULL) == 0 && tsc_cgroup_oom_count(m.cg, &m.oom_base, NULL) < 0)
    m.oom_base = 0;
  snprintf(text, sizeof text, "{\"pid\":%d,\"monitorPid\":%d}\n", (int)m.init, (int)getpid());
  report(ready, 'P', text);
  close(ready);
  malloc_trim(0);
  shed_pages();
  loop(&m);
  if (O->attach)
    unlink(O->attach);
  if (O->control)
    unlink(O->control);
  _exit(0);
fail:
  if (m.created) /* nobody would own that container: remove it */
    runtime_delete();
  report(ready, 'E', tsc_error_text(&err, text, sizeof text));
  cleanup_tmp(&m);
  if (O->attach)
    unlink(O->attach);
  if (O->control)
    unlink(O->control);
  _exit(1);
}

/* ---------- P0: the command the engine runs ---------- */

static int usage(const char *why) {
  fprintf(stderr,
          "tscrun monitor: %s\n"
          "usage: tscrun monitor --id ID --bundle DIR --runtime PATH [--runtime-root DIR]\n"
          "         --log-path FILE [--log-max-size BYTES] [--log-max-file N] --exit-file FILE\n"
          "         [--pid-file FILE] [--terminal] [--stdin] [--stdin-once] [--attach-socket PATH]\n"
          "         [--control-socket PATH] [--ready-fd N]\n",
          why);
  return 2;
}

static int parse_opts(int argc, char **argv, opts_t *o) {
  static const char *names[] = {"--id",           "--bundle",       "--runtime",      "--runtime-root",
                                "--log-path",     "--exit-file",    "--pid-file",     "--attach-socket",
                                "--control-socket", "--log-max-size", "--log-max-file", "--ready-fd", NULL};
  char why[256];
  for (int i = 1; i < argc; i++) {
    char *a = argv[i], *val = NULL;
    if (!strcmp(a, "--terminal") || !strcmp(a, "-t")) {
      o->terminal = true;
      continue;
    }
    if (!strcmp(a, "--stdin") || !strcmp(a, "-i")) {
      o->stdin_ = true;
      continue;
    }
    if (!strcmp(a, "--stdin-once")) {
      o->stdin_ = o->stdin_once = true;
      continue;
    }
    char *eq = strchr(a, '=');
    size_t kl = eq ? (size_t)(eq - a) : strlen(a);
    int k = -1;
    for (int j = 0; names[j]; j++)
      if (strlen(names[j]) == kl && !strncmp(a, names[j], kl))
        k = j;
    if (k < 0) {
      snprintf(why, sizeof why, "unknown option `%s`", a);
      return usage(why);
    }
    if (eq)
      val = eq + 1;
    else if (i + 1 < argc)
      val = argv[++i];
    else {
      snprintf(why, sizeof why, "`%s` needs a value", a);
      return usage(why);
    }
    const char **slots[] = {&o->id, &o->bundle, &o->runtime, &o->runtime_root, &o->log_path, &o->exit_file,
                            &o->pid_file, &o->attach, &o->control};
    long long v;
    if (k < 9) {
      *slots[k] = val;
    } else if (parse_num(val, &v) < 0 || (k != 9 && v > INT_MAX)) {
      snprintf(why, sizeof why, "`%s %s`: not a valid number", names[k], val);
      return usage(why);
    } else if (k == 9) {
      o->max_size = v;
    } else if (k == 10) {
      o->max_file = (int)v;
    } else {
      o->ready_fd = (int)v;
    }
  }
  if (!o->id || !o->bundle || !o->runtime || !o->log_path || !o->exit_file)
    return usage("--id, --bundle, --runtime, --log-path and --exit-file are required");
  if (o->runtime[0] != '/')
    return usage("--runtime must be an absolute path (the monitor runs in /)");
  return 0;
}

int tsc_cmd_monitor(int argc, char **argv) {
  static opts_t o = {.max_file = 1, .ready_fd = -1};
  int rc = parse_opts(argc, argv, &o);
  if (rc)
    return rc;
  O = &o;
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) < 0) {
    fprintf(stderr, "tscrun monitor: pipe: %s\n", strerror(errno));
    return 1;
  }
  fflush(NULL);
  pid_t p1 = fork();
  if (p1 < 0) {
    fprintf(stderr, "tscrun monitor: fork: %s\n", strerror(errno));
    return 1;
  }
  if (p1 == 0) {
    close(ready[0]);
    if (o.ready_fd >= 0)
      close(o.ready_fd);
    setsid(); /* no controlling terminal, own session: the caller's signals stay there */
    pid_t p2 = fork();
    if (p2 < 0) {
      report(ready[1], 'E', "fork of the monitor failed");
      _exit(1);
    }
    if (p2 > 0)
      _exit(0);
    monitor_main(ready[1]);
  }
  close(ready[1]);
  int st;
  while (waitpid(p1, &st, 0) < 0 && errno == EINTR)
    ;
  static char msg[4096];
  size_t n = 0;
  ssize_t r;
  while (n < sizeof msg - 1 && ((r = read(ready[0], msg + n, sizeof msg - 1 - n)) > 0 || (r < 0 && errno == EINTR)))
    if (r > 0)
      n += (size_t)r;
  close(ready[0]);
  msg[n] = 0;
  if (n && msg[0] == 'P') {
    int out = o.ready_fd >= 0 ? o.ready_fd : 1;
    write_all(out, msg + 1, n - 1);
    return 0;
  }
  if (n && msg[0] == 'E') {
    fprintf(stderr, "tscrun monitor: %s\n", msg + 1);
    return 1;
  }
  fprintf(stderr, "tscrun monitor: the monitor process died before reporting\n");
  return 1;
}

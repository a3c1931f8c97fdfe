/* `tscrun exec-relay`: an exec with a terminal for a caller that cannot take
 * file descriptors (the engine is Node). See exec-relay.h for the protocol. */
#include "exec-relay.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "utils.h"

#define DRAIN_MS 2000

typedef struct {
  const char *runtime, *runtime_root, *process, *id;
  int control_fd;
} relay_opts_t;

typedef struct {
  int master, console_l, sfd;
  char dir[64], sock[96], pid_file[96];
  pid_t child, process; /* the runtime; the process it started (ours to reap: subreaper) */
  int status;
  bool exited;
  struct winsize ws; /* asked for before the pty arrived: applied on arrival */
  bool ws_pending;
  char in[8192]; /* stdin bytes the pty has not taken yet */
  size_t in_len, in_off;
  bool in_open, out_open;
  char ctl[64];
  size_t ctl_len;
} relay_t;

static int usage(const char *why) {
  fprintf(stderr,
          "tscrun exec-relay: %s\n"
          "usage: tscrun exec-relay --runtime PATH [--runtime-root DIR] --process FILE [--control-fd N] ID\n",
          why);
  return 2;
}

static int parse(int argc, char **argv, relay_opts_t *o) {
  enum { O_RUNTIME = 256, O_ROOT, O_PROCESS, O_CONTROL };
  static const struct option lo[] = {{"runtime", required_argument, NULL, O_RUNTIME},
                                     {"runtime-root", required_argument, NULL, O_ROOT},
                                     {"process", required_argument, NULL, O_PROCESS},
                                     {"control-fd", required_argument, NULL, O_CONTROL},
                                     {NULL, 0, NULL, 0}};
  int c;
  char *end;
  optind = 0;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "+", lo, NULL)) != -1) {
    switch (c) {
    case O_RUNTIME: o->runtime = optarg; break;
    case O_ROOT: o->runtime_root = optarg; break;
    case O_PROCESS: o->process = optarg; break;
    case O_CONTROL:
      o->control_fd = (int)strtol(optarg, &end, 10);
      if (*end || o->control_fd < 3)
        return usage("--control-fd needs a descriptor number >= 3");
      break;
    default: return usage("unknown option or missing value");
    }
  }
  if (optind != argc - 1 || !o->runtime || !o->process)
    return usage("--runtime, --process and one container ID are required");
  o->id = argv[optind];
  return 0;
}

static int listen_console(relay_t *r, tsc_err_t *err) {
  snprintf(r->dir, sizeof r->dir, "/tmp/tscexec-XXXXXX");
  if (!mkdtemp(r->dir)) {
    *r->dir = 0;
    return tsc_error(err, errno, "mkdtemp in /tmp");
  }
  snprintf(r->sock, sizeof r->sock, "%s/console.sock", r->dir);
  snprintf(r->pid_file, sizeof r->pid_file, "%s/pid", r->dir);
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  strcpy(sa.sun_path, r->sock);
  r->console_l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (r->console_l < 0)
    return tsc_error(err, errno, "socket for `%s`", r->sock);
  if (bind(r->console_l, (struct sockaddr *)&sa, sizeof sa) < 0 || chmod(r->sock, 0600) < 0 ||
      listen(r->console_l, 1) < 0)
    return tsc_error(err, errno, "listen on `%s`", r->sock);
  return 0;
}

static void remove_folder(relay_t *r) {
  if (r->console_l >= 0)
    close(get_and_reset(&r->console_l));
  if (!*r->dir)
    return;
  unlink(r->sock);
  unlink(r->pid_file);
  rmdir(r->dir);
  *r->dir = 0;
}

static _Noreturn void exec_runtime(const relay_opts_t *o, const relay_t *r) {
  const char *argv[16];
  int a = 0;
  argv[a++] = o->runtime;
  if (o->runtime_root)
    argv[a++] = "--root", argv[a++] = o->runtime_root;
  /* runc takes a console socket only when detached (as containerd's shim
   * runs it): the runtime exits once the process runs, and the process,
   * orphaned, comes to us as its subreaper */
  argv[a++] = "exec", argv[a++] = "--detach", argv[a++] = "--tty";
  argv[a++] = "--console-socket", argv[a++] = r->sock, argv[a++] = "--pid-file", argv[a++] = r->pid_file;
  argv[a++] = "--process", argv[a++] = o->process;
  argv[a++] = o->id;
  argv[a] = NULL;
  /* the runtime's messages belong on stderr; our stdout is the terminal's */
  int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null < 0 || dup2(null, 0) < 0 || dup2(2, 1) < 0)
    _exit(126);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  signal(SIGPIPE, SIG_DFL); /* an ignored signal would stay ignored in the exec'd process */
  execv(o->runtime, (char *const *)argv);
  fprintf(stderr, "tscrun exec-relay: exec `%s`: %s\n", o->runtime, strerror(errno));
  _exit(127);
}

static void take_master(relay_t *r) {
  cleanup_close int c = accept4(r->console_l, NULL, NULL, SOCK_CLOEXEC);
  if (c < 0)
    return;
  tsc_err_t err = {0};
  /* the runtime connects, then sends: wait for the message, not for more */
  struct pollfd p = {c, POLLIN, 0};
  if (poll(&p, 1, 5000) <= 0 || (r->master = recv_fd(c, &err)) < 0) {
    r->master = -1;
    return;
  }
  fcntl(r->master, F_SETFL, O_NONBLOCK);
  if (r->ws_pending)
    ioctl(r->master, TIOCSWINSZ, &r->ws);
  close(get_and_reset(&r->console_l));
}

/* "resize ROWS COLS": anything else is ignored (the caller is the engine) */
static void control_line(relay_t *r, const char *line) {
  unsigned rows, cols;
  char extra;
  if (sscanf(line, "resize %u %u %c", &rows, &cols, &extra) != 2 || !rows || !cols || rows > 65535 ||
      cols > 65535)
    return;
  r->ws = (struct winsize){.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
  r->ws_pending = r->master < 0;
  if (r->master >= 0)
    ioctl(r->master, TIOCSWINSZ, &r->ws);
}

static void control_input(relay_t *r, int *fd) {
  ssize_t n = read(*fd, r->ctl + r->ctl_len, sizeof r->ctl - 1 - r->ctl_len);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return;
  if (n <= 0) {
    close(get_and_reset(fd));
    return;
  }
  r->ctl_len += (size_t)n;
  char *nl;
  while ((nl = memchr(r->ctl, '\n', r->ctl_len))) {
    *nl = 0;
    control_line(r, r->ctl);
    r->ctl_len -= (size_t)(nl + 1 - r->ctl);
    memmove(r->ctl, nl + 1, r->ctl_len);
  }
  if (r->ctl_len == sizeof r->ctl - 1)
    r->ctl_len = 0; /* no command is that long: drop it */
}

/* pty → stdout; false once the pty has nothing more (EIO: no slave left) */
static bool pump_out(relay_t *r) {
  char buf[8192];
  ssize_t n = read(r->master, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return true;
  if (n <= 0)
    return false;
  /* a caller gone away: keep draining so the process never blocks on output */
  if (r->out_open && write_full(1, buf, (size_t)n) != n)
    r->out_open = false;
  return true;
}

static void pump_in(relay_t *r) {
  if (r->in_len == 0) {
    ssize_t n = read(0, r->in, sizeof r->in);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
      return;
    if (n <= 0) {
      /* a terminal has no end of input apart from its slave side: the
       * process keeps running, as with dockerd's exec -t */
      r->in_open = false;
      return;
    }
    r->in_len = (size_t)n, r->in_off = 0;
  }
  if (r->master < 0)
    return;
  ssize_t w = write(r->master, r->in + r->in_off, r->in_len - r->in_off);
  if (w > 0)
    r->in_off += (size_t)w;
  if (r->in_off == r->in_len)
    r->in_len = r->in_off = 0;
}

static pid_t read_pid(const char *path) {
  char b[32];
  cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : read(fd, b, sizeof b - 1);
  if (n <= 0)
    return -1;
  b[n] = 0;
  long v = strtol(b, NULL, 10);
  return v > 0 ? (pid_t)v : -1;
}

/* Only the two pids we know are waited for: a pid from the pid file can
 * only be reaped by us, so it is still there however early it exited. */
static void reap(relay_t *r) {
  struct signalfd_siginfo si;
  while (read(r->sfd, &si, sizeof si) > 0)
    ;
  int st;
  if (r->child > 0 && waitpid(r->child, &st, WNOHANG) == r->child) {
    r->child = 0;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || (r->process = read_pid(r->pid_file)) < 0) {
      /* the process never ran: 126 like dockerd's failed exec start (the runtime's message is on stderr) */
      if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        fprintf(stderr, "tscrun exec-relay: the runtime wrote no pid to `%s`\n", r->pid_file);
      r->status = 126 << 8, r->exited = true;
    }
    if (r->console_l >= 0 && r->master < 0)
      take_master(r); /* sent, not yet accepted */
    remove_folder(r);
  }
  if (r->process > 0 && waitpid(r->process, &st, WNOHANG) == r->process)
    r->process = 0, r->status = st, r->exited = true;
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void relay_loop(relay_t *r, int control) {
  long long deadline = 0;
  for (;;) {
    if (r->exited && r->master < 0)
      break;
    int timeout = -1;
    if (r->exited) {
      if (!deadline)
        deadline = now_ms() + DRAIN_MS; /* a daemonized child may hold the slave: stop waiting */
      long long left = deadline - now_ms();
      if (left <= 0)
        break;
      timeout = (int)left;
    }
    enum { P_SIG, P_CONSOLE, P_MASTER, P_IN, P_CONTROL, P_N };
    struct pollfd p[P_N] = {
        [P_SIG] = {r->sfd, POLLIN, 0},
        [P_CONSOLE] = {r->console_l, POLLIN, 0},
        [P_MASTER] = {r->master, (short)(POLLIN | (r->in_len ? POLLOUT : 0)), 0},
        [P_IN] = {r->in_open && !r->in_len && r->master >= 0 && !r->exited ? 0 : -1, POLLIN, 0},
        [P_CONTROL] = {control, POLLIN, 0},
    };
    if (poll(p, P_N, timeout) < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    if (p[P_CONSOLE].revents & POLLIN)
      take_master(r);
    if (p[P_MASTER].revents & (POLLIN | POLLHUP | POLLERR) && !pump_out(r))
      close(get_and_reset(&r->master));
    if (r->master >= 0 && (p[P_MASTER].revents & POLLOUT || p[P_IN].revents))
      pump_in(r);
    if (p[P_CONTROL].revents)
      control_input(r, &control);
    if (p[P_SIG].revents & POLLIN)
      reap(r);
  }
  if (control >= 0)
    close(control);
}

static int exit_code(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }

int tsc_cmd_exec_relay(int argc, char **argv) {
  relay_opts_t o = {.control_fd = -1};
  int rc = parse(argc, argv, &o);
  if (rc)
    return rc;
  relay_t r = {.master = -1, .console_l = -1, .sfd = -1, .child = -1, .in_open = true, .out_open = true};
  int stdin_flags = -1;
  tsc_err_t err = {0};
  signal(SIGPIPE, SIG_IGN);
  prctl(PR_SET_NAME, "tscrun-relay", 0, 0, 0);
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  if ((r.sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
    tsc_error(&err, errno, "signalfd");
  } else if (listen_console(&r, &err) == 0) {
    /* stdin may be shared with whoever started us (a terminal): its flags are put back at the end */
    if ((stdin_flags = fcntl(0, F_GETFL)) >= 0)
      fcntl(0, F_SETFL, stdin_flags | O_NONBLOCK);
    if (o.control_fd >= 0)
      fcntl(o.control_fd, F_SETFD, FD_CLOEXEC);
    fflush(NULL);
    if ((r.child = fork()) == 0)
      exec_runtime(&o, &r);
    if (r.child < 0)
      tsc_error(&err, errno, "fork");
  }
  if (r.child < 0) {
    char text[TSC_ERR_MSG_MAX + 128];
    fprintf(stderr, "tscrun exec-relay: %s\n", tsc_error_text(&err, text, sizeof text));
    remove_folder(&r);
    if (r.sfd >= 0)
      close(r.sfd);
    if (stdin_flags >= 0)
      fcntl(0, F_SETFL, stdin_flags);
    return 126;
  }
  relay_loop(&r, o.control_fd);
  /* the loop ends on the process's exit, or on a poll failure */
  pid_t last = r.process > 0 ? r.process : r.child;
  while (!r.exited && last > 0 && waitpid(last, &r.status, 0) < 0 && errno == EINTR)
    ;
  remove_folder(&r);
  if (r.master >= 0)
    close(r.master);
  close(r.sfd);
  if (stdin_flags >= 0)
    fcntl(0, F_SETFL, stdin_flags);
  return exit_code(r.status);
}

/* The runc-compatible commands other than exec: create start state kill
 * delete run features pause resume ps list. Exit codes follow runc: 0 on
 * success, 1 on any runtime error; `run` exits with the container's code
 * (128+signal when it was killed by a signal). */
#include "runtime.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include "cgroup.h"
#include "utils.h"

static int fail(const char *cmd, const tsc_err_t *err) {
  tsc_report(cmd, err);
  return 1;
}

static int usage(const char *cmd, const char *text) {
  tsc_report_msg(cmd, "usage: tscrun %s %s", cmd, text);
  return 1;
}

/* ------------------------------------------------------ create / run -- */

enum { OPT_PID_FILE = 256, OPT_CONSOLE, OPT_NO_PIVOT, OPT_PRESERVE, OPT_KEEP, OPT_NO_NEW_KEYRING,
       OPT_IGNORED };

static const struct option create_long[] = {
    {"bundle", required_argument, NULL, 'b'},
    {"pid-file", required_argument, NULL, OPT_PID_FILE},
    {"console-socket", required_argument, NULL, OPT_CONSOLE},
    {"no-pivot", no_argument, NULL, OPT_NO_PIVOT},
    {"no-new-keyring", no_argument, NULL, OPT_NO_NEW_KEYRING},
    {"preserve-fds", required_argument, NULL, OPT_PRESERVE},
    {"detach", no_argument, NULL, 'd'},
    {"keep", no_argument, NULL, OPT_KEEP},
    {"no-subreaper", no_argument, NULL, OPT_IGNORED},
    {NULL, 0, NULL, 0},
};

static int parse_create(int argc, char **argv, create_opts_t *o, bool *detach, bool *keep) {
  int c;
  o->bundle = ".";
  optind = 0;
  while ((c = getopt_long(argc, argv, "+b:d", create_long, NULL)) != -1) {
    switch (c) {
    case 'b': o->bundle = optarg; break;
    case OPT_PID_FILE: o->pid_file = optarg; break;
    case OPT_CONSOLE: o->console_socket = optarg; break;
    case OPT_NO_PIVOT: o->no_pivot = true; break;
    case OPT_PRESERVE: o->preserve_fds = atoi(optarg); break;
    case 'd': *detach = true; break;
    case OPT_KEEP: *keep = true; break;
    case OPT_NO_NEW_KEYRING: case OPT_IGNORED: break;
    default: return -1;
    }
  }
  if (optind != argc - 1)
    return -1;
  o->id = argv[optind];
  return 0;
}

int cmd_create(int argc, char **argv) {
  create_opts_t o = {.console_fd = -1};
  bool detach = false, keep = false;
  tsc_err_t err = {0};
  pid_t pid;
  if (parse_create(argc, argv, &o, &detach, &keep) < 0)
    return usage("create", "[--bundle DIR] [--pid-file F] [--console-socket S] ID");
  return container_create(&o, &pid, &err) < 0 ? fail("create", &err) : 0;
}

int container_start(const char *id, tsc_err_t *err) {
  tsc_state_t *st = NULL;
  if (state_load(id, &st, err) < 0)
    return -1;
  tsc_status_t s = state_status(st);
  if (s != ST_CREATED) {
    int r = tsc_error(err, 0, "cannot start container `%s`: it is %s, not created", id,
                      state_status_name(s));
    state_free(st);
    return r;
  }
  cleanup_free char *fifo = xasprintf("%s/exec.fifo", st->dir);
  cleanup_close int fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  int r = fd < 0 ? tsc_error(err, errno, "open `%s`", fifo) : 0;
  /* Poll rather than block: if the init died, nobody would ever write.
   * First the init's "0", then EOF: its write end closes on execve. */
  bool got = false;
  while (r == 0) {
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    char b;
    ssize_t k = poll(&pfd, 1, 100) > 0 ? read(fd, &b, 1) : -1;
    if (k == 1) {
      got = true;
      continue;
    }
    if (k == 0 && got)
      break; /* execve closed the init's write end */
    if (!state_alive(st)) {
      if (!got)
        r = tsc_error(err, 0, "container `%s` init exited before start", id);
      break;
    }
  }
  if (r == 0)
    unlink(fifo);
  state_free(st);
  return r;
}

int cmd_start(int argc, char **argv) {
  tsc_err_t err = {0};
  if (argc != 2)
    return usage("start", "ID");
  return container_start(argv[1], &err) < 0 ? fail("start", &err) : 0;
}

static int exit_code(int status) {
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return 1;
}

int wait_forwarding(pid_t pid) {
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &old);
  cleanup_close int sfd = signalfd(-1, &all, SFD_CLOEXEC);
  int status;
  for (;;) {
    pid_t w;
    while ((w = waitpid(-1, &status, WNOHANG)) > 0)
      if (w == pid)
        goto done;
    if (w < 0 && errno == ECHILD)
      return 1; /* not ours to wait for: should not happen */
    struct signalfd_siginfo si;
    if (sfd < 0 || read(sfd, &si, sizeof si) != sizeof si)
      continue;
    if (si.ssi_signo != SIGCHLD && si.ssi_signo != SIGURG)
      kill(pid, (int)si.ssi_signo);
  }
done:
  sigprocmask(SIG_SETMASK, &old, NULL);
  return exit_code(status);
}

static int destroy(tsc_state_t *st, tsc_err_t *err);

/* The pty master, when the init sent one over our socketpair (run -t). */
static int take_master(int sock) {
  char c;
  if (sock < 0 || recv(sock, &c, 1, MSG_PEEK | MSG_DONTWAIT) != 1)
    return -1;
  tsc_err_t ignored;
  return recv_fd(sock, &ignored);
}

int cmd_run(int argc, char **argv) {
  create_opts_t o = {.console_fd = -1};
  bool detach = false, keep = false;
  tsc_err_t err = {0};
  pid_t pid;
  int pair[2] = {-1, -1};
  if (parse_create(argc, argv, &o, &detach, &keep) < 0)
    return usage("run", "[--bundle DIR] [--detach] [--pid-file F] [--keep] ID");
  if (!detach) {
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    if (!o.console_socket && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == 0)
      o.console_fd = pair[1];
  }
  int r = container_create(&o, &pid, &err);
  if (pair[1] >= 0)
    close(pair[1]);
  cleanup_close int master = r == 0 ? take_master(pair[0]) : -1;
  if (pair[0] >= 0)
    close(pair[0]);
  if (r < 0)
    return fail("run", &err);
  int code;
  if (container_start(o.id, &err) < 0) {
    tsc_report("run", &err);
    kill(pid, SIGKILL);
    wait_forwarding(pid);
    detach = keep = false;
    code = 1;
  } else if (detach) {
    return 0;
  } else {
    code = master >= 0 ? terminal_proxy_wait(pid, master) : wait_forwarding(pid);
  }
  trace_mark("run: container exited");
  tsc_state_t *st = NULL;
  if (!keep && state_load(o.id, &st, &err) == 0) {
    if (destroy(st, &err) < 0)
      tsc_report("run", &err);
    state_free(st);
  }
  trace_mark("run: deleted");
  return code;
}

/* ---------------------------------------------------------------- state -- */

static int load_or_fail(const char *cmd, const char *id, tsc_state_t **st) {
  tsc_err_t err = {0};
  if (state_load(id, st, &err) < 0)
    return fail(cmd, &err);
  return 0;
}

int cmd_state(int argc, char **argv) {
  tsc_state_t *st = NULL;
  if (argc != 2)
    return usage("state", "ID");
  if (load_or_fail("state", argv[1], &st))
    return 1;
  int r = state_print(st);
  state_free(st);
  return r < 0 ? 1 : 0;
}

/* ----------------------------------------------------------------- kill -- */

static int load_cgroup(const tsc_state_t *st, tsc_cgroup_t **cg, tsc_err_t *err) {
  *cg = NULL;
  if (!st->cgroup || !*st->cgroup)
    return tsc_error(err, 0, "container `%s` has no cgroup recorded", st->id);
  return tsc_cgroup_load(st->cgroup, cg, err);
}

int cmd_kill(int argc, char **argv) {
  static const struct option lo[] = {{"all", no_argument, NULL, 'a'}, {NULL, 0, NULL, 0}};
  bool all = false;
  int c;
  optind = 0;
  while ((c = getopt_long(argc, argv, "a", lo, NULL)) != -1)
    if (c == 'a')
      all = true;
    else
      return usage("kill", "[--all] ID [SIGNAL]");
  if (optind >= argc || argc - optind > 2)
    return usage("kill", "[--all] ID [SIGNAL]");
  const char *id = argv[optind];
  const char *name = optind + 1 < argc ? argv[optind + 1] : "SIGTERM";
  int sig = parse_signal(name);
  if (sig < 0) {
    tsc_report_msg("kill", "unknown signal `%s`", name);
    return 1;
  }
  tsc_state_t *st = NULL;
  if (load_or_fail("kill", id, &st))
    return 1;
  tsc_err_t err = {0};
  int r = 0;
  tsc_cgroup_t *cg = NULL;
  if (state_status(st) == ST_STOPPED)
    r = tsc_error(&err, 0, "container `%s` is not running", id);
  else if (all && (r = load_cgroup(st, &cg, &err)) == 0)
    r = tsc_cgroup_kill(cg, sig, &err);
  else if (!all && kill(st->pid, sig) < 0)
    r = tsc_error(&err, errno, "kill pid %d with signal %d", (int)st->pid, sig);
  tsc_cgroup_free(cg);
  state_free(st);
  return r < 0 ? fail("kill", &err) : 0;
}

/* --------------------------------------------------------------- delete -- */

static void wait_gone(const tsc_state_t *st) {
  for (int i = 0; i < 1000 && state_alive(st); i++) {
    struct timespec ts = {0, 5 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
}

static int destroy(tsc_state_t *st, tsc_err_t *err) {
  tsc_cgroup_t *cg = NULL;
  if (state_alive(st)) {
    kill(st->pid, SIGKILL);
    if (st->cgroup && *st->cgroup && tsc_cgroup_load(st->cgroup, &cg, err) == 0)
      tsc_cgroup_freeze(cg, false, err); /* a frozen process cannot die */
    wait_gone(st);
  }
  if (!cg && st->cgroup && *st->cgroup && tsc_cgroup_load(st->cgroup, &cg, err) < 0)
    return -1;
  int r = cg ? tsc_cgroup_destroy(cg, err) : 0;
  tsc_cgroup_free(cg);
  if (remove_dir_files(st->dir, r == 0 ? err : &(tsc_err_t){0}) < 0)
    r = -1;
  return r;
}

/* `--umount-rootfs` (ours, not runc's): the container's root filesystem, as
 * its state records it, is unmounted once the container is gone, detached
 * lazily when busy; not a mount point is fine. With several IDs (also ours)
 * each is deleted in turn, errors reported and the others still deleted.
 * The engine deletes the containers that exit together in one process:
 * 50 stopping at once (bench/compose.ts `down`) cost a few processes
 * instead of 50 `delete` and 50 `umount`. */
static int umount_rootfs(const char *path, tsc_err_t *err) {
  if (!path || !*path || umount2(path, 0) == 0 || errno == EINVAL || errno == ENOENT)
    return 0;
  if (errno == EBUSY && umount2(path, MNT_DETACH) == 0)
    return 0;
  return tsc_error(err, errno, "umount `%s`", path);
}

static int delete_one(const char *id, bool force, bool umount, tsc_err_t *err) {
  tsc_state_t *st = NULL;
  if (state_load(id, &st, err) < 0) {
    if (!force)
      return -1;
    *err = (tsc_err_t){0};
    cleanup_free char *dir = state_dir(id);
    struct stat sb;
    /* like runc: --force on a missing container is not an error */
    return stat(dir, &sb) < 0 ? 0 : remove_dir_files(dir, err);
  }
  tsc_status_t s = state_status(st);
  int r;
  if ((s == ST_RUNNING || s == ST_PAUSED) && !force)
    r = tsc_error(err, 0, "cannot delete container `%s` that is not stopped: %s (use --force)",
                  st->id, state_status_name(s));
  else
    r = destroy(st, err);
  if (r == 0 && umount)
    r = umount_rootfs(st->rootfs, err);
  state_free(st);
  return r;
}

enum { OPT_UMOUNT_ROOTFS = 256 };

int cmd_delete(int argc, char **argv) {
  static const struct option lo[] = {{"force", no_argument, NULL, 'f'},
                                     {"umount-rootfs", no_argument, NULL, OPT_UMOUNT_ROOTFS},
                                     {NULL, 0, NULL, 0}};
  bool force = false, umount = false;
  int c;
  optind = 0;
  while ((c = getopt_long(argc, argv, "f", lo, NULL)) != -1)
    if (c == 'f')
      force = true;
    else if (c == OPT_UMOUNT_ROOTFS)
      umount = true;
    else
      return usage("delete", "[--force] [--umount-rootfs] ID...");
  if (optind >= argc)
    return usage("delete", "[--force] [--umount-rootfs] ID...");
  int failed = 0;
  for (int i = optind; i < argc; i++) {
    tsc_err_t err = {0};
    if (delete_one(argv[i], force, umount, &err) < 0) {
      tsc_report("delete", &err);
      failed = 1;
    }
  }
  return failed;
}

/* -------------------------------------------------------- pause/resume -- */

static int freeze(const char *cmd, int argc, char **argv, bool frozen) {
  if (argc != 2)
    return usage(cmd, "ID");
  tsc_state_t *st = NULL;
  if (load_or_fail(cmd, argv[1], &st))
    return 1;
  tsc_err_t err = {0};
  tsc_cgroup_t *cg = NULL;
  tsc_status_t s = state_status(st);
  int r;
  if (s != (frozen ? ST_RUNNING : ST_PAUSED))
    r = tsc_error(&err, 0, "container `%s` is %s, not %s", st->id, state_status_name(s),
                  frozen ? "running" : "paused");
  else if ((r = load_cgroup(st, &cg, &err)) == 0)
    r = tsc_cgroup_freeze(cg, frozen, &err);
  tsc_cgroup_free(cg);
  state_free(st);
  return r < 0 ? fail(cmd, &err) : 0;
}

int cmd_pause(int argc, char **argv) { return freeze("pause", argc, argv, true); }
int cmd_resume(int argc, char **argv) { return freeze("resume", argc, argv, false); }

/* ------------------------------------------------------------ ps / list -- */

int cmd_ps(int argc, char **argv) {
  static const struct option lo[] = {{"format", required_argument, NULL, 'f'},
                                     {NULL, 0, NULL, 0}};
  bool json = false;
  int c;
  optind = 0;
  while ((c = getopt_long(argc, argv, "f:", lo, NULL)) != -1)
    if (c == 'f')
      json = !strcmp(optarg, "json");
    else
      return usage("ps", "[--format table|json] ID");
  if (optind != argc - 1)
    return usage("ps", "[--format table|json] ID");
  tsc_state_t *st = NULL;
  if (load_or_fail("ps", argv[optind], &st))
    return 1;
  tsc_err_t err = {0};
  tsc_cgroup_t *cg = NULL;
  pid_t *pids = NULL;
  size_t n = 0;
  int r = load_cgroup(st, &cg, &err);
  if (r == 0)
    r = tsc_cgroup_pids(cg, &pids, &n, &err);
  if (r == 0) {
    fputs(json ? "[" : "PID\n", stdout);
    for (size_t i = 0; i < n; i++)
      printf(json ? "%s%d" : "%s%d\n", json && i ? "," : "", (int)pids[i]);
    fputs(json ? "]\n" : "", stdout);
  }
  free(pids);
  tsc_cgroup_free(cg);
  state_free(st);
  return r < 0 ? fail("ps", &err) : 0;
}

int cmd_list(int argc, char **argv) {
  (void)argc;
  (void)argv;
  DIR *d = opendir(g_opts.root);
  printf("%-12s%-12s%-12s%-40s%s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED");
  struct dirent *de;
  while (d && (de = readdir(d))) {
    tsc_state_t *st = NULL;
    tsc_err_t err;
    if (de->d_name[0] == '.' || state_load(de->d_name, &st, &err) < 0)
      continue;
    tsc_status_t s = state_status(st);
    printf("%-12s%-12d%-12s%-40s%s\n", st->id, s == ST_STOPPED ? 0 : (int)st->pid,
           state_status_name(s), st->bundle, st->created);
    state_free(st);
  }
  if (d)
    closedir(d);
  return 0;
}

/* `create` and `start`: the three stages drawn in sync.h.
 *
 * container_init() is the setup checklist of the container's init, in the
 * order it runs; each step is one call that either succeeds or fills `err`,
 * which crosses back to the parent over the sync socket. */
#include "runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "cgroup.h"
#include "sync.h"
#include "utils.h"

typedef struct {
  const create_opts_t *o;
  bool ready_sent;     /* init: the parent may be gone, report on stderr */
  bool in_cgroup;      /* init: SYNC_CGROUP received */
  spec_t *spec;
  char *dir;           /* <root>/<id> */
  int sync[2];         /* [0] parent end, [1] children's end */
  int console;         /* connected --console-socket, or -1 */
  int fifo;            /* O_PATH of exec.fifo, opened by the parent: in a user
                          namespace the init may not search the state dir */
  tsc_seccomp_t seccomp;
  tsc_cgroup_t *cgroup;
} ctx_t;

/* ---------------------------------------------------------------- init -- */

static int open_procfd(int *procfd, tsc_err_t *err) {
  /* After pivot_root the fifo's path is gone; reopening our own fd through
   * the host's /proc/<pid>/fd works whatever the container mounts. */
  *procfd = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (*procfd < 0)
    return tsc_error(err, errno, "open `/proc/self/fd`");
  return 0;
}

/* Blocks until `start` opens the fifo. The write end stays open (CLOEXEC)
 * so that `start` sees EOF exactly when execve has happened: it returns
 * once the container's process runs, not while the init is still ours. */
static int wait_for_start(int fifo, int procfd, int *wfd, tsc_err_t *err) {
  char name[16];
  snprintf(name, sizeof name, "%d", fifo);
  do
    *wfd = openat(procfd, name, O_WRONLY | O_CLOEXEC);
  while (*wfd < 0 && errno == EINTR);
  if (*wfd < 0)
    return tsc_error(err, errno, "open exec.fifo for writing");
  return write_full(*wfd, "0", 1) == 1 ? 0 : tsc_error(err, errno, "write exec.fifo");
}

/* Wait until the parent has moved us into the container's cgroup; only then
 * may the cgroup namespace be made (its root is the cgroup we are in). */
static int wait_cgroup(void *arg, tsc_err_t *err) {
  ctx_t *c = arg;
  if (c->in_cgroup)
    return 0;
  if (sync_expect(c->sync[1], SYNC_CGROUP, NULL, "tscrun create", err) < 0)
    return -1;
  c->in_cgroup = true;
  trace_mark("init: in cgroup");
  const spec_ns_t *cg = spec_namespace(c->spec, CLONE_NEWCGROUP);
  return cg && !cg->path ? ns_unshare(CLONE_NEWCGROUP, err) : 0;
}

static void reset_signals(void) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  for (int s = 1; s < NSIG; s++)
    if (s != SIGKILL && s != SIGSTOP)
      signal(s, SIG_DFL);
}

static int container_init(ctx_t *c, tsc_err_t *err) {
  const spec_t *spec = c->spec;
  const spec_process_t *p = &spec->process;
  rootfs_opts_t ro = {.no_pivot = c->o->no_pivot, .terminal = p->terminal,
                      .in_userns = spec_namespace(spec, CLONE_NEWUSER) != NULL,
                      .before_cgroup = wait_cgroup, .arg = c};
  finalize_opts_t fo = {.proc = p, .seccomp = &c->seccomp, .setgroups_allowed = true};
  cleanup_close int fifo = get_and_reset(&c->fifo), procfd = -1, started = -1;
  cleanup_free char *exe = NULL;
  struct stat sb;

  prctl(PR_SET_NAME, "tscrun:[2:INIT]", 0, 0, 0);
  trace_mark("init: start");
  if (open_procfd(&procfd, err) < 0 ||
      process_set_oom_score(p, err) < 0 ||
      rootfs_prepare(spec, &ro, err) < 0 ||
      wait_cgroup(c, err) < 0 ||
      (trace_mark("init: mounts done"), rootfs_pivot(spec, &ro, err)) < 0 ||
      process_set_hostname(spec, err) < 0 ||
      process_set_sysctls(spec, err) < 0)
    return -1;
  if (p->terminal &&
      terminal_setup(c->console, p, stat("/dev/console", &sb) == 0, err) < 0)
    return -1;
  if (c->console >= 0)
    close(get_and_reset(&c->console));
  trace_mark("init: pivoted");
  if (rootfs_finish(spec, err) < 0 ||
      process_set_rlimits(p, err) < 0 ||
      process_finalize(&fo, err) < 0 ||
      (process_ensure_home(&c->spec->process), process_find_exec(p, &exe, err)) < 0 ||
      cloexec_from(3 + c->o->preserve_fds, err) < 0 ||
      sync_send(c->sync[1], SYNC_READY, 0, err) < 0)
    return -1;
  c->ready_sent = true;
  trace_mark("init: ready");
  /* From here the parent may be gone: errors go to our stderr. */
  if (wait_for_start(fifo, procfd, &started, err) < 0)
    return -1;
  close(get_and_reset(&procfd));
  close(get_and_reset(&fifo));
  if (p->no_new_privs && tsc_seccomp_install(&c->seccomp, true, err) < 0)
    return -1;
  reset_signals();
  execve(exe, (char *const *)p->args, (char *const *)p->env);
  return tsc_error(err, errno, "exec `%s`", exe);
}

static void __attribute__((noreturn)) init_main(ctx_t *c) {
  tsc_err_t err = {0};
  container_init(c, &err);
  char text[TSC_ERR_MSG_MAX + 64];
  /* Before READY the parent reports it; after it, only our stderr can. */
  if (!c->ready_sent)
    sync_send_error(c->sync[1], &err);
  else
    fprintf(stderr, "tscrun: %s\n", tsc_error_text(&err, text, sizeof text));
  _exit(err.errnum == ENOENT ? 127 : err.errnum == EACCES ? 126 : 1);
}

/* ------------------------------------------------------------- stage 1 -- */

static int stage1(ctx_t *c, pid_t *init, tsc_err_t *err) {
  int new_ns = ns_new_flags(c->spec);
  prctl(PR_SET_NAME, "tscrun:[1:CHILD]", 0, 0, 0);
  if (ns_join_paths(c->spec, err) < 0)
    return -1;
  if ((new_ns & CLONE_NEWUSER) && ns_unshare(CLONE_NEWUSER, err) < 0)
    return -1;
  if (sync_send(c->sync[1], SYNC_HELLO, 0, err) < 0 ||
      sync_expect(c->sync[1], SYNC_GO, NULL, "tscrun create", err) < 0)
    return -1;
  if ((new_ns & CLONE_NEWUSER) && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
    return tsc_error(err, errno, "become root in the new user namespace (map container id 0)");
  /* The cgroup namespace waits for the cgroup: the init makes it. */
  if (ns_unshare(new_ns & ~(CLONE_NEWUSER | CLONE_NEWCGROUP), err) < 0)
    return -1;
  *init = fork();
  if (*init < 0)
    return tsc_error(err, errno, "fork the container init");
  if (*init == 0)
    init_main(c);
  return sync_send(c->sync[1], SYNC_PID, *init, err);
}

static void __attribute__((noreturn)) stage1_main(ctx_t *c) {
  tsc_err_t err = {0};
  pid_t init = 0;
  close(c->sync[0]);
  if (stage1(c, &init, &err) == 0)
    _exit(0);
  sync_send_error(c->sync[1], &err);
  if (init > 0)
    kill(init, SIGKILL);
  _exit(1);
}

/* -------------------------------------------------------------- parent -- */

static int validate(const spec_t *spec, tsc_err_t *err) {
  const spec_ns_t *mnt = spec_namespace(spec, CLONE_NEWNS);
  if (!mnt || mnt->path)
    return tsc_error(err, 0,
                     "config.json: tscrun needs a new mount namespace (linux.namespaces "
                     "must list {\"type\": \"mount\"} without a path)");
  const spec_ns_t *uts = spec_namespace(spec, CLONE_NEWUTS);
  if ((spec->hostname || spec->domainname) && (!uts || uts->path))
    return tsc_error(err, 0,
                     "config.json: `hostname` needs a new uts namespace (add {\"type\": \"uts\"})");
  return 0;
}

static int prepare(ctx_t *c, tsc_err_t *err) {
  const create_opts_t *o = c->o;
  if (state_check_id(o->id, err) < 0 || spec_load(o->bundle, &c->spec, err) < 0 ||
      validate(c->spec, err) < 0 || tsc_seccomp_compile(c->spec->seccomp, &c->seccomp, err) < 0)
    return -1;
  if (c->spec->process.terminal && !o->console_socket && o->console_fd < 0)
    return tsc_error(err, 0,
                     "process.terminal is true: pass --console-socket to receive the pty");
  if (mkdir_p(g_opts.root, 0700, err) < 0)
    return -1;
  c->dir = state_dir(o->id);
  if (mkdir(c->dir, 0711) < 0) {
    int e = errno;
    free(steal_ptr(&c->dir));
    return e == EEXIST ? tsc_error(err, 0, "container `%s` already exists", o->id)
                       : tsc_error(err, e, "mkdir `%s/%s`", g_opts.root, o->id);
  }
  cleanup_free char *fifo = xasprintf("%s/exec.fifo", c->dir);
  if (mkfifo(fifo, 0622) < 0 || chmod(fifo, 0622) < 0)
    return tsc_error(err, errno, "mkfifo `%s`", fifo);
  if ((c->fifo = open(fifo, O_PATH | O_CLOEXEC)) < 0)
    return tsc_error(err, errno, "open `%s`", fifo);
  if (c->spec->process.terminal && o->console_fd >= 0)
    c->console = fcntl(o->console_fd, F_DUPFD_CLOEXEC, 3);
  else if (c->spec->process.terminal &&
           (c->console = console_socket_connect(o->console_socket, err)) < 0)
    return -1;
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, c->sync) < 0)
    return tsc_error(err, errno, "socketpair");
  return 0;
}

static int drive(ctx_t *c, pid_t *childp, pid_t *init, tsc_err_t *err) {
  int64_t v = 0;
  tsc_err_t later;
  if (sync_expect(c->sync[0], SYNC_HELLO, NULL, "tscrun:[1:CHILD]", err) < 0)
    return -1;
  trace_mark("parent: hello");
  const spec_ns_t *user = spec_namespace(c->spec, CLONE_NEWUSER);
  if ((user && !user->path && ns_write_id_maps(*childp, c->spec, err) < 0) ||
      sync_send(c->sync[0], SYNC_GO, 0, err) < 0)
    return -1;
  /* Made while stage 1 unshares and the init mounts (two cores, no wait). */
  int cg = tsc_cgroup_setup(c->o->id, c->spec->linux_section, 0, &c->cgroup, err);
  trace_mark("parent: cgroup made");
  if (sync_expect(c->sync[0], SYNC_PID, &v, "tscrun:[1:CHILD]", cg < 0 ? &later : err) < 0)
    return -1;
  *init = (pid_t)v;
  while (waitpid(*childp, NULL, 0) < 0 && errno == EINTR)
    ;
  *childp = -1;
  if (cg < 0 || tsc_cgroup_enter(c->cgroup, *init, err) < 0)
    return -1;
  /* If the init already failed, its error waits in the socket: read that
   * rather than report the broken pipe. */
  if (sync_send(c->sync[0], SYNC_CGROUP, 0, &later) < 0)
    return sync_expect(c->sync[0], SYNC_READY, NULL, "the container init", err) < 0
               ? -1
               : (*err = later, -1);
  return sync_expect(c->sync[0], SYNC_READY, NULL, "the container init", err);
}

int write_pid_file(const char *path, pid_t pid, tsc_err_t *err) {
  char buf[32];
  int n = snprintf(buf, sizeof buf, "%d", (int)pid);
  return write_file_atomic(path, buf, (size_t)n, 0644, err);
}

static int record(ctx_t *c, pid_t init, tsc_err_t *err) {
  char created[64], cg[512] = "";
  format_time_now(created, sizeof created);
  if (c->cgroup)
    tsc_cgroup_save(c->cgroup, cg, sizeof cg);
  tsc_state_t st = {.id = (char *)c->o->id, .dir = c->dir, .bundle = c->spec->bundle,
                    .rootfs = c->spec->rootfs, .created = created, .cgroup = cg,
                    .pid = init, .start_time = proc_start_time(init, NULL),
                    .has_userns = spec_namespace(c->spec, CLONE_NEWUSER) != NULL};
  if (state_save(&st, c->spec, err) < 0)
    return -1;
  if (c->o->pid_file && write_pid_file(c->o->pid_file, init, err) < 0)
    return tsc_error_wrap(err, "--pid-file");
  return 0;
}

static void undo(ctx_t *c, pid_t child, pid_t init) {
  tsc_err_t ignored;
  if (init > 0)
    kill(init, SIGKILL);
  if (child > 0)
    kill(child, SIGKILL);
  if (child > 0)
    while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
      ;
  if (init > 0)
    waitpid(init, NULL, 0); /* only succeeds when we are its subreaper */
  if (c->cgroup)
    tsc_cgroup_destroy(c->cgroup, &ignored);
  if (c->dir)
    remove_dir_files(c->dir, &ignored);
}

static void ctx_release(ctx_t *c) {
  for (int i = 0; i < 2; i++)
    if (c->sync[i] >= 0)
      close(c->sync[i]);
  if (c->console >= 0)
    close(c->console);
  if (c->fifo >= 0)
    close(c->fifo);
  tsc_seccomp_release(&c->seccomp);
  tsc_cgroup_free(c->cgroup);
  spec_free(c->spec);
  free(c->dir);
}

int container_create(const create_opts_t *o, pid_t *init_pid, tsc_err_t *err) {
  ctx_t c = {.o = o, .sync = {-1, -1}, .console = -1, .fifo = -1};
  pid_t child = -1, init = -1;
  trace_mark("parent: create");
  int r = prepare(&c, err);
  if (r == 0) {
    child = fork();
    if (child < 0)
      r = tsc_error(err, errno, "fork");
    else if (child == 0)
      stage1_main(&c);
  }
  if (r == 0) {
    close(get_and_reset(&c.sync[1]));
    r = drive(&c, &child, &init, err);
  }
  if (r == 0)
    r = record(&c, init, err);
  if (r < 0)
    undo(&c, child, init);
  else
    *init_pid = init;
  trace_mark("parent: created");
  ctx_release(&c);
  return r;
}

/* `tscrun exec`: run another process in a running container.
 *
 *   PARENT ── fork ──> stage 1 tscrun:[1:EXEC]
 *          <── SYNC_HELLO ──         (parent puts stage 1 in the cgroup)
 *          ─── SYNC_GO ────>  setns into /proc/<init>/ns/… (user first), fork
 *          <── SYNC_PID ────         stage 2 tscrun:[2:EXEC]: terminal, rlimits,
 *                                     user, caps, NNP, seccomp, PATH lookup
 *          <── SYNC_ERROR or EOF ──  (EOF: the CLOEXEC socket closed on execve)
 *
 * The process is described by --process FILE (an OCI "process" object), or
 * by the container's own config.json process with args, env, cwd, user, tty
 * and extra capabilities from the command line (like runc). */
#include "runtime.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include "cgroup.h"
#include "sync.h"
#include "utils.h"

typedef struct {
  const char *id, *process_file, *console_socket, *pid_file, *cwd, *user;
  bool tty, detach, no_new_privs;
  int preserve_fds;
  char **env, **caps, **gids;
  size_t n_env, n_caps, n_gids;
  char **args;
  size_t n_args;
} exec_opts_t;

static void push(char ***arr, size_t *n, char *v) {
  *arr = xrealloc(*arr, (*n + 1) * sizeof **arr);
  (*arr)[(*n)++] = v;
}

static int parse_exec(int argc, char **argv, exec_opts_t *o) {
  enum { O_CONSOLE = 256, O_PIDFILE, O_CWD, O_NNP, O_PRESERVE, O_IGNARG, O_IGN };
  static const struct option lo[] = {
      {"process", required_argument, NULL, 'p'}, {"tty", no_argument, NULL, 't'},
      {"console-socket", required_argument, NULL, O_CONSOLE},
      {"detach", no_argument, NULL, 'd'},        {"pid-file", required_argument, NULL, O_PIDFILE},
      {"env", required_argument, NULL, 'e'},     {"cwd", required_argument, NULL, O_CWD},
      {"user", required_argument, NULL, 'u'},    {"additional-gids", required_argument, NULL, 'g'},
      {"cap", required_argument, NULL, 'c'},     {"no-new-privs", no_argument, NULL, O_NNP},
      {"preserve-fds", required_argument, NULL, O_PRESERVE},
      {"process-label", required_argument, NULL, O_IGNARG},
      {"apparmor", required_argument, NULL, O_IGNARG}, {"cgroup", required_argument, NULL, O_IGNARG},
      {"ignore-paused", no_argument, NULL, O_IGN}, {NULL, 0, NULL, 0}};
  int c;
  optind = 0;
  while ((c = getopt_long(argc, argv, "+p:tde:u:g:c:", lo, NULL)) != -1) {
    switch (c) {
    case 'p': o->process_file = optarg; break;
    case 't': o->tty = true; break;
    case O_CONSOLE: o->console_socket = optarg; break;
    case 'd': o->detach = true; break;
    case O_PIDFILE: o->pid_file = optarg; break;
    case 'e': push(&o->env, &o->n_env, optarg); break;
    case O_CWD: o->cwd = optarg; break;
    case 'u': o->user = optarg; break;
    case 'g': push(&o->gids, &o->n_gids, optarg); break;
    case 'c': push(&o->caps, &o->n_caps, optarg); break;
    case O_NNP: o->no_new_privs = true; break;
    case O_PRESERVE: o->preserve_fds = atoi(optarg); break;
    case O_IGNARG: case O_IGN: break;
    default: return -1;
    }
  }
  if (optind >= argc)
    return -1;
  o->id = argv[optind++];
  o->args = argv + optind;
  o->n_args = (size_t)(argc - optind);
  return (o->n_args || o->process_file) ? 0 : -1;
}

/* Replace an env entry with the same key, or append. */
static void env_set(spec_process_t *p, const char *kv) {
  const char *eq = strchr(kv, '=');
  size_t kl = eq ? (size_t)(eq - kv) : strlen(kv);
  for (size_t i = 0; i < p->n_env; i++)
    if (!strncmp(p->env[i], kv, kl) && p->env[i][kl] == '=') {
      p->env[i] = kv;
      return;
    }
  p->env = xrealloc(p->env, (p->n_env + 2) * sizeof *p->env);
  p->env[p->n_env++] = kv;
  p->env[p->n_env] = NULL;
}

static int apply_overrides(const exec_opts_t *o, spec_process_t *p, tsc_err_t *err) {
  if (o->n_args) {
    free(p->args);
    p->args = xcalloc(o->n_args + 1, sizeof *p->args);
    for (size_t i = 0; i < o->n_args; i++)
      p->args[i] = o->args[i];
    p->n_args = o->n_args;
    p->terminal = o->tty;
  }
  for (size_t i = 0; i < o->n_env; i++)
    env_set(p, o->env[i]);
  if (o->cwd)
    p->cwd = o->cwd;
  if (o->user) {
    char *end;
    p->uid = (uid_t)strtoul(o->user, &end, 10);
    if (*end == ':')
      p->gid = (gid_t)strtoul(end + 1, &end, 10);
    if (*end)
      return tsc_error(err, 0, "--user `%s`: expected UID[:GID] (numbers)", o->user);
  }
  if (o->n_gids) {
    p->gids = xrealloc(p->gids, o->n_gids * sizeof *p->gids);
    for (size_t i = 0; i < o->n_gids; i++)
      p->gids[i] = (gid_t)strtoul(o->gids[i], NULL, 10);
    p->n_gids = o->n_gids;
  }
  for (size_t i = 0; i < o->n_caps; i++) {
    int n = spec_cap_number(o->caps[i]);
    if (n < 0)
      return tsc_error(err, 0, "--cap: unknown capability `%s`", o->caps[i]);
    for (int s = 0; s < CAP_SET_COUNT; s++)
      if (s != CAP_SET_AMBIENT && s != CAP_SET_INHERITABLE)
        p->caps[s] |= 1ULL << n;
    p->has_caps = true;
  }
  if (o->no_new_privs)
    p->no_new_privs = true;
  return 0;
}

typedef struct {
  exec_opts_t o;
  tsc_state_t *st;
  spec_t *spec;
  json_t *proc_json;
  spec_process_t proc;
  tsc_seccomp_t seccomp;
  int sync[2];
  int console;
  int master_sock; /* -t without --console-socket: we receive the pty here */
} exec_ctx_t;

static int load_process(exec_ctx_t *x, tsc_err_t *err) {
  if (state_load(x->o.id, &x->st, err) < 0)
    return -1;
  tsc_status_t s = state_status(x->st);
  if (s != ST_RUNNING && s != ST_CREATED)
    return tsc_error(err, 0, "cannot exec in container `%s`: it is %s", x->o.id,
                     state_status_name(s));
  if (spec_load(x->st->bundle, &x->spec, err) < 0)
    return tsc_error_wrap(err, "read the container's config");
  const json_t *pj = json_get(x->spec->json, "process");
  const char *where = "config.json";
  if (x->o.process_file) {
    if (!(x->proc_json = json_parse_file(x->o.process_file, err)))
      return -1;
    pj = x->proc_json;
    where = x->o.process_file;
  }
  if (spec_parse_process(pj, &x->proc, where, err) < 0)
    return -1;
  /* env is a borrowed array of the JSON strings; make it ours to grow. */
  const char **env = xcalloc(x->proc.n_env + 1, sizeof *env);
  memcpy(env, x->proc.env, x->proc.n_env * sizeof *env);
  free(x->proc.env);
  x->proc.env = env;
  if (apply_overrides(&x->o, &x->proc, err) < 0)
    return -1;
  if (x->proc.terminal && !x->o.console_socket && x->o.detach)
    return tsc_error(err, 0, "a detached terminal (-t -d) needs --console-socket to hand the pty to");
  return tsc_seccomp_compile(x->spec->seccomp, &x->seccomp, err);
}

static int exec_final(exec_ctx_t *x, tsc_err_t *err) {
  finalize_opts_t fo = {.proc = &x->proc, .seccomp = &x->seccomp, .setgroups_allowed = true};
  cleanup_free char *exe = NULL;
  prctl(PR_SET_NAME, "tscrun:[2:EXEC]", 0, 0, 0);
  if (x->proc.terminal && terminal_setup(x->console, &x->proc, false, err) < 0)
    return -1;
  if (x->console >= 0)
    close(get_and_reset(&x->console));
  if (process_set_rlimits(&x->proc, err) < 0 || process_finalize(&fo, err) < 0 ||
      (process_ensure_home(&x->proc), process_find_exec(&x->proc, &exe, err)) < 0 ||
      cloexec_from(3 + x->o.preserve_fds, err) < 0)
    return -1;
  if (x->proc.no_new_privs && tsc_seccomp_install(&x->seccomp, true, err) < 0)
    return -1;
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  execve(exe, (char *const *)x->proc.args, (char *const *)x->proc.env);
  return tsc_error(err, errno, "exec `%s`", exe);
}

static void __attribute__((noreturn)) exec_stage1(exec_ctx_t *x) {
  tsc_err_t err = {0};
  int fd = x->sync[1];
  close(x->sync[0]);
  prctl(PR_SET_NAME, "tscrun:[1:EXEC]", 0, 0, 0);
  if (sync_send(fd, SYNC_HELLO, 0, &err) == 0 &&
      sync_expect(fd, SYNC_GO, NULL, "tscrun exec", &err) == 0 &&
      ns_enter_pid(x->st->pid, &err) == 0) {
    pid_t pid = fork();
    if (pid == 0) {
      exec_final(x, &err);
      sync_send_error(fd, &err);
      _exit(err.errnum == ENOENT ? 127 : 126);
    }
    if (pid > 0 && sync_send(fd, SYNC_PID, pid, &err) == 0)
      _exit(0);
    if (pid < 0)
      tsc_error(&err, errno, "fork");
  }
  sync_send_error(fd, &err);
  _exit(1);
}

static int exec_drive(exec_ctx_t *x, pid_t child, pid_t *pid, tsc_err_t *err) {
  int64_t v = 0;
  tsc_cgroup_t *cg = NULL;
  if (sync_expect(x->sync[0], SYNC_HELLO, NULL, "tscrun:[1:EXEC]", err) < 0)
    return -1;
  if (x->st->cgroup && *x->st->cgroup) {
    int r = tsc_cgroup_load(x->st->cgroup, &cg, err);
    if (r == 0)
      r = tsc_cgroup_enter(cg, child, err);
    tsc_cgroup_free(cg);
    if (r < 0)
      return -1;
  }
  if (sync_send(x->sync[0], SYNC_GO, 0, err) < 0 ||
      sync_expect(x->sync[0], SYNC_PID, &v, "tscrun:[1:EXEC]", err) < 0)
    return -1;
  *pid = (pid_t)v;
  while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
    ;
  return sync_wait_exec(x->sync[0], err);
}

static int exec_run(exec_ctx_t *x, pid_t *pid, tsc_err_t *err) {
  int pair[2];
  if (x->proc.terminal && !x->o.console_socket) {
    /* Foreground -t without a socket: like runc, we hold the pty. */
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
      return tsc_error(err, errno, "socketpair for the pty");
    x->master_sock = pair[0];
    x->console = pair[1];
  } else if (x->proc.terminal &&
             (x->console = console_socket_connect(x->o.console_socket, err)) < 0) {
    return -1;
  }
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, x->sync) < 0)
    return tsc_error(err, errno, "socketpair");
  if (!x->o.detach)
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  pid_t child = fork();
  if (child < 0)
    return tsc_error(err, errno, "fork");
  if (child == 0)
    exec_stage1(x);
  close(get_and_reset(&x->sync[1]));
  if (x->console >= 0)
    close(get_and_reset(&x->console));
  if (exec_drive(x, child, pid, err) < 0) {
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    if (*pid > 0)
      waitpid(*pid, NULL, 0);
    return -1;
  }
  if (x->o.pid_file && write_pid_file(x->o.pid_file, *pid, err) < 0)
    return tsc_error_wrap(err, "--pid-file");
  return 0;
}

int cmd_exec(int argc, char **argv) {
  exec_ctx_t x = {.sync = {-1, -1}, .console = -1, .master_sock = -1};
  tsc_err_t err = {0};
  pid_t pid = -1;
  int code = 255; /* runc exec's code for its own failures */
  if (parse_exec(argc, argv, &x.o) < 0) {
    tsc_report_msg("exec", "usage: tscrun exec [options] ID COMMAND [ARGS] (or --process FILE)");
  } else if (load_process(&x, &err) < 0 || exec_run(&x, &pid, &err) < 0) {
    tsc_report("exec", &err);
  } else if (x.master_sock >= 0) {
    tsc_err_t e2;
    cleanup_close int master = recv_fd(x.master_sock, &e2);
    code = master >= 0 ? terminal_proxy_wait(pid, master) : wait_forwarding(pid);
  } else {
    code = x.o.detach ? 0 : wait_forwarding(pid);
  }
  for (int i = 0; i < 2; i++)
    if (x.sync[i] >= 0)
      close(x.sync[i]);
  if (x.console >= 0)
    close(x.console);
  if (x.master_sock >= 0)
    close(x.master_sock);
  tsc_seccomp_release(&x.seccomp);
  spec_process_clear(&x.proc);
  spec_free(x.spec);
  if (x.proc_json)
    json_free(x.proc_json);
  state_free(x.st);
  free(x.o.env);
  free(x.o.caps);
  free(x.o.gids);
  return code;
}

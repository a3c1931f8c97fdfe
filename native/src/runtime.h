/* Internal interfaces of the runtime's pieces (one file each). */
#ifndef TSC_RUNTIME_H
#define TSC_RUNTIME_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "error.h"
#include "json.h"
#include "seccomp.h"
#include "spec.h"

/* ---- global options (main.c) ---- */
typedef struct {
  const char *root;       /* --root, default /run/tscrun */
  const char *log;        /* --log */
  bool log_json;          /* --log-format json */
  bool debug;
} tsc_globals_t;
extern tsc_globals_t g_opts;

/* ---- ns.c ---- */
int ns_new_flags(const spec_t *spec);
int ns_join_paths(const spec_t *spec, tsc_err_t *err);
int ns_unshare(int flags, tsc_err_t *err);
int ns_enter_pid(pid_t pid, tsc_err_t *err);
int ns_write_id_maps(pid_t pid, const spec_t *spec, tsc_err_t *err);

/* ---- rootfs.c ---- */
typedef struct {
  bool no_pivot;
  bool terminal; /* /dev/console gets the pty */
  bool in_userns;
  /* Called before the first cgroup mount: the init must be in its cgroup. */
  int (*before_cgroup)(void *arg, tsc_err_t *err);
  void *arg;
} rootfs_opts_t;
int rootfs_prepare(const spec_t *spec, const rootfs_opts_t *o, tsc_err_t *err);
int rootfs_pivot(const spec_t *spec, const rootfs_opts_t *o, tsc_err_t *err);
int rootfs_finish(const spec_t *spec, tsc_err_t *err); /* masked, readonly, ro root */
/* Open `path` inside the root dirfd without leaving it (RESOLVE_IN_ROOT). */
int rootfs_open_in_root(int rootfd, const char *path, int flags, tsc_err_t *err);

/* ---- caps.c ---- */
int caps_drop_bounding(const spec_process_t *p, tsc_err_t *err);
int caps_apply(const spec_process_t *p, tsc_err_t *err);

/* ---- user.c ---- */
int user_apply(const spec_process_t *p, bool setgroups_allowed, tsc_err_t *err);

/* ---- process.c: what init and exec share before execve ---- */
int process_set_rlimits(const spec_process_t *p, tsc_err_t *err);
int process_set_oom_score(const spec_process_t *p, tsc_err_t *err);
/* PATH lookup inside the container; *path malloc'ed. */
int process_find_exec(const spec_process_t *p, char **path, tsc_err_t *err);
typedef struct {
  const spec_process_t *proc;
  const tsc_seccomp_t *seccomp;
  bool setgroups_allowed;
} finalize_opts_t;
/* chdir, seccomp (early when no NNP), bounding, user, caps, NNP, seccomp. */
int process_finalize(const finalize_opts_t *o, tsc_err_t *err);
void process_ensure_home(spec_process_t *p);
int process_set_sysctls(const spec_t *spec, tsc_err_t *err);
int process_set_hostname(const spec_t *spec, tsc_err_t *err);

/* ---- terminal.c ---- */
/* Make a pty in the container, send the master over console_sock, make the
 * slave our stdio and controlling terminal. */
int terminal_setup(int console_sock, const spec_process_t *p, bool bind_console,
                   tsc_err_t *err);
int console_socket_connect(const char *path, tsc_err_t *err);
int terminal_proxy_wait(pid_t pid, int master);

/* ---- state.c ---- */
typedef enum { ST_CREATING, ST_CREATED, ST_RUNNING, ST_PAUSED, ST_STOPPED } tsc_status_t;
typedef struct {
  char *id, *dir, *bundle, *rootfs, *created, *cgroup, *owner;
  pid_t pid;
  uint64_t start_time;
  bool has_userns;
  json_t *json; /* the file (annotations live here) */
} tsc_state_t;
char *state_dir(const char *id);
int state_check_id(const char *id, tsc_err_t *err);
int state_save(const tsc_state_t *st, const spec_t *spec, tsc_err_t *err);
int state_load(const char *id, tsc_state_t **out, tsc_err_t *err);
tsc_status_t state_status(const tsc_state_t *st);
const char *state_status_name(tsc_status_t s);
bool state_alive(const tsc_state_t *st);
int state_print(const tsc_state_t *st);
void state_free(tsc_state_t *st);

/* ---- container.c ---- */
typedef struct {
  const char *id, *bundle, *pid_file, *console_socket;
  bool no_pivot;
  int preserve_fds;
  int console_fd; /* run -t without --console-socket: our socketpair end, else -1 */
} create_opts_t;
int container_create(const create_opts_t *o, pid_t *init_pid, tsc_err_t *err);
int container_start(const char *id, tsc_err_t *err);
int write_pid_file(const char *path, pid_t pid, tsc_err_t *err);

/* ---- commands (commands.c, exec.c) ---- */
int cmd_create(int argc, char **argv);
int cmd_start(int argc, char **argv);
int cmd_state(int argc, char **argv);
int cmd_kill(int argc, char **argv);
int cmd_delete(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_features(int argc, char **argv);
int cmd_ps(int argc, char **argv);
int cmd_pause(int argc, char **argv);
int cmd_resume(int argc, char **argv);
int cmd_list(int argc, char **argv);

/* Forward signals to pid and wait for it; returns the shell-style exit code
 * (128+sig when killed). pid must be our child (or we its subreaper). */
int wait_forwarding(pid_t pid);

/* Report an error: stderr, and the --log file (text or JSON lines). */
void tsc_report(const char *cmd, const tsc_err_t *err);
void tsc_report_msg(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif

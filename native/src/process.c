/* What the container init and `tscrun exec` share before execve: rlimits,
 * oom score, the PATH lookup inside the container, and the final switch to
 * the process's identity (user, capabilities, no_new_privs, seccomp). */
#include "runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include "utils.h"

int process_set_rlimits(const spec_process_t *p, tsc_err_t *err) {
  for (size_t i = 0; i < p->n_rlimits; i++) {
    const spec_rlimit_t *r = &p->rlimits[i];
    struct rlimit rl = {.rlim_cur = r->soft, .rlim_max = r->hard};
    if (setrlimit(r->resource, &rl) == 0)
      continue;
    int e = errno;
    struct rlimit cur;
    if (e == EPERM && getrlimit(r->resource, &cur) == 0)
      /* Raising a hard limit needs CAP_SYS_RESOURCE in the initial user ns:
       * say what the ceiling is, the usual fix is a lower value. */
      return tsc_error(err, 0, "setrlimit %s to %llu: %s (the hard limit here is %llu)", r->name,
                       (unsigned long long)r->hard, strerror(e),
                       (unsigned long long)cur.rlim_max);
    if (e == EINVAL && r->soft > r->hard)
      return tsc_error(err, e, "setrlimit %s: soft limit %llu is above hard limit %llu", r->name,
                       (unsigned long long)r->soft, (unsigned long long)r->hard);
    return tsc_error(err, e, "setrlimit %s to soft %llu hard %llu", r->name,
                     (unsigned long long)r->soft, (unsigned long long)r->hard);
  }
  return 0;
}

int process_set_oom_score(const spec_process_t *p, tsc_err_t *err) {
  if (!p->has_oom_score_adj)
    return 0;
  char buf[16];
  int n = snprintf(buf, sizeof buf, "%d", p->oom_score_adj);
  if (write_file("/proc/self/oom_score_adj", buf, (size_t)n, err) < 0)
    return tsc_error_wrap(err, "process.oomScoreAdj %d%s", p->oom_score_adj,
                          p->oom_score_adj < 0 ? " (lowering it needs CAP_SYS_RESOURCE)" : "");
  return 0;
}

/* Go's exec.LookPath semantics (what runc reports): a regular file with any
 * x bit; a directory is "permission denied". */
static int check_exec(const char *path) {
  struct stat st;
  if (stat(path, &st) < 0)
    return -errno;
  if (S_ISDIR(st.st_mode) || !(st.st_mode & 0111))
    return -EACCES;
  return 0;
}

static const char *env_get(const spec_process_t *p, const char *key) {
  size_t kl = strlen(key);
  for (size_t i = 0; i < p->n_env; i++)
    if (!strncmp(p->env[i], key, kl) && p->env[i][kl] == '=')
      return p->env[i] + kl + 1;
  return NULL;
}

int process_find_exec(const spec_process_t *p, char **out, tsc_err_t *err) {
  const char *name = p->args[0];
  if (strchr(name, '/')) {
    int r = check_exec(name);
    if (r == -ENOENT || r == -ENOTDIR)
      return tsc_error(err, -r, "exec: \"%s\": stat %s", name, name);
    if (r < 0)
      return tsc_error(err, -r, "exec: \"%s\"", name);
    *out = xstrdup(name);
    return 0;
  }
  const char *path = env_get(p, "PATH");
  cleanup_free char *dirs = xstrdup(path ? path : "");
  char *s = dirs;
  while (path && s) {
    char *colon = strchr(s, ':');
    if (colon)
      *colon = '\0';
    cleanup_free char *cand = xasprintf("%s/%s", *s ? s : ".", name);
    if (check_exec(cand) == 0) {
      *out = steal_ptr(&cand);
      return 0;
    }
    s = colon ? colon + 1 : NULL;
  }
  return tsc_error(err, 0, "exec: \"%s\": executable file not found in $PATH", name);
}

int process_finalize(const finalize_opts_t *o, tsc_err_t *err) {
  const spec_process_t *p = o->proc;
  if (chdir(p->cwd) < 0)
    return tsc_error(err, errno, "chdir to cwd `%s` (process.cwd)", p->cwd);
  /* Without no_new_privs, installing a filter needs CAP_SYS_ADMIN: now. */
  if (!p->no_new_privs && o->seccomp && tsc_seccomp_install(o->seccomp, false, err) < 0)
    return -1;
  if (caps_drop_bounding(p, err) < 0 || user_apply(p, o->setgroups_allowed, err) < 0 ||
      caps_apply(p, err) < 0)
    return -1;
  if (p->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return tsc_error(err, errno, "prctl PR_SET_NO_NEW_PRIVS");
  return 0;
}

/* Only sysctls that belong to a namespace of the container may be set: any
 * other one would change the host (runc refuses them the same way). */
static int sysctl_allowed(const spec_t *spec, const char *key, tsc_err_t *err) {
  static const char *const ipc[] = {"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",
                                    "kernel.sem", "kernel.shmall", "kernel.shmmax",
                                    "kernel.shmmni", "kernel.shm_rmid_forced"};
  int need = 0;
  for (size_t i = 0; i < sizeof ipc / sizeof *ipc; i++)
    if (!strcmp(key, ipc[i]))
      need = CLONE_NEWIPC;
  if (!strncmp(key, "fs.mqueue.", 10))
    need = CLONE_NEWIPC;
  else if (!strncmp(key, "net.", 4))
    need = CLONE_NEWNET;
  else if (!strcmp(key, "kernel.hostname") || !strcmp(key, "kernel.domainname"))
    need = CLONE_NEWUTS;
  if (!need)
    return tsc_error(err, 0, "linux.sysctl `%s` is not namespaced: setting it would change the host",
                     key);
  if (!spec_namespace(spec, need))
    return tsc_error(err, 0, "linux.sysctl `%s` needs the container's own %s namespace", key,
                     need == CLONE_NEWNET ? "network" : need == CLONE_NEWIPC ? "ipc" : "uts");
  return 0;
}

int process_set_sysctls(const spec_t *spec, tsc_err_t *err) {
  for (size_t i = 0; i < spec->n_sysctl; i++) {
    const char *key = spec->sysctl[i].key;
    if (strstr(key, "..") || strchr(key, '/') || !*key)
      return tsc_error(err, 0, "linux.sysctl: invalid key `%s`", key);
    if (sysctl_allowed(spec, key, err) < 0)
      return -1;
    cleanup_free char *path = xasprintf("/proc/sys/%s", key);
    for (char *c = path + strlen("/proc/sys/"); *c; c++)
      if (*c == '.')
        *c = '/';
    const char *v = spec->sysctl[i].value;
    if (write_file(path, v, strlen(v), err) < 0)
      return tsc_error_wrap(err, "linux.sysctl `%s`", key);
  }
  return 0;
}

int process_set_hostname(const spec_t *spec, tsc_err_t *err) {
  if (spec->hostname && sethostname(spec->hostname, strlen(spec->hostname)) < 0)
    return tsc_error(err, errno, "sethostname `%s`", spec->hostname);
  if (spec->domainname && setdomainname(spec->domainname, strlen(spec->domainname)) < 0)
    return tsc_error(err, errno, "setdomainname `%s`", spec->domainname);
  return 0;
}

/* runc sets HOME from the container's /etc/passwd when the spec has none. */
void process_ensure_home(spec_process_t *p) {
  if (env_get(p, "HOME"))
    return;
  const char *home = "/";
  cleanup_free char *text = NULL;
  if (read_all_file("/etc/passwd", &text, NULL, NULL) == 0) {
    char *save = NULL;
    for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
      char *f[7] = {0};
      int n = 0;
      for (char *s = l; n < 7 && s; n++) {
        f[n] = s;
        s = strchr(s, ':');
        if (s)
          *s++ = '\0';
      }
      if (n == 7 && (uid_t)strtoul(f[2], NULL, 10) == p->uid && *f[5]) {
        home = f[5];
        break;
      }
    }
  }
  p->env = xrealloc(p->env, (p->n_env + 2) * sizeof *p->env);
  p->env[p->n_env++] = xasprintf("HOME=%s", home); /* lives until execve */
  p->env[p->n_env] = NULL;
}

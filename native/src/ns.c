/* Namespaces: joined by path or created new, in a fixed order.
 *
 * Why this order (same reasoning as runc's nsexec.c):
 *  - user first: when joining a user namespace by path, the other joins
 *    need the capabilities it grants over the namespaces it owns.
 *  - when the user namespace is NEW, the joins by path happen before it is
 *    unshared, while the process still has the host's capabilities (a new
 *    user ns has none over namespaces owned by the host);
 *  - mnt last among the joins: it changes the root and cwd, after which the
 *    other /proc/.../ns paths may no longer resolve (all fds are opened first
 *    anyway);
 *  - pid: setns/unshare only affect children, hence the fork to stage 2;
 *  - cgroup is unshared after the parent has put us into the container's
 *    cgroup, so the namespace root is that cgroup. */
#include "runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "utils.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const struct ns_order {
  int flag;
  const char *proc; /* name under /proc/<pid>/ns/ */
} ns_table[] = {
    {CLONE_NEWUSER, "user"}, {CLONE_NEWIPC, "ipc"},       {CLONE_NEWUTS, "uts"},
    {CLONE_NEWNET, "net"},   {CLONE_NEWPID, "pid"},       {CLONE_NEWCGROUP, "cgroup"},
    {CLONE_NEWTIME, "time"}, {CLONE_NEWNS, "mnt"},
};

int ns_new_flags(const spec_t *spec) {
  int flags = 0;
  for (size_t i = 0; i < spec->n_namespaces; i++)
    if (!spec->namespaces[i].path)
      flags |= spec->namespaces[i].flag;
  return flags;
}

/* Open every path first, then setns in table order. */
int ns_join_paths(const spec_t *spec, tsc_err_t *err) {
  int fds[ARRAY_SIZE(ns_table)];
  int rc = 0;
  for (size_t i = 0; i < ARRAY_SIZE(ns_table); i++) {
    const spec_ns_t *ns = spec_namespace(spec, ns_table[i].flag);
    fds[i] = -1;
    if (!ns || !ns->path || rc < 0)
      continue;
    fds[i] = open(ns->path, O_RDONLY | O_CLOEXEC);
    if (fds[i] < 0)
      rc = tsc_error(err, errno, "open %s namespace `%s`", ns->type, ns->path);
  }
  for (size_t i = 0; i < ARRAY_SIZE(ns_table) && rc == 0; i++) {
    if (fds[i] < 0)
      continue;
    const spec_ns_t *ns = spec_namespace(spec, ns_table[i].flag);
    if (setns(fds[i], ns_table[i].flag) < 0)
      rc = tsc_error(err, errno, "setns into %s namespace `%s`", ns->type, ns->path);
  }
  for (size_t i = 0; i < ARRAY_SIZE(ns_table); i++)
    if (fds[i] >= 0)
      close(fds[i]);
  return rc;
}

int ns_unshare(int flags, tsc_err_t *err) {
  if (flags && unshare(flags) < 0)
    return tsc_error(err, errno, "unshare namespaces (flags %#x)", (unsigned)flags);
  return 0;
}

/* Same namespace as ours? setns into our own user ns fails with EINVAL. */
static bool same_ns(int fd, const char *proc) {
  char self[64];
  struct stat a, b;
  snprintf(self, sizeof self, "/proc/self/ns/%s", proc);
  return fstat(fd, &a) == 0 && stat(self, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

/* tscrun exec: enter every namespace of a running process. */
int ns_enter_pid(pid_t pid, tsc_err_t *err) {
  int fds[ARRAY_SIZE(ns_table)];
  int rc = 0;
  for (size_t i = 0; i < ARRAY_SIZE(ns_table); i++) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)pid, ns_table[i].proc);
    fds[i] = open(path, O_RDONLY | O_CLOEXEC);
    if (fds[i] < 0 && errno != ENOENT && rc == 0)
      rc = tsc_error(err, errno, "open `%s`", path);
    if (fds[i] >= 0 && same_ns(fds[i], ns_table[i].proc)) {
      close(fds[i]);
      fds[i] = -1;
    }
  }
  for (size_t i = 0; i < ARRAY_SIZE(ns_table) && rc == 0; i++)
    if (fds[i] >= 0 && setns(fds[i], ns_table[i].flag) < 0)
      rc = tsc_error(err, errno, "setns into the %s namespace of pid %d", ns_table[i].proc,
                     (int)pid);
  for (size_t i = 0; i < ARRAY_SIZE(ns_table); i++)
    if (fds[i] >= 0)
      close(fds[i]);
  return rc;
}

static int write_map(pid_t pid, const char *file, const spec_idmap_t *m, size_t n,
                     tsc_err_t *err) {
  char buf[4096];
  size_t used = 0;
  for (size_t i = 0; i < n && used < sizeof buf; i++)
    used += (size_t)snprintf(buf + used, sizeof buf - used, "%u %u %u\n", m[i].container_id,
                             m[i].host_id, m[i].size);
  if (used >= sizeof buf)
    return tsc_error(err, E2BIG, "%s: too many mappings", file);
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
  return write_file(path, buf, used, err);
}

/* Parent side: the maps of a new user namespace are written from outside. */
int ns_write_id_maps(pid_t pid, const spec_t *spec, tsc_err_t *err) {
  if (write_map(pid, "uid_map", spec->uid_maps, spec->n_uid_maps, err) < 0 ||
      write_map(pid, "gid_map", spec->gid_maps, spec->n_gid_maps, err) < 0)
    return tsc_error_wrap(err, "user namespace mappings");
  return 0;
}

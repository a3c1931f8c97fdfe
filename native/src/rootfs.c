/* The container's filesystem view: propagation, `mounts`, pivot_root,
 * masked and read-only paths.
 *
 * Mount targets are resolved INSIDE the rootfs (CVE-2021-30465): the
 * destination is opened with openat2(RESOLVE_IN_ROOT) relative to an fd of
 * the rootfs, so a symlink in the image ("/proc -> /") resolves against the
 * container's root, never the host's, and the mount goes onto that exact
 * dentry through /proc/self/fd/N. Directories on the way are created the same
 * way, one component at a time. */
#include "runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include "rootfs-int.h"
#include "utils.h"

int rootfs_open_in_root(int rootfd, const char *path, int flags, tsc_err_t *err) {
  struct open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC),
                         .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
  while (*path == '/')
    path++;
  if (!*path)
    path = ".";
  for (int tries = 0; tries < 16; tries++) {
    int fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
    if (fd >= 0)
      return fd;
    if (errno != EAGAIN && errno != EINTR)
      break;
  }
  return tsc_error(err, errno, "open `%s` inside the rootfs", path);
}

/* Resolve `path` against the root the way the kernel would with the root as
 * "/", without requiring the result to exist (runc's SecureJoin): symlinks
 * are read one component at a time and ".." never climbs above the root.
 * The result is a clean relative path ("" for the root itself). */
static int resolve_in_root(int rootfd, const char *path, char **out, tsc_err_t *err) {
  cleanup_free char *cur = xstrdup("");
  cleanup_free char *rest = xstrdup(path);
  for (int links = 0; *rest;) {
    char *slash = strchr(rest, '/');
    size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
    char comp[256];
    if (n >= sizeof comp)
      return tsc_error(err, ENAMETOOLONG, "path `%s` inside the rootfs", path);
    memcpy(comp, rest, n);
    comp[n] = '\0';
    memmove(rest, rest + n + (slash ? 1 : 0), strlen(rest + n + (slash ? 1 : 0)) + 1);
    if (!*comp || !strcmp(comp, "."))
      continue;
    if (!strcmp(comp, "..")) {
      char *up = strrchr(cur, '/');
      *(up ? up : cur) = '\0';
      continue;
    }
    char target[4096];
    ssize_t len = -1;
    int dfd = rootfs_open_in_root(rootfd, *cur ? cur : "/", O_PATH | O_DIRECTORY, NULL);
    if (dfd >= 0) {
      len = readlinkat(dfd, comp, target, sizeof target - 1);
      close(dfd);
    }
    if (len < 0) { /* not a symlink (or not there yet): take it as is */
      char *next = *cur ? xasprintf("%s/%s", cur, comp) : xstrdup(comp);
      free(cur);
      cur = next;
      continue;
    }
    if (++links > 40)
      return tsc_error(err, ELOOP, "resolve `%s` inside the rootfs", path);
    target[len] = '\0';
    char *next = xasprintf("%s/%s", target, rest);
    free(rest);
    rest = next;
    if (target[0] == '/')
      cur[0] = '\0';
  }
  *out = steal_ptr(&cur);
  return 0;
}

/* mkdir -p of `path` inside the root; symlinks resolve within it. */
int mkdir_in_root(int rootfd, const char *path, mode_t mode, tsc_err_t *err) {
  cleanup_free char *p = NULL;
  if (resolve_in_root(rootfd, path, &p, err) < 0)
    return -1;
  size_t len = strlen(p);
  for (size_t i = 0; i <= len && len; i++) {
    if (p[i] != '/' && p[i] != '\0')
      continue;
    char saved = p[i];
    p[i] = '\0';
    char *slash = strrchr(p, '/');
    const char *name = slash ? slash + 1 : p;
    if (slash)
      *slash = '\0';
    cleanup_close int parent =
        rootfs_open_in_root(rootfd, slash ? p : "/", O_PATH | O_DIRECTORY, err);
    int r = parent < 0 ? -1 : mkdirat(parent, name, mode);
    if (slash)
      *slash = '/';
    if (parent < 0)
      return -1;
    if (r < 0 && errno != EEXIST)
      return tsc_error(err, errno, "mkdir `%s` inside the rootfs", p);
    p[i] = saved;
  }
  return 0;
}

/* An empty file to bind a file onto; an existing entry stays. */
int mkfile_in_root(int rootfd, const char *path, tsc_err_t *err) {
  cleanup_free char *p = NULL;
  if (resolve_in_root(rootfd, path, &p, err) < 0)
    return -1;
  char *slash = strrchr(p, '/');
  const char *base = slash ? slash + 1 : p;
  if (slash)
    *slash = '\0';
  const char *dir = slash ? p : "/";
  if (!*base)
    return tsc_error(err, EISDIR, "create `%s` inside the rootfs", path);
  if (mkdir_in_root(rootfd, dir, 0755, err) < 0)
    return -1;
  cleanup_close int parent = rootfs_open_in_root(rootfd, dir, O_PATH | O_DIRECTORY, err);
  if (parent < 0)
    return -1;
  int fd = openat(parent, base, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0 && errno != EEXIST && errno != ELOOP && errno != EISDIR && errno != ETXTBSY)
    return tsc_error(err, errno, "create `%s` inside the rootfs", path);
  if (fd >= 0)
    close(fd);
  return 0;
}

/* Flags the kernel locks on a mount in a user namespace must be kept on a
 * remount, or it fails with EPERM: retry with them added. */
/* The per-mount flags of what is mounted at `target` (nosuid, nodev, noexec,
 * atime), as MS_* bits; 0 when it cannot be read. */
static unsigned long current_mount_flags(const char *target) {
  struct statvfs sv;
  unsigned long flags = 0;
  if (statvfs(target, &sv) < 0)
    return 0;
  static const struct { unsigned long st, ms; } kept[] = {
      {ST_NOSUID, MS_NOSUID}, {ST_NODEV, MS_NODEV}, {ST_NOEXEC, MS_NOEXEC},
      {ST_NOATIME, MS_NOATIME}, {ST_NODIRATIME, MS_NODIRATIME}, {ST_RELATIME, MS_RELATIME}};
  for (size_t i = 0; i < ARRAY_SIZE(kept); i++)
    if (sv.f_flag & kept[i].st)
      flags |= kept[i].ms;
  return flags;
}

int remount_keep_locked(const char *target, unsigned long flags, tsc_err_t *err) {
  if (mount(NULL, target, NULL, MS_REMOUNT | flags, NULL) == 0)
    return 0;
  int e = errno;
  if (e == EPERM) {
    unsigned long locked = current_mount_flags(target);
    if (locked && mount(NULL, target, NULL, MS_REMOUNT | flags | locked, NULL) == 0)
      return 0;
    e = errno;
  }
  return tsc_error(err, e, "remount `%s`", target);
}

static const char *mount_source(const spec_t *spec, const spec_mount_t *m, char *buf, size_t len) {
  if (!m->bind || m->source[0] == '/')
    return m->source;
  snprintf(buf, len, "%s/%s", spec->bundle, m->source);
  return buf;
}

static int make_target(int rootfd, const spec_mount_t *m, const char *src, tsc_err_t *err) {
  struct stat st;
  if (m->bind) {
    if (stat(src, &st) < 0)
      return tsc_error(err, errno, "bind mount source `%s` (for `%s`)", src, m->destination);
    if (!S_ISDIR(st.st_mode))
      return mkfile_in_root(rootfd, m->destination, err);
  }
  return mkdir_in_root(rootfd, m->destination, 0755, err);
}

static int apply_propagation(const char *fdpath, const spec_mount_t *m, tsc_err_t *err) {
  if (m->propagation && mount(NULL, fdpath, NULL, m->propagation, NULL) < 0)
    return tsc_error(err, errno, "set propagation of `%s`", m->destination);
  return 0;
}

#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
struct mount_attr {
  uint64_t attr_set, attr_clr, propagation, userns_fd;
};
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

static int bind_mount(int rootfd, const spec_mount_t *m, const char *src, const char *target,
                      tsc_err_t *err) {
  if (mount(src, target, NULL, MS_BIND | (m->flags & MS_REC), NULL) < 0)
    return tsc_error(err, errno, "bind mount `%s` on `%s`", src, m->destination);
  unsigned long extra = m->flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
  if (!extra && !m->rec_ro)
    return 0;
  /* The fd still names the directory under the new mount: reopen. */
  cleanup_close int fd = rootfs_open_in_root(rootfd, m->destination, O_PATH, err);
  if (fd < 0)
    return -1;
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  if (extra && remount_keep_locked(path, MS_BIND | extra, err) < 0)
    return tsc_error_wrap(err, "bind mount `%s` on `%s` with its options", src, m->destination);
  if (m->rec_ro) {
    struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY};
    if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof a) < 0)
      return tsc_error(err, errno, "make `%s` recursively read-only", m->destination);
  }
  return 0;
}

static int mount_one(int rootfd, const spec_t *spec, const spec_mount_t *m,
                     const rootfs_opts_t *o, tsc_err_t *err) {
  char srcbuf[4096];
  const char *src = mount_source(spec, m, srcbuf, sizeof srcbuf);
  if (!strcmp(m->type, "cgroup") || !strcmp(m->type, "cgroup2")) {
    if (o->before_cgroup && o->before_cgroup(o->arg, err) < 0)
      return -1;
    return mount_cgroup(rootfd, spec, m, err);
  }
  if (make_target(rootfd, m, src, err) < 0)
    return -1;
  cleanup_close int fd = rootfs_open_in_root(rootfd, m->destination, O_PATH, err);
  if (fd < 0)
    return -1;
  char target[64];
  snprintf(target, sizeof target, "/proc/self/fd/%d", fd);
  if (m->bind) {
    if (bind_mount(rootfd, m, src, target, err) < 0)
      return -1;
  } else if (mount(src, target, m->type, m->flags, m->data) < 0) {
    return tsc_error(err, errno, "mount `%s` (type %s) on `%s%s`", src, m->type, spec->rootfs,
                     m->destination);
  }
  if (!m->propagation)
    return 0;
  cleanup_close int fd2 = rootfs_open_in_root(rootfd, m->destination, O_PATH, err);
  if (fd2 < 0)
    return -1;
  snprintf(target, sizeof target, "/proc/self/fd/%d", fd2);
  return apply_propagation(target, m, err);
}

static bool dev_is_mounted(const spec_t *spec) {
  for (size_t i = 0; i < spec->n_mounts; i++)
    if (!strcmp(spec->mounts[i].destination, "/dev") && !spec->mounts[i].bind)
      return true;
  return false;
}

int rootfs_prepare(const spec_t *spec, const rootfs_opts_t *o, tsc_err_t *err) {
  /* Our mounts must not propagate back to the host. */
  unsigned long prop = MS_SLAVE | MS_REC;
  if (spec->rootfs_propagation)
    prop = spec->rootfs_propagation | MS_REC;
  if (mount(NULL, "/", NULL, prop, NULL) < 0)
    return tsc_error(err, errno, "make `/` %s", prop & MS_SHARED ? "rshared" : "rslave");
  /* pivot_root needs the new root to be a mount point. */
  if (mount(spec->rootfs, spec->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    return tsc_error(err, errno, "bind mount rootfs `%s` onto itself", spec->rootfs);
  cleanup_close int rootfd = open(spec->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return tsc_error(err, errno, "open rootfs `%s`", spec->rootfs);
  for (size_t i = 0; i < spec->n_mounts; i++)
    if (mount_one(rootfd, spec, &spec->mounts[i], o, err) < 0)
      return tsc_error_wrap(err, "mounts[%zu]", i);
  /* Like runc, a missing cwd is created (owned by root) in the image. */
  if (mkdir_in_root(rootfd, spec->process.cwd, 0755, err) < 0)
    return tsc_error_wrap(err, "process.cwd `%s`", spec->process.cwd);
  bool dev = dev_is_mounted(spec);
  if (dev && setup_default_devices(rootfd, o->in_userns, o->terminal, err) < 0)
    return -1;
  return setup_spec_devices(rootfd, spec, o->in_userns, err);
}

static int pivot(const char *rootfs, tsc_err_t *err) {
  cleanup_close int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  cleanup_close int newroot = open(rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (oldroot < 0 || newroot < 0)
    return tsc_error(err, errno, "open `%s` for pivot_root", rootfs);
  if (fchdir(newroot) < 0)
    return tsc_error(err, errno, "chdir to `%s`", rootfs);
  /* pivot_root(".", ".") stacks the old root on top of the new one; we
   * then detach it, so no directory for it is needed in the image. */
  if (syscall(SYS_pivot_root, ".", ".") < 0)
    return tsc_error(err, errno, "pivot_root to `%s`", rootfs);
  if (fchdir(oldroot) < 0)
    return tsc_error(err, errno, "chdir to the old root");
  if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    return tsc_error(err, errno, "make the old root rslave");
  if (umount2(".", MNT_DETACH) < 0)
    return tsc_error(err, errno, "detach the old root");
  if (chdir("/") < 0)
    return tsc_error(err, errno, "chdir to `/`");
  return 0;
}

int rootfs_pivot(const spec_t *spec, const rootfs_opts_t *o, tsc_err_t *err) {
  if (!o->no_pivot)
    return pivot(spec->rootfs, err);
  /* --no-pivot (rootfs on a ramfs): move the rootfs over / and chroot. */
  if (chdir(spec->rootfs) < 0)
    return tsc_error(err, errno, "chdir to `%s`", spec->rootfs);
  if (mount(spec->rootfs, "/", NULL, MS_MOVE, NULL) < 0)
    return tsc_error(err, errno, "move mount `%s` to `/`", spec->rootfs);
  if (chroot(".") < 0 || chdir("/") < 0)
    return tsc_error(err, errno, "chroot to `%s`", spec->rootfs);
  return 0;
}

static int mask_path(const char *path, tsc_err_t *err) {
  struct stat st;
  if (lstat(path, &st) < 0)
    return errno == ENOENT ? 0 : tsc_error(err, errno, "mask `%s`", path);
  if (S_ISDIR(st.st_mode)) {
    if (mount("tmpfs", path, "tmpfs", MS_RDONLY, NULL) < 0)
      return tsc_error(err, errno, "mask directory `%s` with a read-only tmpfs", path);
    return 0;
  }
  if (mount("/dev/null", path, NULL, MS_BIND, NULL) < 0 && errno != ENOENT)
    return tsc_error(err, errno, "mask `%s` with /dev/null", path);
  return 0;
}

static int readonly_path(const char *path, tsc_err_t *err) {
  if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0)
    return errno == ENOENT ? 0 : tsc_error(err, errno, "bind `%s` for read-only", path);
  /* Keep what the path had (/proc's nosuid,nodev,noexec), as runc does: a
   * bind remount that names none of them would drop them. */
  return remount_keep_locked(path, MS_BIND | MS_REC | MS_RDONLY | current_mount_flags(path), err);
}

int rootfs_finish(const spec_t *spec, tsc_err_t *err) {
  /* Read-only paths first, then masks: runc's order. */
  for (size_t i = 0; i < spec->n_readonly; i++)
    if (readonly_path(spec->readonly[i], err) < 0)
      return tsc_error_wrap(err, "linux.readonlyPaths");
  for (size_t i = 0; i < spec->n_masked; i++)
    if (mask_path(spec->masked[i], err) < 0)
      return -1;
  if (spec->root_readonly &&
      remount_keep_locked("/", MS_BIND | MS_RDONLY, err) < 0)
    return tsc_error_wrap(err, "root.readonly");
  if (spec->rootfs_propagation && mount(NULL, "/", NULL, spec->rootfs_propagation, NULL) < 0)
    return tsc_error(err, errno, "set rootfsPropagation on `/`");
  return 0;
}

/* cgroup mounts: v2 host → cgroup2; v1 or hybrid → a tmpfs with one
 * hierarchy per controller line of /proc/self/cgroup (the init is already in
 * the container's cgroup). With a cgroup namespace the fresh mounts show the
 * container's cgroup as root; without, the container's own directory is
 * bind-mounted from the host. */
static bool host_is_v2(void) {
  struct statfs sf;
  return statfs("/sys/fs/cgroup", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC;
}

static int mount_hierarchy(int rootfd, const char *dest, const char *ctrls, const char *path,
                           unsigned long flags, bool cgns, tsc_err_t *err) {
  bool named = !strncmp(ctrls, "name=", 5);
  const char *dir = *ctrls == '\0' ? "unified" : named ? ctrls + 5 : ctrls;
  cleanup_free char *sub = xasprintf("%s/%s", dest, dir);
  if (mkdir_in_root(rootfd, sub, 0755, err) < 0)
    return -1;
  cleanup_close int fd = rootfs_open_in_root(rootfd, sub, O_PATH, err);
  if (fd < 0)
    return -1;
  char target[64];
  snprintf(target, sizeof target, "/proc/self/fd/%d", fd);
  int r;
  if (cgns) {
    cleanup_free char *data = named ? xasprintf("none,%s", ctrls) : xstrdup(ctrls);
    r = *ctrls ? mount("cgroup", target, "cgroup", flags, data)
               : mount("cgroup2", target, "cgroup2", flags, NULL);
  } else {
    cleanup_free char *src = xasprintf("/sys/fs/cgroup/%s%s", dir, path);
    r = mount(src, target, NULL, MS_BIND, NULL);
    if (r == 0 && (flags & MS_RDONLY)) {
      cleanup_close int fd2 = rootfs_open_in_root(rootfd, sub, O_PATH, err);
      snprintf(target, sizeof target, "/proc/self/fd/%d", fd2);
      r = fd2 < 0 ? -1 : remount_keep_locked(target, MS_BIND | flags, err);
    }
  }
  if (r < 0 && errno == ENOENT)
    return 0; /* a controller the host does not mount where expected */
  return r < 0 ? tsc_error(err, errno, "mount cgroup `%s` on `%s`", ctrls, sub) : 0;
}

static int symlink_controllers(int rootfd, const char *dest, const char *ctrls) {
  if (!strchr(ctrls, ',') || !strncmp(ctrls, "name=", 5))
    return 0;
  cleanup_free char *list = xstrdup(ctrls);
  char *save = NULL;
  tsc_err_t e;
  cleanup_close int dfd = rootfs_open_in_root(rootfd, dest, O_PATH | O_DIRECTORY, &e);
  for (char *c = strtok_r(list, ",", &save); c && dfd >= 0; c = strtok_r(NULL, ",", &save))
    (void)!symlinkat(ctrls, dfd, c);
  return 0;
}

/* v2 host: a fresh cgroup2 mount in a cgroup namespace (rooted at the
 * container's cgroup); without one, only the container's own directory is
 * bound, never the host's whole tree (like runc). */
static int mount_cgroup2(int rootfd, const spec_mount_t *m, unsigned long flags, bool cgns,
                         tsc_err_t *err) {
  cleanup_close int fd = rootfs_open_in_root(rootfd, m->destination, O_PATH, err);
  if (fd < 0)
    return -1;
  char target[64];
  snprintf(target, sizeof target, "/proc/self/fd/%d", fd);
  if (cgns)
    return mount("cgroup2", target, "cgroup2", flags, NULL) < 0
               ? tsc_error(err, errno, "mount cgroup2 on `%s`", m->destination)
               : 0;
  cleanup_free char *text = NULL;
  if (read_all_file("/proc/self/cgroup", &text, NULL, err) < 0)
    return -1;
  char *line = strstr(text, "0::");
  if (!line || (line != text && line[-1] != '\n'))
    return tsc_error(err, 0, "no cgroup2 entry in /proc/self/cgroup");
  line[strcspn(line, "\n")] = '\0';
  cleanup_free char *src = xasprintf("/sys/fs/cgroup%s", line + 3);
  if (mount(src, target, NULL, MS_BIND | MS_REC, NULL) < 0)
    return tsc_error(err, errno, "bind mount cgroup `%s` on `%s`", src, m->destination);
  cleanup_close int fd2 = rootfs_open_in_root(rootfd, m->destination, O_PATH, err);
  if (fd2 < 0)
    return -1;
  snprintf(target, sizeof target, "/proc/self/fd/%d", fd2);
  return flags ? remount_keep_locked(target, MS_BIND | flags, err) : 0;
}

int mount_cgroup(int rootfd, const spec_t *spec, const spec_mount_t *m, tsc_err_t *err) {
  bool cgns = spec_namespace(spec, CLONE_NEWCGROUP) != NULL;
  unsigned long flags = m->flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
  if (mkdir_in_root(rootfd, m->destination, 0755, err) < 0)
    return -1;
  if (host_is_v2())
    return mount_cgroup2(rootfd, m, flags, cgns, err);
  cleanup_close int fd = rootfs_open_in_root(rootfd, m->destination, O_PATH, err);
  if (fd < 0)
    return -1;
  char target[64];
  snprintf(target, sizeof target, "/proc/self/fd/%d", fd);
  if (mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755") < 0)
    return tsc_error(err, errno, "mount tmpfs for cgroups on `%s`", m->destination);
  cleanup_free char *text = NULL;
  if (read_all_file("/proc/self/cgroup", &text, NULL, err) < 0)
    return -1;
  /* /proc/self/cgroup lists hierarchies last-first; mount in id order like
   * runc. The unified hierarchy is left out on hybrid hosts, as runc does. */
  char *lines[64];
  size_t n = 0;
  char *save = NULL;
  for (char *l = strtok_r(text, "\n", &save); l && n < ARRAY_SIZE(lines); l = strtok_r(NULL, "\n", &save))
    lines[n++] = l;
  while (n-- > 0) {
    char *c1 = strchr(lines[n], ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c2 || c2 == c1 + 1)
      continue;
    *c2 = '\0';
    if (mount_hierarchy(rootfd, m->destination, c1 + 1, c2 + 1, flags, cgns, err) < 0)
      return -1;
    symlink_controllers(rootfd, m->destination, c1 + 1);
  }
  return 0;
}

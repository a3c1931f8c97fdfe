/* Device nodes in the container's /dev: the OCI default set and
 * linux.devices. In a user namespace mknod is not allowed, so the host's node
 * is bind-mounted onto an empty file instead (like runc). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include "rootfs-int.h"
#include "utils.h"

static const struct {
  const char *path;
  unsigned major, minor;
} default_devices[] = {
    {"/dev/null", 1, 3},    {"/dev/zero", 1, 5}, {"/dev/full", 1, 7},
    {"/dev/random", 1, 8},  {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0},
};

static const struct {
  const char *target, *link;
} default_links[] = {
    {"/proc/self/fd", "/dev/fd"},     {"/proc/self/fd/0", "/dev/stdin"},
    {"/proc/self/fd/1", "/dev/stdout"}, {"/proc/self/fd/2", "/dev/stderr"},
    {"pts/ptmx", "/dev/ptmx"},
};

static int bind_device(int rootfd, const spec_device_t *d, tsc_err_t *err) {
  if (mkfile_in_root(rootfd, d->path, err) < 0)
    return -1;
  cleanup_close int fd = rootfs_open_in_root(rootfd, d->path, O_PATH, err);
  if (fd < 0)
    return -1;
  char target[64];
  snprintf(target, sizeof target, "/proc/self/fd/%d", fd);
  if (mount(d->path, target, NULL, MS_BIND, NULL) < 0)
    return tsc_error(err, errno, "bind mount device `%s`", d->path);
  return 0;
}

static int mknod_device(int rootfd, const spec_device_t *d, tsc_err_t *err) {
  cleanup_free char *dir = xstrdup(d->path);
  char *slash = strrchr(dir, '/');
  const char *base = d->path + (slash - dir) + 1;
  *slash = '\0';
  if (mkdir_in_root(rootfd, *dir ? dir : "/", 0755, err) < 0)
    return -1;
  cleanup_close int parent = rootfs_open_in_root(rootfd, *dir ? dir : "/", O_PATH | O_DIRECTORY, err);
  if (parent < 0)
    return -1;
  mode_t type = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
  mode_t perm = (d->has_mode ? d->mode : 0666) & 07777;
  if (unlinkat(parent, base, 0) < 0 && errno != ENOENT)
    return tsc_error(err, errno, "remove `%s` to create a device there", d->path);
  dev_t dev = makedev((unsigned)d->major, (unsigned)d->minor);
  if (mknodat(parent, base, type | perm, type == S_IFIFO ? 0 : dev) < 0)
    return tsc_error(err, errno, "mknod `%s` (%c %lld:%lld)", d->path, d->type,
                     (long long)d->major, (long long)d->minor);
  /* mknod is subject to the umask; the spec's mode is exact. */
  if (fchmodat(parent, base, perm, 0) < 0 ||
      fchownat(parent, base, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0)
    return tsc_error(err, errno, "set owner and mode of device `%s`", d->path);
  return 0;
}

static int make_device(int rootfd, const spec_device_t *d, bool bind, tsc_err_t *err) {
  return bind ? bind_device(rootfd, d, err) : mknod_device(rootfd, d, err);
}

int setup_default_devices(int rootfd, bool in_userns, bool terminal, tsc_err_t *err) {
  for (size_t i = 0; i < ARRAY_SIZE(default_devices); i++) {
    spec_device_t d = {.path = default_devices[i].path, .type = 'c',
                       .major = default_devices[i].major, .minor = default_devices[i].minor,
                       .has_mode = true, .mode = 0666};
    if (make_device(rootfd, &d, in_userns, err) < 0)
      return -1;
  }
  cleanup_close int dev = rootfs_open_in_root(rootfd, "/dev", O_PATH | O_DIRECTORY, err);
  if (dev < 0)
    return -1;
  for (size_t i = 0; i < ARRAY_SIZE(default_links); i++) {
    const char *name = default_links[i].link + strlen("/dev/");
    if (symlinkat(default_links[i].target, dev, name) < 0 && errno != EEXIST)
      return tsc_error(err, errno, "symlink `%s`", default_links[i].link);
  }
  if (terminal && mkfile_in_root(rootfd, "/dev/console", err) < 0)
    return -1;
  return 0;
}

int setup_spec_devices(int rootfd, const spec_t *spec, bool in_userns, tsc_err_t *err) {
  for (size_t i = 0; i < spec->n_devices; i++)
    if (make_device(rootfd, &spec->devices[i], in_userns, err) < 0)
      return tsc_error_wrap(err, "linux.devices[%zu]", i);
  return 0;
}

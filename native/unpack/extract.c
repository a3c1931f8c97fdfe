#include "extract.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

char extract_errmsg[1024];

#define PATH_CAP 4096

__attribute__((format(printf, 1, 2))) static int fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(extract_errmsg, sizeof extract_errmsg, fmt, ap);
  va_end(ap);
  return -1;
}

/* Names are printed between backticks with control characters escaped, so a
 * hostile name cannot forge lines in the engine's error output. */
void print_name(FILE *f, const char *name) {
  fputc('`', f);
  for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
    if (*p < 0x20 || *p == 0x7f || *p == '`' || *p == '\\') fprintf(f, "\\x%02x", *p);
    else fputc(*p, f);
  }
  fputc('`', f);
}

void warnx_entry(struct unpack_stats *st, const char *name, const char *fmt, ...) {
  va_list ap;
  st->warnings++;
  fputs("tsc-unpack: warning: entry ", stderr);
  print_name(stderr, name);
  fputs(": ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

int clean_path(const char *in, char *out, size_t outsz) {
  size_t n = 0;
  const char *p = in;
  while (*p) {
    while (*p == '/') p++;
    if (!*p) break;
    const char *s = p;
    while (*p && *p != '/') p++;
    size_t len = (size_t)(p - s);
    if (len == 1 && s[0] == '.') continue;
    if (len == 2 && s[0] == '.' && s[1] == '.') {
      if (n == 0) return -1;
      while (n > 0 && out[n - 1] != '/') n--;
      if (n > 0) n--; /* the separator */
      continue;
    }
    if (n + (n ? 1 : 0) + len + 1 > outsz) {
      errno = ENAMETOOLONG;
      return -2;
    }
    if (n) out[n++] = '/';
    memcpy(out + n, s, len);
    n += len;
  }
  out[n] = 0;
  return 0;
}

/* ---- deferred directory times ---- */

struct dir_time {
  char *path;
  struct timespec ts[2];
};
static struct dir_time *dir_times;
static size_t n_dir_times, cap_dir_times;

static void defer_dir_time(const char *path, const struct timespec ts[2]) {
  if (n_dir_times == cap_dir_times) {
    size_t nc = cap_dir_times ? cap_dir_times * 2 : 256;
    struct dir_time *nd = realloc(dir_times, nc * sizeof *nd);
    if (!nd) return; /* times are cosmetic; never fail the unpack for them */
    dir_times = nd;
    cap_dir_times = nc;
  }
  dir_times[n_dir_times].path = strdup(path);
  if (!dir_times[n_dir_times].path) return;
  memcpy(dir_times[n_dir_times].ts, ts, sizeof(struct timespec[2]));
  n_dir_times++;
}

int extract_finish(struct unpack_stats *st) {
  (void)st;
  /* Deepest last-created first is not needed: setting a dir's time does not
   * touch its parent's. Reverse order still keeps the root's time exact. */
  for (size_t i = n_dir_times; i-- > 0;) {
    utimensat(AT_FDCWD, dir_times[i].path, dir_times[i].ts, AT_SYMLINK_NOFOLLOW);
    free(dir_times[i].path);
  }
  free(dir_times);
  dir_times = NULL;
  n_dir_times = cap_dir_times = 0;
  return 0;
}

/* ---- helpers ---- */

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb;
  (void)ftw;
  return (flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT ? -1 : 0;
}

/* Removes whatever is at path (a directory with its contents), never following symlinks. */
static int remove_existing(const char *path) {
  struct stat sb;
  if (lstat(path, &sb) < 0) return errno == ENOENT ? 0 : fail("lstat: %s", strerror(errno));
  if (S_ISDIR(sb.st_mode)) {
    if (nftw(path, rm_one, 64, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0) return fail("remove directory replaced by a later entry: %s", strerror(errno));
    return 0;
  }
  if (unlink(path) < 0 && errno != ENOENT) return fail("unlink existing: %s", strerror(errno));
  return 0;
}

/* mkdir -p of path's parent directories (0755, root-owned, as Docker). */
static int make_parents(const char *path) {
  char buf[PATH_CAP];
  size_t len = strlen(path);
  if (len >= sizeof buf) return fail("name too long");
  memcpy(buf, path, len + 1);
  for (char *s = buf; (s = strchr(s, '/')) != NULL; s++) {
    *s = 0;
    if (mkdir(buf, 0755) < 0 && errno != EEXIST) {
      int e = errno;
      fail("create parent directory `%s`%s: %s", buf, e == ENOENT ? " (through a dangling symlink)" : "", strerror(e));
      *s = '/';
      return -1;
    }
    *s = '/';
  }
  return 0;
}

/* Runs create(path) with Docker's replace rules: a missing parent is
 * created, an existing non-directory (or a directory when the new entry is
 * not one) is removed first. */
typedef int (*create_fn)(const char *path, void *arg);

static int create_with_replace(const char *path, create_fn fn, void *arg, int is_dir) {
  int made_parents = 0;
  for (int attempt = 0; attempt < 3; attempt++) {
    int r = fn(path, arg);
    if (r >= 0) return r;
    if (errno == ENOENT) {
      if (made_parents) return fail("parent directory cannot be created (a component is a dangling symlink)");
      if (make_parents(path) < 0) return -1;
      made_parents = 1;
      continue;
    }
    if (errno == ENOTDIR) return fail("a parent of this entry is not a directory");
    if (errno == EEXIST) {
      if (is_dir) {
        struct stat sb;
        if (lstat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) return 0;
      }
      if (remove_existing(path) < 0) return -1;
      continue;
    }
    return fail("%s", strerror(errno));
  }
  return fail("could not create: %s", strerror(errno));
}

static int mk_dir(const char *p, void *a) {
  (void)a;
  return mkdir(p, 0700);
}
static int mk_symlink(const char *p, void *a) {
  return symlink((const char *)a, p);
}
static int mk_link(const char *p, void *a) {
  return linkat(AT_FDCWD, (const char *)a, AT_FDCWD, p, 0);
}
struct node_arg {
  mode_t mode;
  dev_t dev;
};
static int mk_node(const char *p, void *a) {
  struct node_arg *n = a;
  return mknod(p, n->mode, n->dev);
}
static int open_file(const char *p, void *a) {
  /* created with its final permission bits (umask is 0): the fd is writable
   * whatever they say, and most files then need no fchmod */
  return open(p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, *(const mode_t *)a & 0777);
}

static void times_of(const struct tar_entry *e, struct timespec ts[2]) {
  ts[1].tv_sec = e->mtime_sec;
  ts[1].tv_nsec = e->mtime_nsec;
  if (e->has_atime) {
    ts[0].tv_sec = e->atime_sec;
    ts[0].tv_nsec = e->atime_nsec;
  } else {
    ts[0] = ts[1];
  }
}

/* 1 when the entry's owner differs from what a new file gets (our ids). */
static int needs_chown(const struct tar_entry *e) {
  static uid_t uid = (uid_t)-1;
  static gid_t gid;
  if (uid == (uid_t)-1) {
    uid = geteuid();
    gid = getegid();
  }
  return e->uid != uid || e->gid != gid;
}

static int chown_entry(int fd, const char *path, const struct tar_entry *e, const struct unpack_opts *o, struct unpack_stats *st) {
  if (!needs_chown(e)) return 0;
  int r = fd >= 0 ? fchown(fd, e->uid, e->gid) : lchown(path, e->uid, e->gid);
  if (r < 0) {
    if (!o->is_root && (errno == EPERM || errno == EINVAL)) return 0; /* unprivileged: keep our ids */
    (void)st;
    return fail("chown to %u:%u: %s", (unsigned)e->uid, (unsigned)e->gid, strerror(errno));
  }
  return 0;
}

static void set_xattrs(int fd, const char *path, const struct tar_entry *e, struct unpack_stats *st) {
  for (int i = 0; i < e->nxattrs; i++) {
    const struct tar_xattr *x = &e->xattrs[i];
    /* overlay's own attributes (opaque, redirect, metacopy) would let a layer
     * steer lookups in other layers: only whiteout entries may make them. */
    if (strncmp(x->name, "trusted.overlay.", 16) == 0) {
      warnx_entry(st, e->name, "xattr %s dropped (reserved for overlay)", x->name);
      continue;
    }
    int r = fd >= 0 ? fsetxattr(fd, x->name, x->value, x->len, 0) : lsetxattr(path, x->name, x->value, x->len, 0);
    if (r < 0) warnx_entry(st, e->name, "xattr %s not set: %s", x->name, strerror(errno));
  }
}

static int write_all(int fd, const unsigned char *p, size_t n) {
  while (n > 0) {
    ssize_t k = write(fd, p, n);
    if (k < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += k;
    n -= (size_t)k;
  }
  return 0;
}

static int extract_file(struct tar_reader *r, const char *path, struct tar_entry *e, const struct unpack_opts *o, struct unpack_stats *st) {
  mode_t m = e->mode;
  int fd = create_with_replace(path, open_file, &m, 0);
  if (fd < 0) return -1;
  const unsigned char *p;
  ssize_t k;
  while ((k = tar_data(r, &p)) > 0) {
    if (write_all(fd, p, (size_t)k) < 0) {
      int err = errno;
      close(fd);
      return fail("write: %s", strerror(err));
    }
    st->bytes += (uint64_t)k;
  }
  if (k < 0) {
    close(fd);
    return fail("%s", tar_errmsg);
  }
  int rc = 0;
  struct timespec ts[2];
  times_of(e, ts);
  int chowned = needs_chown(e);
  if (chown_entry(fd, path, e, o, st) < 0) rc = -1;
  /* chmod after chown: chown clears setuid/setgid, which Docker keeps; open()
   * already applied the plain permission bits */
  else if (((e->mode & 07000) || chowned) && fchmod(fd, e->mode) < 0) rc = fail("chmod: %s", strerror(errno));
  if (rc == 0) {
    set_xattrs(fd, path, e, st);
    futimens(fd, ts);
  }
  close(fd);
  st->files++;
  return rc;
}

static int meta_path(const char *path, struct tar_entry *e, const struct unpack_opts *o, struct unpack_stats *st, int chmod_it) {
  if (chown_entry(-1, path, e, o, st) < 0) return -1;
  if (chmod_it && chmod(path, e->mode) < 0) return fail("chmod: %s", strerror(errno));
  set_xattrs(-1, path, e, st);
  return 0;
}

static int whiteout(const char *path, const char *base, struct tar_entry *e, struct unpack_stats *st) {
  char target[PATH_CAP];
  size_t dirlen = (size_t)(base - path);
  if (strcmp(base, ".wh..wh..opq") == 0) {
    if (dirlen == 0) {
      strcpy(target, ".");
    } else {
      memcpy(target, path, dirlen - 1);
      target[dirlen - 1] = 0;
      if (mkdir(target, 0755) < 0 && errno != EEXIST) {
        if (errno != ENOENT || make_parents(path) < 0 || (mkdir(target, 0755) < 0 && errno != EEXIST)) return fail("create opaque directory: %s", strerror(errno));
      }
    }
    if (lsetxattr(target, "trusted.overlay.opaque", "y", 1, 0) < 0) return fail("mark directory opaque (trusted.overlay.opaque): %s", strerror(errno));
    st->opaques++;
    return 0;
  }
  if (strncmp(base, ".wh..wh.", 8) == 0) {
    st->skipped++; /* aufs bookkeeping (.wh..wh.plnk, .wh..wh.aufs): meaningless for overlay */
    return 0;
  }
  const char *name = base + 4;
  if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) return fail("invalid whiteout name");
  if (dirlen + strlen(name) + 1 > sizeof target) return fail("name too long");
  memcpy(target, path, dirlen);
  strcpy(target + dirlen, name);
  struct node_arg na = {S_IFCHR | 0, makedev(0, 0)};
  if (create_with_replace(target, mk_node, &na, 0) < 0) return -1;
  (void)e;
  st->whiteouts++;
  return 0;
}

int extract_entry(struct tar_reader *r, struct tar_entry *e, const struct unpack_opts *o, struct unpack_stats *st) {
  char path[PATH_CAP];
  st->entries++;
  int c = clean_path(e->name, path, sizeof path);
  if (c == -1) return fail("path escapes the layer root");
  if (c == -2) return fail("name longer than %d bytes", PATH_CAP - 1);
  struct timespec ts[2];
  times_of(e, ts);

  if (path[0] == 0) {
    /* the layer root itself ("./"): metadata only */
    if (e->type != '5') return fail("the layer root must be a directory");
    if (meta_path(".", e, o, st, 1) < 0) return -1;
    defer_dir_time(".", ts);
    return 0;
  }

  const char *slash = strrchr(path, '/');
  const char *base = slash ? slash + 1 : path;
  if (strncmp(base, ".wh.", 4) == 0) return whiteout(path, base, e, st);

  switch (e->type) {
  case '0':
    return extract_file(r, path, e, o, st);
  case '5':
    if (create_with_replace(path, mk_dir, NULL, 1) < 0) return -1;
    if (meta_path(path, e, o, st, 1) < 0) return -1;
    defer_dir_time(path, ts);
    st->dirs++;
    return 0;
  case '2':
    if (!e->linkname[0]) return fail("symlink with an empty target");
    if (create_with_replace(path, mk_symlink, e->linkname, 0) < 0) return -1;
    if (meta_path(path, e, o, st, 0) < 0) return -1;
    utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW);
    st->symlinks++;
    return 0;
  case '1': {
    char target[PATH_CAP];
    int tc = clean_path(e->linkname, target, sizeof target);
    if (tc == -1) return fail("hardlink target `%s` escapes the layer root", e->linkname);
    if (tc == -2 || !target[0]) return fail("invalid hardlink target `%s`", e->linkname);
    if (strcmp(target, path) == 0) return 0;
    struct stat sb;
    if (lstat(target, &sb) < 0) return fail("hardlink target `%s` does not exist (it must come earlier in the layer)", e->linkname);
    if (S_ISDIR(sb.st_mode)) return fail("hardlink target `%s` is a directory", e->linkname);
    if (create_with_replace(path, mk_link, target, 0) < 0) return -1;
    st->hardlinks++;
    return 0;
  }
  case '3':
  case '4': {
    if (!o->allow_devices) {
      warnx_entry(st, e->name, "device node skipped (devices are not allowed here)");
      st->skipped++;
      return 0;
    }
    struct node_arg na = {(e->type == '3' ? S_IFCHR : S_IFBLK) | (e->mode & 0777), makedev(e->devmajor, e->devminor)};
    if (create_with_replace(path, mk_node, &na, 0) < 0) return -1;
    if (meta_path(path, e, o, st, 1) < 0) return -1;
    utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW);
    st->devices++;
    return 0;
  }
  case '6': {
    struct node_arg na = {S_IFIFO | (e->mode & 0777), 0};
    if (create_with_replace(path, mk_node, &na, 0) < 0) return -1;
    if (meta_path(path, e, o, st, 1) < 0) return -1;
    utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW);
    st->fifos++;
    return 0;
  }
  default:
    warnx_entry(st, e->name, "unsupported tar entry type '%c' skipped", e->type);
    st->skipped++;
    return 0;
  }
}

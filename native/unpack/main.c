/* tsc-unpack: extract one image layer (an uncompressed tar on stdin) into
 * DEST so that no entry can write outside DEST.
 *
 *   tsc-unpack [--devices] [--sync] DEST
 *   tsc-unpack --syncfs DIR     flush the filesystem holding DIR (syncfs(2)), nothing else
 *
 * Safety does not rest on string checks: the process chroots into DEST
 * before reading the first header, so `../x`, `/etc/x`, a symlink `a ->
 * /etc` followed by `a/passwd`, or a hardlink to `/etc/shadow` all resolve
 * inside DEST. (Names climbing above the root are still refused with an
 * error, as Docker does, so a broken layer is reported rather than bent.)
 * Without CAP_SYS_CHROOT it first enters a new user namespace to get it.
 *
 * Success: one JSON line of counts on stdout, exit 0.
 * Failure: "tsc-unpack: entry `NAME`: what: why" on stderr, exit 1
 *          (exit 2 for usage errors). Warnings are lines on stderr too. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "extract.h"
#include "tar.h"

#define BUF_SIZE (4u << 20)

static int write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = write(fd, text, strlen(text));
  close(fd);
  return n < 0 ? -1 : 0;
}

/* chroot(".") after fchdir(DEST); as non-root, inside a fresh user namespace
 * where we are root (ownership then stays ours). */
static int enter_root(int dirfd, int *is_root) {
  *is_root = geteuid() == 0;
  if (fchdir(dirfd) < 0) return -1;
  if (chroot(".") == 0) return chdir("/");
  if (errno != EPERM) return -1;
  uid_t uid = geteuid();
  gid_t gid = getegid();
  if (unshare(CLONE_NEWUSER) < 0) return -1;
  char map[64];
  write_file("/proc/self/setgroups", "deny");
  snprintf(map, sizeof map, "0 %u 1\n", (unsigned)uid);
  if (write_file("/proc/self/uid_map", map) < 0) return -1;
  snprintf(map, sizeof map, "0 %u 1\n", (unsigned)gid);
  if (write_file("/proc/self/gid_map", map) < 0) return -1;
  *is_root = 0;
  if (chroot(".") < 0) return -1;
  return chdir("/");
}

static void usage(void) {
  fputs("usage: tsc-unpack [--devices] [--sync] DEST < layer.tar\n", stderr);
  exit(2);
}

int main(int argc, char **argv) {
  struct unpack_opts opts = {0};
  int do_sync = 0, sync_only = 0;
  const char *dest = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--devices") == 0) opts.allow_devices = 1;
    else if (strcmp(argv[i], "--syncfs") == 0) sync_only = 1;
    else if (strcmp(argv[i], "--sync") == 0) do_sync = 1;
    else if (argv[i][0] == '-' && argv[i][1]) usage();
    else if (!dest) dest = argv[i];
    else usage();
  }
  if (!dest) usage();

  int dirfd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0) {
    fprintf(stderr, "tsc-unpack: open destination `%s`: %s\n", dest, strerror(errno));
    return 1;
  }
  if (sync_only) {
    if (syncfs(dirfd) < 0) {
      fprintf(stderr, "tsc-unpack: syncfs `%s`: %s\n", dest, strerror(errno));
      return 1;
    }
    return 0;
  }
  /* A bigger pipe means fewer wake-ups between node and us (best effort). */
  fcntl(STDIN_FILENO, F_SETPIPE_SZ, 1 << 20);
  if (enter_root(dirfd, &opts.is_root) < 0) {
    fprintf(stderr, "tsc-unpack: chroot into `%s`: %s\n", dest, strerror(errno));
    return 1;
  }
  /* device nodes need real root; unprivileged they are skipped with a warning */
  if (!opts.is_root) opts.allow_devices = 0;
  umask(0);

  struct tar_reader r;
  if (tar_reader_init(&r, STDIN_FILENO, BUF_SIZE) < 0) {
    fprintf(stderr, "tsc-unpack: %s\n", tar_errmsg);
    return 1;
  }
  struct tar_entry e;
  memset(&e, 0, sizeof e);
  struct unpack_stats st;
  memset(&st, 0, sizeof st);
  int rc;
  while ((rc = tar_next(&r, &e)) > 0) {
    if (extract_entry(&r, &e, &opts, &st) < 0) {
      fputs("tsc-unpack: entry ", stderr);
      print_name(stderr, e.name);
      fprintf(stderr, ": %s\n", extract_errmsg);
      return 1;
    }
  }
  if (rc < 0) {
    if (e.name) {
      fputs("tsc-unpack: after entry ", stderr);
      print_name(stderr, e.name);
      fprintf(stderr, ": %s\n", tar_errmsg);
    } else {
      fprintf(stderr, "tsc-unpack: %s\n", tar_errmsg);
    }
    return 1;
  }
  extract_finish(&st);
  uint64_t stream = r.consumed + tar_drain(&r);
  if (do_sync && syncfs(dirfd) < 0) {
    fprintf(stderr, "tsc-unpack: syncfs: %s\n", strerror(errno));
    return 1;
  }
  tar_entry_free(&e);
  tar_reader_free(&r);
  close(dirfd);
  printf("{\"entries\":%llu,\"files\":%llu,\"dirs\":%llu,\"symlinks\":%llu,\"hardlinks\":%llu,\"devices\":%llu,"
         "\"fifos\":%llu,\"whiteouts\":%llu,\"opaques\":%llu,\"skipped\":%llu,\"warnings\":%llu,\"bytes\":%llu,\"streamBytes\":%llu}\n",
         (unsigned long long)st.entries, (unsigned long long)st.files, (unsigned long long)st.dirs,
         (unsigned long long)st.symlinks, (unsigned long long)st.hardlinks, (unsigned long long)st.devices,
         (unsigned long long)st.fifos, (unsigned long long)st.whiteouts, (unsigned long long)st.opaques,
         (unsigned long long)st.skipped, (unsigned long long)st.warnings, (unsigned long long)st.bytes,
         (unsigned long long)stream);
  return 0;
}

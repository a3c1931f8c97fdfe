/* Test driver for src/seccomp.c (built by test/integration/tscrun/seccomp.test.ts):
 *   seccomp-check PROFILE.json count            → number of BPF instructions
 *   seccomp-check PROFILE.json nr NAME           → x86_64 syscall number or -1
 *   seccomp-check PROFILE.json exec CMD [ARGS]   → install (no_new_privs) and exec
 *   seccomp-check PROFILE.json probe V...        → install, then for each 64-bit V call
 *       getppid(V, V) (it ignores its arguments; the filter sees them) and
 *       print "errno" per line (0 when allowed)
 * PROFILE.json holds the linux.seccomp object itself. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <string.h>
#include <unistd.h>
#include "seccomp.h"

int main(int argc, char **argv) {
  tsc_err_t err = {0};
  char b[2048];
  if (argc < 3) return 2;
  json_t *root = json_parse_file(argv[1], &err);
  tsc_seccomp_t f;
  if (!root || tsc_seccomp_compile(root, &f, &err) < 0) {
    fprintf(stderr, "error: %s\n", tsc_error_text(&err, b, sizeof b));
    return 1;
  }
  json_free(root);
  if (!strcmp(argv[2], "count")) {
    printf("%u\n", f.prog.len);
  } else if (!strcmp(argv[2], "nr") && argc > 3) {
    printf("%ld\n", tsc_seccomp_syscall_nr(argv[3]));
  } else if (!strcmp(argv[2], "exec") && argc > 3) {
    if (tsc_seccomp_install(&f, true, &err) < 0) {
      fprintf(stderr, "error: %s\n", tsc_error_text(&err, b, sizeof b));
      return 1;
    }
    execv(argv[3], argv + 3);
    perror("execv");
    return 127;
  } else if (!strcmp(argv[2], "probe")) {
    if (tsc_seccomp_install(&f, true, &err) < 0) {
      fprintf(stderr, "error: %s\n", tsc_error_text(&err, b, sizeof b));
      return 1;
    }
    for (int i = 3; i < argc; i++) {
      unsigned long long v = strtoull(argv[i], NULL, 0);
      long r = syscall(SYS_getppid, v, v);
      printf("%d\n", r < 0 ? errno : 0);
    }
  } else {
    return 2;
  }
  tsc_seccomp_release(&f);
  return 0;
}

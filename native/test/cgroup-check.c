/* Test driver for src/cgroup*.c (built by test/integration/tscrun/cgroup.test.ts
 * and native/test/cgroup-v2-smoke.sh):
 *   cgroup-check setup ID CONFIG.json [PID]   → prints the saved form ("v1:/path")
 *   cgroup-check enter SAVED PID | freeze SAVED 0|1 | frozen SAVED | oom SAVED
 *   cgroup-check pids SAVED | kill SAVED SIG | stats SAVED | destroy SAVED
 *   cgroup-check frompid PID
 *   cgroup-check run SAVED CMD [ARGS]         → enter the cgroup, then exec CMD
 * Errors: "error: <text>" on stderr, exit 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cgroup.h"

static int fail(tsc_err_t *e) {
  char b[2048];
  fprintf(stderr, "error: %s\n", tsc_error_text(e, b, sizeof b));
  return 1;
}

int main(int argc, char **argv) {
  tsc_err_t err = {0};
  tsc_cgroup_t *cg = NULL;
  char buf[8192];
  if (argc < 3) { fputs("usage: see source\n", stderr); return 2; }
  const char *cmd = argv[1];
  if (!strcmp(cmd, "setup")) {
    if (argc < 4) return 2;
    json_t *root = json_parse_file(argv[3], &err);
    if (!root) return fail(&err);
    int r = tsc_cgroup_setup(argv[2], json_get(root, "linux"), argc > 4 ? atoi(argv[4]) : 0, &cg, &err);
    json_free(root);
    if (r < 0) return fail(&err);
    tsc_cgroup_save(cg, buf, sizeof buf);
    puts(buf);
    tsc_cgroup_free(cg);
    return 0;
  }
  if (!strcmp(cmd, "frompid")) {
    if (tsc_cgroup_from_pid(atoi(argv[2]), &cg, &err) < 0) return fail(&err);
    tsc_cgroup_save(cg, buf, sizeof buf);
    puts(buf);
    tsc_cgroup_free(cg);
    return 0;
  }
  if (tsc_cgroup_load(argv[2], &cg, &err) < 0) return fail(&err);
  int r = 0;
  if (!strcmp(cmd, "run") && argc > 3) {
    if (tsc_cgroup_enter(cg, getpid(), &err) < 0) return fail(&err);
    tsc_cgroup_free(cg);
    execv(argv[3], argv + 3);
    perror("execv");
    return 127;
  } else if (!strcmp(cmd, "enter") && argc > 3) {
    r = tsc_cgroup_enter(cg, atoi(argv[3]), &err);
  } else if (!strcmp(cmd, "freeze") && argc > 3) {
    r = tsc_cgroup_freeze(cg, atoi(argv[3]) != 0, &err);
  } else if (!strcmp(cmd, "frozen")) {
    bool f;
    if ((r = tsc_cgroup_is_frozen(cg, &f, &err)) == 0) puts(f ? "true" : "false");
  } else if (!strcmp(cmd, "oom")) {
    uint64_t n;
    bool k;
    if ((r = tsc_cgroup_oom_count(cg, &n, &err)) == 0 && (r = tsc_cgroup_oom_killed(cg, &k, &err)) == 0)
      printf("%llu %s\n", (unsigned long long)n, k ? "true" : "false");
  } else if (!strcmp(cmd, "pids")) {
    pid_t *p;
    size_t n;
    if ((r = tsc_cgroup_pids(cg, &p, &n, &err)) == 0) {
      for (size_t i = 0; i < n; i++) printf("%d\n", (int)p[i]);
      free(p);
    }
  } else if (!strcmp(cmd, "kill") && argc > 3) {
    r = tsc_cgroup_kill(cg, atoi(argv[3]), &err);
  } else if (!strcmp(cmd, "stats")) {
    uint64_t m, p;
    if ((r = tsc_cgroup_stats(cg, &m, &p, &err)) == 0) printf("%llu %llu\n", (unsigned long long)m, (unsigned long long)p);
  } else if (!strcmp(cmd, "destroy")) {
    r = tsc_cgroup_destroy(cg, &err);
  } else {
    fputs("unknown command\n", stderr);
    r = 0;
    tsc_cgroup_free(cg);
    return 2;
  }
  tsc_cgroup_free(cg);
  return r < 0 ? fail(&err) : 0;
}

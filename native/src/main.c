/* tscrun: an OCI runtime with runc's command line (see native/README.md).
 *
 *   tscrun [--root DIR] [--log FILE] [--log-format text|json] [--debug] COMMAND ...
 *
 * Errors go to stderr as "tscrun COMMAND failed: <message>" and, with --log,
 * to that file as runc writes them: a JSON line {"level":"error","msg":...,
 * "time":...} with --log-format json, a logfmt line otherwise. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "exec-relay.h"
#include "monitor.h"
#include "runtime.h"
#include "utils.h"

#define TSCRUN_VERSION "0.1.0"
#define OCI_VERSION "1.0.2"

tsc_globals_t g_opts = {.root = "/run/tscrun"};

static void log_line(const char *msg) {
  if (!g_opts.log)
    return;
  FILE *f = fopen(g_opts.log, "ae");
  if (!f)
    return;
  char now[64];
  time_t t = time(NULL);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (g_opts.log_json) {
    fputs("{\"level\":\"error\",\"msg\":", f);
    json_write_string(f, msg);
    fprintf(f, ",\"time\":\"%s\"}\n", now);
  } else {
    fprintf(f, "time=\"%s\" level=error msg=", now);
    json_write_string(f, msg);
    fputc('\n', f);
  }
  fclose(f);
}

void tsc_report(const char *cmd, const tsc_err_t *err) {
  char text[TSC_ERR_MSG_MAX + 128];
  char line[TSC_ERR_MSG_MAX + 256];
  tsc_error_text(err, text, sizeof text);
  snprintf(line, sizeof line, "tscrun %s failed: %s", cmd, text);
  fprintf(stderr, "%s\n", line);
  log_line(line);
}

void tsc_report_msg(const char *cmd, const char *fmt, ...) {
  tsc_err_t err = {0};
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err.msg, sizeof err.msg, fmt, ap);
  va_end(ap);
  tsc_report(cmd, &err);
}

/* CVE-2019-5736: a container process could open /proc/<runtime>/exe and
 * overwrite the runtime binary on the host. Before touching a container we
 * re-exec from a sealed memfd copy, so /proc/self/exe names an immutable
 * anonymous file. Already running from one: nothing to do. */
static int ensure_sealed_exe(char **argv) {
  cleanup_close int exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (exe < 0)
    return -1;
  int seals = fcntl(exe, F_GET_SEALS);
  if (seals >= 0 && (seals & F_SEAL_WRITE))
    return 0;
  struct stat st;
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
  /* Kernels since 6.3 want the intent stated (and refuse exec under
   * vm.memfd_noexec=2 otherwise); older ones reject the flag. */
  cleanup_close int mem = memfd_create("tscrun", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (mem < 0 && errno == EINVAL)
    mem = memfd_create("tscrun", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mem < 0 || fstat(exe, &st) < 0)
    return -1;
  for (off_t off = 0; off < st.st_size;) {
    ssize_t n = sendfile(mem, exe, &off, (size_t)(st.st_size - off));
    if (n <= 0)
      return -1;
  }
  if (fcntl(mem, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
    return -1;
  extern char **environ;
  fexecve(mem, argv, environ);
  return -1;
}

int cmd_features(int argc, char **argv) {
  (void)argc;
  (void)argv;
  printf("{\n  \"ociVersionMin\": \"1.0.0\",\n  \"ociVersionMax\": \"%s\",\n", OCI_VERSION);
  puts("  \"hooks\": [],\n  \"mountOptions\": [\"async\", \"atime\", \"bind\", \"defaults\", "
       "\"dev\", \"diratime\", \"dirsync\", \"exec\", \"lazytime\", \"loud\", \"mand\", "
       "\"noatime\", \"nodev\", \"nodiratime\", \"noexec\", \"nolazytime\", \"nomand\", "
       "\"norelatime\", \"nostrictatime\", \"nosuid\", \"private\", \"rbind\", \"relatime\", "
       "\"remount\", \"ro\", \"rprivate\", \"rro\", \"rshared\", \"rslave\", \"runbindable\", "
       "\"rw\", \"shared\", \"silent\", \"slave\", \"strictatime\", \"suid\", \"sync\", "
       "\"unbindable\"],");
  puts("  \"linux\": {\n    \"namespaces\": [\"cgroup\", \"ipc\", \"mount\", \"network\", "
       "\"pid\", \"user\", \"uts\", \"time\"],");
  fputs("    \"capabilities\": [", stdout);
  for (int c = 0; c <= spec_last_cap() && spec_cap_name(c); c++)
    printf("%s\"%s\"", c ? ", " : "", spec_cap_name(c));
  puts("],");
  puts("    \"cgroup\": {\"v1\": true, \"v2\": true, \"systemd\": false, \"systemdUser\": false},");
  puts("    \"seccomp\": {\"enabled\": true, \"actions\": [\"SCMP_ACT_ALLOW\", \"SCMP_ACT_ERRNO\", "
       "\"SCMP_ACT_KILL\", \"SCMP_ACT_KILL_PROCESS\", \"SCMP_ACT_KILL_THREAD\", "
       "\"SCMP_ACT_LOG\", \"SCMP_ACT_TRACE\", \"SCMP_ACT_TRAP\"], \"operators\": "
       "[\"SCMP_CMP_EQ\", \"SCMP_CMP_GE\", \"SCMP_CMP_GT\", \"SCMP_CMP_LE\", \"SCMP_CMP_LT\", "
       "\"SCMP_CMP_MASKED_EQ\", \"SCMP_CMP_NE\"], \"archs\": [\"SCMP_ARCH_X86_64\", "
       "\"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\"]},");
  puts("    \"apparmor\": {\"enabled\": false},\n    \"selinux\": {\"enabled\": false}\n  },");
  puts("  \"annotations\": {}\n}");
  return 0;
}

static const struct command {
  const char *name;
  int (*fn)(int, char **);
  bool sealed; /* touches a container: run from a sealed copy */
} commands[] = {
    {"create", cmd_create, true},  {"start", cmd_start, false},   {"state", cmd_state, false},
    {"kill", cmd_kill, false},     {"delete", cmd_delete, false}, {"run", cmd_run, true},
    {"exec", cmd_exec, true},      {"features", cmd_features, false},
    {"ps", cmd_ps, false},         {"pause", cmd_pause, false},   {"resume", cmd_resume, false},
    {"list", cmd_list, false},     {"monitor", tsc_cmd_monitor, false},
    {"exec-relay", tsc_cmd_exec_relay, false},
};

static int usage(int code) {
  fputs("usage: tscrun [--root DIR] [--log FILE] [--log-format text|json] COMMAND [ARGS]\n"
        "commands: create start state kill delete run exec features ps pause resume list "
        "monitor exec-relay\n",
        code ? stderr : stdout);
  return code;
}

static int parse_globals(int argc, char **argv) {
  enum { O_ROOT = 256, O_LOG, O_LOGFMT, O_DEBUG, O_IGN, O_IGNARG, O_VERSION };
  static const struct option lo[] = {
      {"root", required_argument, NULL, O_ROOT},   {"log", required_argument, NULL, O_LOG},
      {"log-format", required_argument, NULL, O_LOGFMT}, {"debug", no_argument, NULL, O_DEBUG},
      {"systemd-cgroup", no_argument, NULL, O_IGN}, {"rootless", required_argument, NULL, O_IGNARG},
      {"criu", required_argument, NULL, O_IGNARG}, {"version", no_argument, NULL, 'v'},
      {"help", no_argument, NULL, 'h'},            {NULL, 0, NULL, 0}};
  int c;
  while ((c = getopt_long(argc, argv, "+vh", lo, NULL)) != -1) {
    switch (c) {
    case O_ROOT: g_opts.root = optarg; break;
    case O_LOG: g_opts.log = optarg; break;
    case O_LOGFMT: g_opts.log_json = !strcmp(optarg, "json"); break;
    case O_DEBUG: g_opts.debug = true; break;
    case O_IGN: case O_IGNARG: break;
    case 'v':
      printf("tscrun version %s\nspec: %s\n", TSCRUN_VERSION, OCI_VERSION);
      exit(0);
    case 'h': exit(usage(0));
    default: return -1;
    }
  }
  return 0;
}

int main(int argc, char **argv) {
  if (parse_globals(argc, argv) < 0 || optind >= argc)
    return usage(1);
  const char *name = argv[optind];
  for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
    if (strcmp(name, commands[i].name))
      continue;
    trace_mark(name);
    if (commands[i].sealed && ensure_sealed_exe(argv) < 0) {
      tsc_report_msg(name, "re-exec from a sealed copy of /proc/self/exe: %s", strerror(errno));
      return 1;
    }
    return commands[i].fn(argc - optind, argv + optind);
  }
  tsc_report_msg(name, "unknown command `%s`", name);
  return usage(1);
}

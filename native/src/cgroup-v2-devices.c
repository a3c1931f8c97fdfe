/* Device rules on cgroup v2: v2 has no devices.allow file; access is checked
 * by an eBPF program of type BPF_PROG_TYPE_CGROUP_DEVICE attached to the
 * cgroup. We compile the OCI rules into one such program (no libbpf).
 *
 * Semantics are v1's, which the OCI rules were written for: the list is
 * applied in order onto a default of "allow everything"; a rule for all
 * devices with all access (`a *:* rwm`) sets the default and clears the
 * exceptions; any other rule is an exception, and the last matching one
 * decides. Like on v1, the OCI default devices and linux.devices are
 * appended as allow rules when the spec has device rules at all (runc). A
 * rule matches a request when type, major and minor match (wildcards
 * allowed) and the requested access is a subset of the rule's.
 *
 * Program (ctx = struct bpf_cgroup_dev_ctx):
 *   r2 = type, r3 = access, r4 = major, r5 = minor
 *   for each exception, last first:  mismatch → next block; else r0 = verdict; exit
 *   r0 = default; exit */
#include "cgroup-priv.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_RULES 256

typedef struct {
  int type;         /* 0 = any, else BPF_DEVCG_DEV_* */
  long major, minor; /* -1 = any */
  unsigned access;  /* BPF_DEVCG_ACC_* bits */
  bool allow;
} rule_t;

typedef struct {
  rule_t r[MAX_RULES];
  int n;
  bool dflt_allow;
} rules_t;

static unsigned parse_access(const char *s) {
  unsigned a = 0;
  for (; *s; s++)
    a |= *s == 'r' ? BPF_DEVCG_ACC_READ : *s == 'w' ? BPF_DEVCG_ACC_WRITE : *s == 'm' ? BPF_DEVCG_ACC_MKNOD : 0;
  return a;
}

static long num_or_any(const json_t *v) { return v && v->type == JSON_NUMBER && v->integer >= 0 ? v->integer : -1; }

static int add(rules_t *rs, int type, long major, long minor, unsigned access, bool allow, tsc_err_t *err) {
  const unsigned all = BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;
  if (type == 0 && major < 0 && minor < 0 && access == all) {
    rs->dflt_allow = allow; /* `a *:* rwm` resets, like writing it to devices.allow/deny */
    rs->n = 0;
    return 0;
  }
  if (rs->n == MAX_RULES)
    return tsc_error(err, E2BIG, "linux.resources.devices: more than %d rules", MAX_RULES);
  rs->r[rs->n++] = (rule_t){type, major, minor, access, allow};
  return 0;
}

static int collect(const json_t *rules, const json_t *linux_section, rules_t *rs, tsc_err_t *err) {
  rs->n = 0;
  rs->dflt_allow = true;
  for (size_t i = 0; i < rules->len; i++) {
    const json_t *r = rules->items[i];
    const char *t = json_str(r, "type", "a");
    if (strcmp(t, "a") && strcmp(t, "b") && strcmp(t, "c"))
      return tsc_error(err, EINVAL, "linux.resources.devices[%zu]: type `%s` must be a, b or c", i, t);
    int type = *t == 'a' ? 0 : *t == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR;
    if (add(rs, type, num_or_any(json_get(r, "major")), num_or_any(json_get(r, "minor")),
            parse_access(json_str(r, "access", "rwm")), json_bool(r, "allow", false), err) < 0)
      return -1;
  }
  static const long dflt[][2] = {{1, 3}, {1, 5}, {1, 7}, {1, 8}, {1, 9}, {5, 0}, {5, 1}, {5, 2}, {136, -1}};
  const unsigned rwm = BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;
  if (add(rs, BPF_DEVCG_DEV_CHAR, -1, -1, BPF_DEVCG_ACC_MKNOD, true, err) < 0 ||
      add(rs, BPF_DEVCG_DEV_BLOCK, -1, -1, BPF_DEVCG_ACC_MKNOD, true, err) < 0)
    return -1;
  for (size_t i = 0; i < sizeof dflt / sizeof dflt[0]; i++)
    if (add(rs, BPF_DEVCG_DEV_CHAR, dflt[i][0], dflt[i][1], rwm, true, err) < 0)
      return -1;
  const json_t *devs = json_get(linux_section, "devices");
  for (size_t i = 0; devs && devs->type == JSON_ARRAY && i < devs->len; i++) {
    const json_t *d = devs->items[i];
    int type = *json_str(d, "type", "c") == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR;
    if (add(rs, type, num_or_any(json_get(d, "major")), num_or_any(json_get(d, "minor")), rwm, true, err) < 0)
      return -1;
  }
  return 0;
}

#define INSN(c, d, s, o, i) ((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})

static int emit(const rules_t *rs, struct bpf_insn *p, int cap) {
  int n = 0;
  p[n++] = INSN(BPF_LDX | BPF_MEM | BPF_W, 2, 1, 0, 0); /* access_type */
  p[n++] = INSN(BPF_ALU | BPF_AND | BPF_K, 2, 0, 0, 0xFFFF);
  p[n++] = INSN(BPF_LDX | BPF_MEM | BPF_W, 3, 1, 0, 0);
  p[n++] = INSN(BPF_ALU | BPF_RSH | BPF_K, 3, 0, 0, 16);
  p[n++] = INSN(BPF_LDX | BPF_MEM | BPF_W, 4, 1, 4, 0); /* major */
  p[n++] = INSN(BPF_LDX | BPF_MEM | BPF_W, 5, 1, 8, 0); /* minor */
  const unsigned all = BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;
  for (int i = rs->n - 1; i >= 0; i--) {
    const rule_t *r = &rs->r[i];
    int checks = (r->type != 0) + (r->access != all) * 3 + (r->major >= 0) + (r->minor >= 0);
    if (n + checks + 2 + 2 > cap)
      return -1;
    int left = checks + 2; /* instructions of this block still ahead */
#define SKIP_REST (left - 1)
    if (r->type) {
      p[n++] = INSN(BPF_JMP | BPF_JNE | BPF_K, 2, 0, (short)SKIP_REST, r->type);
      left--;
    }
    if (r->access != all) { /* requested & ~allowed must be 0 */
      p[n++] = INSN(BPF_ALU | BPF_MOV | BPF_X, 1, 3, 0, 0);
      p[n++] = INSN(BPF_ALU | BPF_AND | BPF_K, 1, 0, 0, (int)(~r->access & all));
      left -= 2;
      p[n++] = INSN(BPF_JMP | BPF_JNE | BPF_K, 1, 0, (short)SKIP_REST, 0);
      left--;
    }
    if (r->major >= 0) {
      p[n++] = INSN(BPF_JMP | BPF_JNE | BPF_K, 4, 0, (short)SKIP_REST, (int)r->major);
      left--;
    }
    if (r->minor >= 0) {
      p[n++] = INSN(BPF_JMP | BPF_JNE | BPF_K, 5, 0, (short)SKIP_REST, (int)r->minor);
      left--;
    }
#undef SKIP_REST
    p[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, r->allow ? 1 : 0);
    p[n++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
  }
  p[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, rs->dflt_allow ? 1 : 0);
  p[n++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
  return n;
}

int cg_v2_devices(const char *dir, const json_t *linux_section, tsc_err_t *err) {
  const json_t *rules = json_path(linux_section, "resources.devices");
  if (!rules || rules->type != JSON_ARRAY || !rules->len)
    return 0; /* no rules: nothing restricted, like v1 */
  rules_t *rs = calloc(1, sizeof *rs);
  struct bpf_insn *prog = calloc(8 * MAX_RULES + 16, sizeof *prog);
  int rc = -1, pfd = -1, cfd = -1, n;
  char log[4096] = "";
  if (!rs || !prog) {
    tsc_error(err, ENOMEM, "linux.resources.devices");
    goto out;
  }
  if (collect(rules, linux_section, rs, err) < 0)
    goto out;
  if ((n = emit(rs, prog, 8 * MAX_RULES + 16)) < 0) {
    tsc_error(err, E2BIG, "linux.resources.devices: the device program is too long");
    goto out;
  }
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  a.insns = (unsigned long)prog;
  a.insn_cnt = (unsigned)n;
  a.license = (unsigned long)"Apache-2.0";
  a.log_buf = (unsigned long)log;
  a.log_size = sizeof log;
  a.log_level = 1;
  pfd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof a);
  if (pfd < 0 && errno == ENOSPC) { /* log too small: load again without it */
    a.log_buf = 0, a.log_size = 0, a.log_level = 0;
    pfd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof a);
  }
  if (pfd < 0) {
    tsc_error(err, errno, "linux.resources.devices: load the device eBPF program for `%s` (%d instructions)%s%.200s", dir, n, *log ? ": " : "", log);
    goto out;
  }
  cfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cfd < 0) {
    tsc_error(err, errno, "open `%s`", dir);
    goto out;
  }
  memset(&a, 0, sizeof a);
  a.target_fd = (unsigned)cfd;
  a.attach_bpf_fd = (unsigned)pfd;
  a.attach_type = BPF_CGROUP_DEVICE;
  a.attach_flags = BPF_F_ALLOW_MULTI;
  if (syscall(SYS_bpf, BPF_PROG_ATTACH, &a, sizeof a) < 0) {
    tsc_error(err, errno, "linux.resources.devices: attach the device eBPF program to `%s`", dir);
    goto out;
  }
  rc = 0;
out:
  if (pfd >= 0)
    close(pfd);
  if (cfd >= 0)
    close(cfd);
  free(prog);
  free(rs);
  return rc;
}

/* cgroup v2 driver: one unified hierarchy, controllers enabled top-down. */
#include "cgroup-priv.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---------- v2 driver ---------- */

unsigned cg_v2_needed; /* controllers the resources need, see v2_enable */

/* word w in a space-separated list */
static bool in_list(const char *list, const char *w) {
  size_t n = strlen(w);
  for (const char *p = list; (p = strstr(p, w)); p += n)
    if ((p == list || p[-1] == ' ') && (p[n] == 0 || p[n] == ' '))
      return true;
  return false;
}

/* Enable the usual controllers (cpu cpuset memory pids io) for the parent's
 * children when available; hugetlb, rdma and misc are left alone (enabling
 * hugetlb on a hybrid host's cgroup2 would keep it from v1 mounts). Failure only
 * matters for a controller the spec needs (a parent with processes of its
 * own refuses: cgroup v2's "no internal processes" rule). */
static int v2_enable_in(const char *dir, tsc_err_t *err) {
  static const struct {
    const char *name;
    unsigned need;
  } cs[] = {{"cpu", NEED_CPU}, {"cpuset", NEED_CPUSET}, {"memory", NEED_MEMORY}, {"pids", NEED_PIDS},
            {"io", 0}};
  char avail[512], have[512], tok[32];
  if (cg_read(dir, "cgroup.controllers", avail, sizeof avail, err) < 0 ||
      cg_read(dir, "cgroup.subtree_control", have, sizeof have, err) < 0)
    return -1;
  for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
    if (!in_list(avail, cs[i].name) || in_list(have, cs[i].name))
      continue;
    snprintf(tok, sizeof tok, "+%s", cs[i].name);
    tsc_err_t e2;
    if (cg_write(dir, "cgroup.subtree_control", tok, &e2) < 0 && (cs[i].need & cg_v2_needed)) {
      *err = e2;
      return tsc_error_wrap(err, "enable the `%s` controller for `%s`'s children%s", cs[i].name, dir,
                            e2.errnum == EBUSY ? " (it holds processes itself, which cgroup v2 forbids "
                                                 "for a parent with controllers; use another cgroupsPath)"
                                               : "");
    }
  }
  return 0;
}

static int v2_create(const tsc_cgroup_t *cg, tsc_err_t *err) {
  /* enable controllers from the root down to the parent, then make the leaf */
  char parent[PATH_MAX];
  snprintf(parent, sizeof parent, "%s", cg->path);
  char *slash = strrchr(parent, '/');
  *slash = 0;
  if (v2_enable_in(cg_layout.unified, err) < 0)
    return -1;
  if (*parent && cg_mkdir_levels(cg_layout.unified, parent, v2_enable_in, err) < 0)
    return -1;
  return cg_mkdir_levels(cg_layout.unified, cg->path, NULL, err);
}

static void v2_procs_dir(const tsc_cgroup_t *cg, char *buf, size_t len) { cg_v2_dir(cg, buf, len); }

/* OCI swap is memory+swap; v2's memory.swap.max is swap alone (runc's rule). */
static int v2_swap_value(int64_t swap, int64_t limit, char *out, size_t len, tsc_err_t *err) {
  if (swap == -1 || (swap == 0 && limit == -1)) {
    snprintf(out, len, "max");
    return 1;
  }
  if (swap == 0)
    return 0;
  if (limit == 0 || limit == -1)
    return tsc_error(err, EINVAL, "swap %lld needs a memory limit too", (long long)swap);
  if (swap < limit)
    return tsc_error(err, EINVAL, "swap %lld (memory+swap) must be >= the memory limit %lld", (long long)swap,
                     (long long)limit);
  snprintf(out, len, "%lld", (long long)(swap - limit));
  return 1;
}

static int v2_memory(const char *dir, const json_t *mem, tsc_err_t *err) {
  int64_t limit = json_int(mem, "limit", 0), res = json_int(mem, "reservation", 0), swap = json_int(mem, "swap", 0);
  char v[32];
  int r = v2_swap_value(swap, limit, v, sizeof v, err);
  if (r < 0)
    return -1;
  if (r > 0) {
    if (!cg_exists(dir, "memory.swap.max")) {
      if (strcmp(v, "max") != 0)
        return tsc_error(err, ENOTSUP, "swap limit: `%s/memory.swap.max` is missing (no swap accounting)", dir);
    } else if (cg_write(dir, "memory.swap.max", v, err) < 0) {
      return -1;
    }
  }
  if (limit && (limit > 0 ? cg_write_num(dir, "memory.max", limit, err) : cg_write(dir, "memory.max", "max", err)) < 0)
    return -1;
  if (res && (res > 0 ? cg_write_num(dir, "memory.low", res, err) : cg_write(dir, "memory.low", "max", err)) < 0)
    return -1;
  if (json_bool(mem, "disableOOMKiller", false))
    return tsc_error(err, ENOTSUP, "disableOOMKiller is not supported by cgroup v2");
  return 0;
}

static int v2_cpu(const char *dir, const json_t *cpu, tsc_err_t *err) {
  uint64_t shares = (uint64_t)json_int(cpu, "shares", 0);
  if (shares) {
    if (shares < 2)
      shares = 2;
    if (shares > 262144)
      shares = 262144;
    if (cg_write_num(dir, "cpu.weight", (long long)(1 + ((shares - 2) * 9999) / 262142), err) < 0)
      return -1;
  }
  int64_t quota = json_int(cpu, "quota", 0), period = json_int(cpu, "period", 0);
  if (quota || period) {
    char v[64];
    if (!period)
      period = 100000;
    if (quota > 0)
      snprintf(v, sizeof v, "%lld %lld", (long long)quota, (long long)period);
    else
      snprintf(v, sizeof v, "max %lld", (long long)period);
    if (cg_write(dir, "cpu.max", v, err) < 0)
      return -1;
  }
  const json_t *idle = json_get(cpu, "idle");
  if (idle && idle->type == JSON_NUMBER && cg_write_num(dir, "cpu.idle", idle->integer, err) < 0)
    return -1;
  const char *cpus = json_str(cpu, "cpus", ""), *mems = json_str(cpu, "mems", "");
  if (*cpus && cg_write(dir, "cpuset.cpus", cpus, err) < 0)
    return -1;
  if (*mems && cg_write(dir, "cpuset.mems", mems, err) < 0)
    return -1;
  return 0;
}

static int v2_unified(const char *dir, const json_t *uni, tsc_err_t *err) {
  for (size_t i = 0; uni && uni->type == JSON_OBJECT && i < uni->len; i++) {
    const char *k = uni->keys[i];
    const json_t *v = uni->items[i];
    if (!*k || strchr(k, '/') || strstr(k, "..") || !strchr(k, '.'))
      return tsc_error(err, EINVAL, "linux.resources.unified: bad file name `%s`", k);
    if (v->type != JSON_STRING)
      return tsc_error(err, EINVAL, "linux.resources.unified.%s: value must be a string", k);
    if (cg_write(dir, k, v->string, err) < 0)
      return tsc_error_wrap(err, "linux.resources.unified");
  }
  return 0;
}

unsigned cg_v2_needs(const json_t *r) {
  unsigned n = 0;
  const json_t *cpu = json_get(r, "cpu");
  if (json_int(cpu, "shares", 0) || json_int(cpu, "quota", 0) || json_int(cpu, "period", 0))
    n |= NEED_CPU;
  if (*json_str(cpu, "cpus", "") || *json_str(cpu, "mems", ""))
    n |= NEED_CPUSET;
  if (json_get(r, "memory"))
    n |= NEED_MEMORY;
  if (json_int(json_get(r, "pids"), "limit", 0))
    n |= NEED_PIDS;
  return n;
}

static int v2_apply(const tsc_cgroup_t *cg, const json_t *linux_section, tsc_err_t *err) {
  const json_t *r = json_get(linux_section, "resources");
  char dir[PATH_MAX];
  if (!r)
    return 0;
  cg_v2_dir(cg, dir, sizeof dir);
  const json_t *mem = json_get(r, "memory");
  if (mem && v2_memory(dir, mem, err) < 0)
    return tsc_error_wrap(err, "linux.resources.memory");
  const json_t *cpu = json_get(r, "cpu");
  if (cpu && v2_cpu(dir, cpu, err) < 0)
    return tsc_error_wrap(err, "linux.resources.cpu");
  int64_t pl = json_int(json_get(r, "pids"), "limit", 0);
  if (pl && (pl > 0 ? cg_write_num(dir, "pids.max", pl, err) : cg_write(dir, "pids.max", "max", err)) < 0)
    return tsc_error_wrap(err, "linux.resources.pids");
  if (cg_v2_devices(dir, linux_section, err) < 0) /* eBPF: cgroup-v2-devices.c */
    return -1;
  return v2_unified(dir, json_get(r, "unified"), err);
}

static int v2_wait_events(const char *dir, const char *key, uint64_t want, tsc_err_t *err) {
  char text[512];
  for (int i = 0; i < 1000; i++) {
    if (cg_read(dir, "cgroup.events", text, sizeof text, err) < 0)
      return -1;
    if (cg_keyed(text, key) == want)
      return 0;
    cg_msleep(i < 10 ? 1 : 10);
  }
  return tsc_error(err, EBUSY, "`%s/cgroup.events`: %s is not %llu after 10 s", dir, key, (unsigned long long)want);
}

static int v2_freeze(const tsc_cgroup_t *cg, bool frozen, tsc_err_t *err) {
  char dir[PATH_MAX];
  cg_v2_dir(cg, dir, sizeof dir);
  if (cg_write(dir, "cgroup.freeze", frozen ? "1" : "0", err) < 0)
    return -1;
  return v2_wait_events(dir, "frozen", frozen ? 1 : 0, err);
}

static int v2_is_frozen(const tsc_cgroup_t *cg, bool *out, tsc_err_t *err) {
  char dir[PATH_MAX], v[16];
  cg_v2_dir(cg, dir, sizeof dir);
  *out = false;
  if (cg_read(dir, "cgroup.freeze", v, sizeof v, err) < 0)
    return errno == ENOENT ? 0 : -1;
  *out = strcmp(v, "1") == 0;
  return 0;
}

static int v2_oom_count(const tsc_cgroup_t *cg, uint64_t *out, tsc_err_t *err) {
  char dir[PATH_MAX], text[1024];
  cg_v2_dir(cg, dir, sizeof dir);
  *out = 0;
  if (!cg_exists(dir, "memory.events"))
    return 0; /* memory controller not enabled here */
  if (cg_read(dir, "memory.events", text, sizeof text, err) < 0)
    return -1;
  *out = cg_keyed(text, "oom_kill");
  return 0;
}

static int v2_stats(const tsc_cgroup_t *cg, uint64_t *mem, uint64_t *pids, tsc_err_t *err) {
  char dir[PATH_MAX], v[64];
  cg_v2_dir(cg, dir, sizeof dir);
  *mem = *pids = 0;
  if (cg_exists(dir, "memory.current")) {
    if (cg_read(dir, "memory.current", v, sizeof v, err) < 0)
      return -1;
    *mem = strtoull(v, NULL, 10);
  }
  if (cg_exists(dir, "pids.current")) {
    if (cg_read(dir, "pids.current", v, sizeof v, err) < 0)
      return -1;
    *pids = strtoull(v, NULL, 10);
  }
  return 0;
}

const struct cg_ops cg_v2_ops = {v2_create, v2_apply, v2_freeze, v2_is_frozen, v2_oom_count, v2_stats, v2_procs_dir};


/* cgroup v1 driver: one hierarchy per controller (or co-mounted group). */
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

/* ---------- v1 driver ---------- */

static int v1_cpuset_init(const char *dir, tsc_err_t *err) {
  /* a new cpuset cgroup starts empty and refuses tasks: inherit the parent's */
  static const char *files[] = {"cpuset.cpus", "cpuset.mems"};
  char parent[PATH_MAX], val[4096];
  snprintf(parent, sizeof parent, "%s", dir);
  char *slash = strrchr(parent, '/');
  if (!slash)
    return 0;
  *slash = 0;
  for (int i = 0; i < 2; i++) {
    if (cg_read(dir, files[i], val, sizeof val, err) < 0)
      return -1;
    if (*val)
      continue;
    if (cg_read(parent, files[i], val, sizeof val, err) < 0 || cg_write(dir, files[i], val, err) < 0)
      return -1;
  }
  return 0;
}

static int v1_create(const tsc_cgroup_t *cg, tsc_err_t *err) {
  for (int i = 0; i < cg_layout.nh; i++)
    if (cg_mkdir_levels(cg_layout.h[i].mnt, cg->path, cg_has_ctrl(&cg_layout.h[i], "cpuset") ? v1_cpuset_init : NULL, err) < 0)
      return -1;
  /* hybrid: mirror the path in the cgroup2 hierarchy too (no controllers) */
  if (*cg_layout.unified && cg_mkdir_levels(cg_layout.unified, cg->path, NULL, err) < 0)
    return -1;
  return 0;
}

static void v1_procs_dir(const tsc_cgroup_t *cg, char *buf, size_t len) {
  if (!cg_v1_dir(cg, "freezer", buf, len) && !cg_v1_dir(cg, "memory", buf, len) && !cg_v1_dir(cg, "pids", buf, len))
    cg_join(buf, len, cg_layout.nh ? cg_layout.h[0].mnt : cg_layout.unified, cg->path);
}

static const char *rule_num(const json_t *v, char *buf, size_t len) {
  if (!v || v->type != JSON_NUMBER || v->integer < 0)
    return "*";
  snprintf(buf, len, "%lld", (long long)v->integer);
  return buf;
}

static int v1_devices(const char *dir, const json_t *rules, const json_t *linux_section, tsc_err_t *err) {
  char line[128], ma[24], mi[24];
  for (size_t i = 0; rules && i < rules->len; i++) {
    const json_t *r = rules->items[i];
    const char *type = json_str(r, "type", "a"), *access = json_str(r, "access", "rwm");
    if (strcmp(type, "a") && strcmp(type, "c") && strcmp(type, "b"))
      return tsc_error(err, EINVAL, "linux.resources.devices[%zu]: type `%s` must be a, b or c", i, type);
    snprintf(line, sizeof line, "%s %s:%s %s", type, rule_num(json_get(r, "major"), ma, sizeof ma),
             rule_num(json_get(r, "minor"), mi, sizeof mi), access);
    if (cg_write(dir, json_bool(r, "allow", false) ? "devices.allow" : "devices.deny", line, err) < 0)
      return tsc_error_wrap(err, "linux.resources.devices[%zu]", i);
  }
  if (!rules || !rules->len)
    return 0;
  /* the devices every container needs (OCI "default devices"), like runc */
  static const char *dflt[] = {"c *:* m",    "b *:* m",    "c 1:3 rwm", "c 1:5 rwm",   "c 1:7 rwm",
                               "c 1:8 rwm",  "c 1:9 rwm",  "c 5:0 rwm", "c 5:1 rwm",   "c 5:2 rwm",
                               "c 136:* rwm", NULL};
  for (int i = 0; dflt[i]; i++)
    if (cg_write(dir, "devices.allow", dflt[i], err) < 0)
      return -1;
  const json_t *devs = json_get(linux_section, "devices");
  for (size_t i = 0; devs && devs->type == JSON_ARRAY && i < devs->len; i++) {
    const json_t *d = devs->items[i];
    const char *t = json_str(d, "type", "c");
    snprintf(line, sizeof line, "%c %s:%s rwm", *t == 'b' ? 'b' : 'c', rule_num(json_get(d, "major"), ma, sizeof ma),
             rule_num(json_get(d, "minor"), mi, sizeof mi));
    if (cg_write(dir, "devices.allow", line, err) < 0)
      return tsc_error_wrap(err, "linux.devices[%zu]", i);
  }
  return 0;
}

static int v1_memory(const char *dir, const json_t *mem, tsc_err_t *err) {
  const json_t *lim = json_get(mem, "limit"), *res = json_get(mem, "reservation"), *swap = json_get(mem, "swap");
  if (lim && lim->type == JSON_NUMBER && lim->integer != 0 &&
      cg_write_num(dir, "memory.limit_in_bytes", lim->integer, err) < 0)
    return -1;
  if (res && res->type == JSON_NUMBER && res->integer != 0 &&
      cg_write_num(dir, "memory.soft_limit_in_bytes", res->integer, err) < 0)
    return -1;
  if (swap && swap->type == JSON_NUMBER && swap->integer != 0) {
    if (!cg_exists(dir, "memory.memsw.limit_in_bytes")) {
      if (swap->integer != -1)
        return tsc_error(err, ENOTSUP, "linux.resources.memory.swap: `%s/memory.memsw.limit_in_bytes` is missing "
                                       "(boot with swapaccount=1)", dir);
    } else if (cg_write_num(dir, "memory.memsw.limit_in_bytes", swap->integer, err) < 0) {
      return -1;
    }
  }
  const json_t *sw = json_get(mem, "swappiness");
  if (sw && sw->type == JSON_NUMBER && sw->integer >= 0 && sw->integer <= 100 &&
      cg_write_num(dir, "memory.swappiness", sw->integer, err) < 0)
    return -1;
  if (json_bool(mem, "disableOOMKiller", false) && cg_write(dir, "memory.oom_control", "1", err) < 0)
    return -1;
  return 0;
}

static int v1_cpu(const tsc_cgroup_t *cg, const json_t *cpu, tsc_err_t *err) {
  char dir[PATH_MAX];
  int64_t shares = json_int(cpu, "shares", 0), quota = json_int(cpu, "quota", 0),
          period = json_int(cpu, "period", 0);
  if ((shares || quota || period) && !cg_v1_dir(cg, "cpu", dir, sizeof dir))
    return tsc_error(err, ENOTSUP, "linux.resources.cpu: no cpu cgroup hierarchy is mounted");
  if (shares && cg_write_num(dir, "cpu.shares", shares, err) < 0)
    return -1;
  if (period && cg_write_num(dir, "cpu.cfs_period_us", period, err) < 0)
    return -1;
  if (quota && cg_write_num(dir, "cpu.cfs_quota_us", quota, err) < 0)
    return -1;
  const char *cpus = json_str(cpu, "cpus", ""), *mems = json_str(cpu, "mems", "");
  if ((*cpus || *mems) && !cg_v1_dir(cg, "cpuset", dir, sizeof dir))
    return tsc_error(err, ENOTSUP, "linux.resources.cpu: no cpuset cgroup hierarchy is mounted");
  if (*cpus && cg_write(dir, "cpuset.cpus", cpus, err) < 0)
    return -1;
  if (*mems && cg_write(dir, "cpuset.mems", mems, err) < 0)
    return -1;
  return 0;
}

static int v1_apply(const tsc_cgroup_t *cg, const json_t *linux_section, tsc_err_t *err) {
  const json_t *r = json_get(linux_section, "resources");
  char dir[PATH_MAX];
  if (!r)
    return 0;
  const json_t *uni = json_get(r, "unified");
  if (uni && uni->type == JSON_OBJECT && uni->len)
    return tsc_error(err, ENOTSUP, "linux.resources.unified needs cgroup v2 (this host uses the v1 controllers)");
  const json_t *mem = json_get(r, "memory");
  if (mem) {
    if (!cg_v1_dir(cg, "memory", dir, sizeof dir))
      return tsc_error(err, ENOTSUP, "linux.resources.memory: no memory cgroup hierarchy is mounted");
    if (v1_memory(dir, mem, err) < 0)
      return tsc_error_wrap(err, "linux.resources.memory");
  }
  const json_t *cpu = json_get(r, "cpu");
  if (cpu && v1_cpu(cg, cpu, err) < 0)
    return tsc_error_wrap(err, "linux.resources.cpu");
  const json_t *pids = json_get(r, "pids");
  int64_t pl = json_int(pids, "limit", 0);
  if (pl) {
    if (!cg_v1_dir(cg, "pids", dir, sizeof dir))
      return tsc_error(err, ENOTSUP, "linux.resources.pids: no pids cgroup hierarchy is mounted");
    if ((pl > 0 ? cg_write_num(dir, "pids.max", pl, err) : cg_write(dir, "pids.max", "max", err)) < 0)
      return tsc_error_wrap(err, "linux.resources.pids");
  }
  const json_t *devs = json_get(r, "devices");
  if (devs && devs->type == JSON_ARRAY && cg_v1_dir(cg, "devices", dir, sizeof dir) &&
      v1_devices(dir, devs, linux_section, err) < 0)
    return -1;
  return 0;
}

static int v1_freeze(const tsc_cgroup_t *cg, bool frozen, tsc_err_t *err) {
  char dir[PATH_MAX], st[64];
  if (!cg_v1_dir(cg, "freezer", dir, sizeof dir))
    return tsc_error(err, ENOTSUP, "freeze `%s`: no freezer cgroup hierarchy is mounted", cg->path);
  const char *want = frozen ? "FROZEN" : "THAWED";
  /* FREEZING can stall on a task in an uninterruptible sleep: rewrite, retry */
  for (int i = 0; i < 1000; i++) {
    if (i % 50 == 0 && cg_write(dir, "freezer.state", want, err) < 0)
      return -1;
    if (cg_read(dir, "freezer.state", st, sizeof st, err) < 0)
      return -1;
    if (strcmp(st, want) == 0)
      return 0;
    cg_msleep(i < 10 ? 1 : 10);
  }
  if (frozen)
    cg_write(dir, "freezer.state", "THAWED", NULL);
  return tsc_error(err, EBUSY, "freeze `%s`: still %s after 10 s", dir, st);
}

static int v1_is_frozen(const tsc_cgroup_t *cg, bool *out, tsc_err_t *err) {
  char dir[PATH_MAX], st[64];
  *out = false;
  if (!cg_v1_dir(cg, "freezer", dir, sizeof dir))
    return 0;
  if (cg_read(dir, "freezer.state", st, sizeof st, err) < 0)
    return errno == ENOENT ? 0 : -1;
  *out = strcmp(st, "THAWED") != 0;
  return 0;
}

static int v1_oom_count(const tsc_cgroup_t *cg, uint64_t *out, tsc_err_t *err) {
  char dir[PATH_MAX], text[512];
  *out = 0;
  if (!cg_v1_dir(cg, "memory", dir, sizeof dir))
    return 0;
  if (cg_read(dir, "memory.oom_control", text, sizeof text, err) < 0)
    return -1;
  *out = cg_keyed(text, "oom_kill");
  return 0;
}

static int v1_stats(const tsc_cgroup_t *cg, uint64_t *mem, uint64_t *pids, tsc_err_t *err) {
  char dir[PATH_MAX], v[64];
  *mem = *pids = 0;
  if (cg_v1_dir(cg, "memory", dir, sizeof dir)) {
    if (cg_read(dir, "memory.usage_in_bytes", v, sizeof v, err) < 0)
      return -1;
    *mem = strtoull(v, NULL, 10);
  }
  if (cg_v1_dir(cg, "pids", dir, sizeof dir)) {
    if (cg_read(dir, "pids.current", v, sizeof v, err) < 0)
      return -1;
    *pids = strtoull(v, NULL, 10);
  }
  return 0;
}

const struct cg_ops cg_v1_ops = {v1_create, v1_apply, v1_freeze, v1_is_frozen, v1_oom_count, v1_stats, v1_procs_dir};


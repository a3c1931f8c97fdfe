/* Internals shared by cgroup.c (layout, helpers, API) and the two drivers
 * cgroup-v1.c / cgroup-v2.c. Not for use outside the cgroup code. */
#ifndef TSC_CGROUP_PRIV_H
#define TSC_CGROUP_PRIV_H

#include <limits.h>
#include "cgroup.h"

#define CG_MAX_HIER 24
#define CG_MNT_MAX 256 /* longer cgroup mount points are ignored */

struct cg_hier {
  char ctrls[128]; /* "memory", "cpu,cpuacct", "name=systemd" */
  char mnt[CG_MNT_MAX];
};

struct cg_layout {
  bool done;
  int driver; /* 1 or 2, 0 when no cgroup fs at all */
  int nh;
  struct cg_hier h[CG_MAX_HIER]; /* v1 hierarchies */
  char unified[CG_MNT_MAX];      /* cgroup2 mount point, "" if none */
};
extern struct cg_layout cg_layout;

struct tsc_cgroup {
  int version;
  char path[PATH_MAX - 2 * CG_MNT_MAX]; /* so mount + path + file always fit */
};

struct cg_ops {
  int (*create)(const tsc_cgroup_t *cg, tsc_err_t *err);
  int (*apply)(const tsc_cgroup_t *cg, const json_t *linux_section, tsc_err_t *err);
  int (*freeze)(const tsc_cgroup_t *cg, bool frozen, tsc_err_t *err);
  int (*is_frozen)(const tsc_cgroup_t *cg, bool *out, tsc_err_t *err);
  int (*oom_count)(const tsc_cgroup_t *cg, uint64_t *out, tsc_err_t *err);
  int (*stats)(const tsc_cgroup_t *cg, uint64_t *mem, uint64_t *pids, tsc_err_t *err);
  /* directory whose cgroup.procs lists the container's processes */
  void (*procs_dir)(const tsc_cgroup_t *cg, char *buf, size_t len);
};
extern const struct cg_ops cg_v1_ops, cg_v2_ops;
static inline const struct cg_ops *cg_ops_of(const tsc_cgroup_t *cg) {
  return cg->version == 2 ? &cg_v2_ops : &cg_v1_ops;
}

/* controllers the spec's resources need (v2: enabling them must succeed) */
enum { NEED_CPU = 1, NEED_CPUSET = 2, NEED_MEMORY = 4, NEED_PIDS = 8 };
extern unsigned cg_v2_needed;
unsigned cg_v2_needs(const json_t *resources);

/* attach the eBPF device filter for linux.resources.devices to dir */
int cg_v2_devices(const char *dir, const json_t *linux_section, tsc_err_t *err);

void cg_detect(void);
/* a+b into buf; "" when it does not fit (the file helpers then refuse) */
const char *cg_join(char *buf, size_t len, const char *a, const char *b);
int cg_write(const char *dir, const char *file, const char *val, tsc_err_t *err);
int cg_write_num(const char *dir, const char *file, long long v, tsc_err_t *err);
int cg_read(const char *dir, const char *file, char *buf, size_t len, tsc_err_t *err);
bool cg_exists(const char *dir, const char *file);
uint64_t cg_keyed(const char *text, const char *key);
void cg_msleep(long ms);
bool cg_has_ctrl(const struct cg_hier *h, const char *c);
const char *cg_v1_dir(const tsc_cgroup_t *cg, const char *c, char *buf, size_t len);
void cg_v2_dir(const tsc_cgroup_t *cg, char *buf, size_t len);
int cg_mkdir_levels(const char *mnt, const char *path, int (*each)(const char *dir, tsc_err_t *err),
                    tsc_err_t *err);

#endif

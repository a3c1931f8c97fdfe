/* cgroups v1 and v2 (see cgroup.h for the contract and what is honoured).
 *
 * Structure: the layout (which hierarchies are mounted where) is read once
 * from /proc/self/mountinfo. A tsc_cgroup_t is just (driver, path): every
 * operation recomputes directories from the layout, so a cgroup loaded from a
 * state file in another process works the same. The two drivers (cgroup-v1.c,
 * cgroup-v2.c) differ in create / apply / freeze / oom; the rest is here. */
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

#define DEFAULT_PARENT "/tscompose"

struct cg_layout cg_layout;

/* ---------- small file helpers ---------- */

const char *cg_join(char *buf, size_t len, const char *a, const char *b) {
  int n = snprintf(buf, len, "%s%s", a, b);
  if (n < 0 || (size_t)n >= len)
    buf[0] = 0;
  return buf;
}

/* dir/file into p; -1 (ENAMETOOLONG) when dir is empty or too long */
static int file_path(char *p, size_t len, const char *dir, const char *file, tsc_err_t *err) {
  int n = snprintf(p, len, "%s/%s", dir, file);
  if (!*dir || n < 0 || (size_t)n >= len)
    return tsc_error(err, ENAMETOOLONG, "cgroup file `%s/%s`: path too long", dir, file);
  return 0;
}

int cg_write(const char *dir, const char *file, const char *val, tsc_err_t *err) {
  char p[PATH_MAX];
  if (file_path(p, sizeof p, dir, file, err) < 0)
    return -1;
  int fd;
  do
    fd = open(p, O_WRONLY | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  if (fd < 0)
    return tsc_error(err, errno, "open `%s`", p);
  size_t n = strlen(val);
  ssize_t w;
  do
    w = write(fd, val, n);
  while (w < 0 && errno == EINTR);
  int e = errno;
  close(fd);
  if (w < 0)
    return tsc_error(err, e, "write `%s` to `%s`", val, p);
  return 0;
}

int cg_write_num(const char *dir, const char *file, long long v, tsc_err_t *err) {
  char b[32];
  snprintf(b, sizeof b, "%lld", v);
  return cg_write(dir, file, b, err);
}

/* Reads up to len-1 bytes, NUL-terminates, strips one trailing newline. */
int cg_read(const char *dir, const char *file, char *buf, size_t len, tsc_err_t *err) {
  char p[PATH_MAX];
  if (file_path(p, sizeof p, dir, file, err) < 0)
    return -1;
  int fd;
  do
    fd = open(p, O_RDONLY | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  if (fd < 0)
    return tsc_error(err, errno, "open `%s`", p);
  size_t n = 0;
  while (n + 1 < len) {
    ssize_t r = read(fd, buf + n, len - 1 - n);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {
      int e = errno;
      close(fd);
      return tsc_error(err, e, "read `%s`", p);
    }
    if (r == 0)
      break;
    n += (size_t)r;
  }
  close(fd);
  buf[n] = 0;
  if (n && buf[n - 1] == '\n')
    buf[n - 1] = 0;
  return (int)n;
}

bool cg_exists(const char *dir, const char *file) {
  char p[PATH_MAX];
  return file_path(p, sizeof p, dir, file, NULL) == 0 && access(p, F_OK) == 0;
}

/* "key value" lines (memory.events, memory.oom_control): value of key, or 0. */
uint64_t cg_keyed(const char *text, const char *key) {
  size_t kl = strlen(key);
  for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
    if (strncmp(l, key, kl) == 0 && l[kl] == ' ')
      return strtoull(l + kl + 1, NULL, 10);
  return 0;
}

void cg_msleep(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
    ;
}

/* ---------- layout ---------- */

static bool is_controller(const char *t) {
  static const char *known[] = {"cpu",    "cpuacct", "cpuset",     "memory", "devices",
                                "freezer", "net_cls", "net_prio",  "blkio",  "perf_event",
                                "hugetlb", "pids",    "rdma",      "misc",   NULL};
  if (strncmp(t, "name=", 5) == 0)
    return true;
  for (int i = 0; known[i]; i++)
    if (strcmp(known[i], t) == 0)
      return true;
  return false;
}

static void add_v1(const char *mnt, char *superopts) {
  char ctrls[128] = "";
  if (strlen(mnt) >= CG_MNT_MAX)
    return;
  for (char *sv, *t = strtok_r(superopts, ",", &sv); t; t = strtok_r(NULL, ",", &sv)) {
    if (!is_controller(t))
      continue;
    if (*ctrls)
      strncat(ctrls, ",", sizeof ctrls - strlen(ctrls) - 1);
    strncat(ctrls, t, sizeof ctrls - strlen(ctrls) - 1);
  }
  if (!*ctrls || cg_layout.nh == CG_MAX_HIER)
    return;
  for (int i = 0; i < cg_layout.nh; i++)
    if (strcmp(cg_layout.h[i].ctrls, ctrls) == 0)
      return; /* the same hierarchy mounted twice */
  snprintf(cg_layout.h[cg_layout.nh].ctrls, sizeof cg_layout.h[cg_layout.nh].ctrls, "%s", ctrls);
  memcpy(cg_layout.h[cg_layout.nh].mnt, mnt, strlen(mnt) + 1); /* length checked above */
  cg_layout.nh++;
}

void cg_detect(void) {
  if (cg_layout.done)
    return;
  cg_layout.done = true;
  FILE *f = fopen("/proc/self/mountinfo", "re");
  if (!f)
    return;
  char *line = NULL;
  size_t cap = 0;
  bool v1_real = false;
  while (getline(&line, &cap, f) > 0) {
    /* id parent maj:min root mountpoint opts [optional...] - fstype source superopts */
    char *sep = strstr(line, " - ");
    if (!sep)
      continue;
    char mnt[PATH_MAX], fstype[32], superopts[512];
    if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
      continue;
    if (sscanf(sep + 3, "%31s %*s %511s", fstype, superopts) != 2)
      continue;
    if (strcmp(fstype, "cgroup2") == 0) {
      /* prefer /sys/fs/cgroup(/unified) over other mounts of it */
      if (strlen(mnt) < CG_MNT_MAX && (!*cg_layout.unified || strncmp(mnt, "/sys/fs/cgroup", 14) == 0))
        memcpy(cg_layout.unified, mnt, strlen(mnt) + 1);
    } else if (strcmp(fstype, "cgroup") == 0) {
      add_v1(mnt, superopts);
    }
  }
  free(line);
  fclose(f);
  for (int i = 0; i < cg_layout.nh; i++)
    if (strncmp(cg_layout.h[i].ctrls, "name=", 5) != 0)
      v1_real = true;
  cg_layout.driver = v1_real ? 1 : (*cg_layout.unified ? 2 : 0);
  const char *force = getenv("TSC_CGROUP_DRIVER");
  if (force && strcmp(force, "v2") == 0 && *cg_layout.unified)
    cg_layout.driver = 2;
  else if (force && strcmp(force, "v1") == 0 && v1_real)
    cg_layout.driver = 1;
}

bool cg_has_ctrl(const struct cg_hier *h, const char *c) {
  size_t n = strlen(c);
  for (const char *p = h->ctrls; (p = strstr(p, c)); p += n)
    if ((p == h->ctrls || p[-1] == ',') && (p[n] == 0 || p[n] == ','))
      return true;
  return false;
}

/* Directory of cg in the v1 hierarchy holding controller c, or NULL. */
const char *cg_v1_dir(const tsc_cgroup_t *cg, const char *c, char *buf, size_t len) {
  for (int i = 0; i < cg_layout.nh; i++)
    if (cg_has_ctrl(&cg_layout.h[i], c)) {
      return cg_join(buf, len, cg_layout.h[i].mnt, cg->path);
    }
  return NULL;
}

void cg_v2_dir(const tsc_cgroup_t *cg, char *buf, size_t len) { cg_join(buf, len, cg_layout.unified, cg->path); }

/* ---------- path from the spec ---------- */

/* "system.slice:docker:abc" → "/system.slice/docker-abc.scope" */
static int systemd_path(const char *spec, char *out, size_t len, tsc_err_t *err) {
  char slice[256], prefix[256], name[256];
  const char *a = strchr(spec, ':'), *b = a ? strchr(a + 1, ':') : NULL;
  if (!a || !b || strchr(b + 1, ':') || (size_t)(a - spec) >= sizeof slice ||
      (size_t)(b - a - 1) >= sizeof prefix || strlen(b + 1) >= sizeof name)
    return tsc_error(err, EINVAL, "bad systemd cgroupsPath `%s` (want slice:prefix:name)", spec);
  snprintf(slice, sizeof slice, "%.*s", (int)(a - spec), spec);
  snprintf(prefix, sizeof prefix, "%.*s", (int)(b - a - 1), a + 1);
  snprintf(name, sizeof name, "%s", b + 1);
  if (!*slice)
    snprintf(slice, sizeof slice, "system.slice");
  size_t sl = strlen(slice);
  if (sl < 7 || strcmp(slice + sl - 6, ".slice") != 0)
    return tsc_error(err, EINVAL, "bad systemd slice `%s` in cgroupsPath (must end in .slice)", slice);
  /* a-b-c.slice lives in /a.slice/a-b.slice/a-b-c.slice */
  size_t o = 0;
  out[0] = 0;
  if (strcmp(slice, "-.slice") != 0) {
    char *base = slice;
    base[sl - 6] = 0;
    for (char *d = base;; d++) {
      if (*d == '-' || *d == 0) {
        int w = snprintf(out + o, len - o, "/%.*s.slice", (int)(d - base), base);
        if (w < 0 || (size_t)w >= len - o)
          return tsc_error(err, ENAMETOOLONG, "cgroupsPath `%s`", spec);
        o += (size_t)w;
      }
      if (*d == 0)
        break;
    }
  }
  int w = *prefix ? snprintf(out + o, len - o, "/%s-%s.scope", prefix, name)
                  : snprintf(out + o, len - o, "/%s", name);
  if (w < 0 || (size_t)w >= len - o)
    return tsc_error(err, ENAMETOOLONG, "cgroupsPath `%s`", spec);
  return 0;
}

static int resolve_path(const char *id, const char *spec, char *out, size_t len, tsc_err_t *err) {
  int w;
  if (!spec || !*spec)
    w = snprintf(out, len, DEFAULT_PARENT "/%s", id);
  else if (spec[0] != '/' && strchr(spec, ':'))
    return systemd_path(spec, out, len, err);
  else if (spec[0] == '/')
    w = snprintf(out, len, "%s", spec);
  else
    w = snprintf(out, len, DEFAULT_PARENT "/%s", spec);
  if (w < 0 || (size_t)w >= len)
    return tsc_error(err, ENAMETOOLONG, "cgroupsPath `%s`", spec ? spec : id);
  /* no ".." components: the path must stay under the hierarchy roots */
  for (const char *p = out; (p = strstr(p, "..")); p += 2)
    if ((p == out || p[-1] == '/') && (p[2] == 0 || p[2] == '/'))
      return tsc_error(err, EINVAL, "cgroupsPath `%s` must not contain `..`", spec);
  size_t n = strlen(out);
  while (n > 1 && out[n - 1] == '/')
    out[--n] = 0;
  if (strcmp(out, "/") == 0)
    return tsc_error(err, EINVAL, "cgroupsPath `/` is the root cgroup; give the container its own");
  return 0;
}

/* mkdir -p of mnt+path; calls each(dir) for every component below mnt
 * (parents first) so drivers can initialise new levels. */
int cg_mkdir_levels(const char *mnt, const char *path, int (*each)(const char *dir, tsc_err_t *err),
                        tsc_err_t *err) {
  char dir[PATH_MAX];
  size_t ml = strlen(mnt);
  if (ml + strlen(path) >= sizeof dir)
    return tsc_error(err, ENAMETOOLONG, "cgroup `%s%s`", mnt, path);
  memcpy(dir, mnt, ml);
  for (const char *p = path; *p;) {
    const char *s = strchr(p + 1, '/');
    size_t n = s ? (size_t)(s - p) : strlen(p);
    memcpy(dir + ml, p, n);
    ml += n;
    dir[ml] = 0;
    p += n;
    if (n <= 1)
      continue;
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
      return tsc_error(err, errno, "mkdir `%s`", dir);
    if (each && each(dir, err) < 0)
      return -1;
  }
  return 0;
}

/* ---------- reading pids ---------- */

struct pidvec {
  pid_t *v;
  size_t n, cap;
};

static int collect_pids(const char *dir, struct pidvec *pv, int depth, tsc_err_t *err) {
  char p[PATH_MAX];
  snprintf(p, sizeof p, "%s/cgroup.procs", dir);
  FILE *f = fopen(p, "re");
  if (!f) {
    if (errno == ENOENT && depth == 0)
      return 0; /* already gone */
    return tsc_error(err, errno, "open `%s`", p);
  }
  long v;
  while (fscanf(f, "%ld", &v) == 1) {
    if (pv->n == pv->cap) {
      size_t nc = pv->cap ? pv->cap * 2 : 32;
      pid_t *nv = realloc(pv->v, nc * sizeof *nv);
      if (!nv) {
        fclose(f);
        return tsc_error(err, ENOMEM, "read `%s`", p);
      }
      pv->v = nv;
      pv->cap = nc;
    }
    pv->v[pv->n++] = (pid_t)v;
  }
  fclose(f);
  if (depth > 32)
    return 0;
  DIR *d = opendir(dir);
  if (!d)
    return 0;
  struct dirent *de;
  int r = 0;
  while (r == 0 && (de = readdir(d)))
    if (de->d_type == DT_DIR && de->d_name[0] != '.') {
      snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
      r = collect_pids(p, pv, depth + 1, err);
    }
  closedir(d);
  return r;
}

int tsc_cgroup_pids(const tsc_cgroup_t *cg, pid_t **pids, size_t *n, tsc_err_t *err) {
  char dir[PATH_MAX];
  struct pidvec pv = {0};
  cg_detect();
  cg_ops_of(cg)->procs_dir(cg, dir, sizeof dir);
  if (collect_pids(dir, &pv, 0, err) < 0) {
    free(pv.v);
    return -1;
  }
  *pids = pv.v;
  *n = pv.n;
  return 0;
}

/* ---------- public API ---------- */

static tsc_cgroup_t *new_cg(int version, const char *path, tsc_err_t *err) {
  if (strlen(path) >= sizeof((tsc_cgroup_t *)0)->path) {
    tsc_error(err, ENAMETOOLONG, "cgroup path `%.64s...` is too long", path);
    return NULL;
  }
  tsc_cgroup_t *cg = calloc(1, sizeof *cg);
  if (!cg) {
    tsc_error(err, ENOMEM, "cgroup `%s`", path);
    return NULL;
  }
  cg->version = version;
  snprintf(cg->path, sizeof cg->path, "%s", path);
  return cg;
}

int tsc_cgroup_setup(const char *id, const json_t *linux_section, pid_t pid, tsc_cgroup_t **out,
                     tsc_err_t *err) {
  char path[sizeof((tsc_cgroup_t *)0)->path];
  *out = NULL;
  cg_detect();
  if (!cg_layout.driver)
    return tsc_error(err, ENOENT, "no cgroup filesystem is mounted (see /proc/self/mountinfo)");
  const json_t *cp = json_get(linux_section, "cgroupsPath");
  if (resolve_path(id, cp && cp->type == JSON_STRING ? cp->string : NULL, path, sizeof path, err) < 0)
    return -1;
  tsc_cgroup_t *cg = new_cg(cg_layout.driver, path, err);
  if (!cg)
    return -1;
  cg_v2_needed = cg_v2_needs(json_get(linux_section, "resources"));
  if (cg_ops_of(cg)->create(cg, err) < 0 || cg_ops_of(cg)->apply(cg, linux_section, err) < 0 ||
      (pid > 0 && tsc_cgroup_enter(cg, pid, err) < 0)) {
    tsc_error_wrap(err, "cgroup `%s`", path);
    tsc_cgroup_destroy(cg, NULL);
    free(cg);
    return -1;
  }
  *out = cg;
  return 0;
}

int tsc_cgroup_from_pid(pid_t pid, tsc_cgroup_t **out, tsc_err_t *err) {
  char p[64], *line = NULL;
  size_t cap = 0;
  *out = NULL;
  cg_detect();
  snprintf(p, sizeof p, "/proc/%d/cgroup", (int)pid);
  FILE *f = fopen(p, "re");
  if (!f)
    return tsc_error(err, errno, "open `%s`", p);
  char found[sizeof((tsc_cgroup_t *)0)->path] = "";
  while (getline(&line, &cap, f) > 0) {
    line[strcspn(line, "\n")] = 0;
    char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c2)
      continue;
    *c2 = 0;
    struct cg_hier h;
    snprintf(h.ctrls, sizeof h.ctrls, "%s", c1 + 1);
    if ((cg_layout.driver == 2 && !*h.ctrls) || (cg_layout.driver == 1 && cg_has_ctrl(&h, "memory")))
      if (snprintf(found, sizeof found, "%s", c2 + 1) >= (int)sizeof found)
        found[0] = 0;
  }
  free(line);
  fclose(f);
  if (!*found)
    return tsc_error(err, ENOENT, "`%s`: no %s cgroup listed", p, cg_layout.driver == 2 ? "unified" : "memory");
  return (*out = new_cg(cg_layout.driver, found, err)) ? 0 : -1;
}

int tsc_cgroup_save(const tsc_cgroup_t *cg, char *buf, size_t len) {
  int n = snprintf(buf, len, "v%d:%s", cg->version, cg->path);
  return n < 0 || (size_t)n >= len ? -1 : n;
}

int tsc_cgroup_load(const char *saved, tsc_cgroup_t **out, tsc_err_t *err) {
  *out = NULL;
  cg_detect();
  if (!saved || saved[0] != 'v' || (saved[1] != '1' && saved[1] != '2') || saved[2] != ':' || saved[3] != '/')
    return tsc_error(err, EINVAL, "bad saved cgroup `%s` (want v1:/path or v2:/path)", saved ? saved : "");
  int v = saved[1] - '0';
  if ((v == 2 && !*cg_layout.unified) || (v == 1 && !cg_layout.nh))
    return tsc_error(err, ENOENT, "cgroup `%s`: no cgroup v%d hierarchy is mounted here", saved, v);
  return (*out = new_cg(v, saved + 3, err)) ? 0 : -1;
}

const char *tsc_cgroup_path(const tsc_cgroup_t *cg) { return cg->path; }
int tsc_cgroup_version(const tsc_cgroup_t *cg) { return cg->version; }

int tsc_cgroup_enter(const tsc_cgroup_t *cg, pid_t pid, tsc_err_t *err) {
  char dir[PATH_MAX];
  cg_detect();
  if (cg->version == 2) {
    cg_v2_dir(cg, dir, sizeof dir);
    return cg_write_num(dir, "cgroup.procs", pid, err);
  }
  for (int i = 0; i < cg_layout.nh; i++) {
    cg_join(dir, sizeof dir, cg_layout.h[i].mnt, cg->path);
    if (cg_write_num(dir, "cgroup.procs", pid, err) < 0)
      return -1;
  }
  if (*cg_layout.unified) {
    cg_join(dir, sizeof dir, cg_layout.unified, cg->path);
    if (cg_write_num(dir, "cgroup.procs", pid, err) < 0)
      return -1;
  }
  return 0;
}

int tsc_cgroup_freeze(const tsc_cgroup_t *cg, bool frozen, tsc_err_t *err) {
  cg_detect();
  return cg_ops_of(cg)->freeze(cg, frozen, err);
}

int tsc_cgroup_is_frozen(const tsc_cgroup_t *cg, bool *out, tsc_err_t *err) {
  cg_detect();
  return cg_ops_of(cg)->is_frozen(cg, out, err);
}

int tsc_cgroup_oom_count(const tsc_cgroup_t *cg, uint64_t *out, tsc_err_t *err) {
  cg_detect();
  return cg_ops_of(cg)->oom_count(cg, out, err);
}

int tsc_cgroup_oom_killed(const tsc_cgroup_t *cg, bool *out, tsc_err_t *err) {
  uint64_t n = 0;
  *out = false;
  if (tsc_cgroup_oom_count(cg, &n, err) < 0)
    return -1;
  *out = n > 0;
  return 0;
}

int tsc_cgroup_stats(const tsc_cgroup_t *cg, uint64_t *mem_bytes, uint64_t *pids, tsc_err_t *err) {
  cg_detect();
  return cg_ops_of(cg)->stats(cg, mem_bytes, pids, err);
}

int tsc_cgroup_kill(const tsc_cgroup_t *cg, int sig, tsc_err_t *err) {
  char dir[PATH_MAX];
  cg_detect();
  if (cg->version == 2 && sig == SIGKILL) {
    cg_v2_dir(cg, dir, sizeof dir);
    if (cg_exists(dir, "cgroup.kill")) /* 5.14+: atomic, sees new forks */
      return cg_write(dir, "cgroup.kill", "1", err);
  }
  bool can_freeze = cg->version == 2 || cg_v1_dir(cg, "freezer", dir, sizeof dir);
  bool was_frozen = false;
  if (can_freeze && tsc_cgroup_is_frozen(cg, &was_frozen, NULL) == 0 && !was_frozen)
    can_freeze = tsc_cgroup_freeze(cg, true, NULL) == 0;
  pid_t *pids = NULL;
  size_t n = 0;
  int r = tsc_cgroup_pids(cg, &pids, &n, err);
  for (size_t i = 0; r == 0 && i < n; i++)
    if (kill(pids[i], sig) < 0 && errno != ESRCH)
      r = tsc_error(err, errno, "kill pid %d with signal %d", (int)pids[i], sig);
  free(pids);
  if (can_freeze && !was_frozen)
    tsc_cgroup_freeze(cg, false, NULL);
  return r;
}

/* rmdir dir and its sub-cgroups, children first; EBUSY right after the
 * last task exits is retried briefly. */
static int rmdir_tree(const char *dir, int depth, tsc_err_t *err) {
  DIR *d = opendir(dir);
  if (!d)
    return errno == ENOENT ? 0 : tsc_error(err, errno, "open `%s`", dir);
  struct dirent *de;
  char sub[PATH_MAX];
  int r = 0;
  while (r == 0 && (de = readdir(d)))
    if (de->d_type == DT_DIR && de->d_name[0] != '.' && depth < 32) {
      snprintf(sub, sizeof sub, "%s/%s", dir, de->d_name);
      r = rmdir_tree(sub, depth + 1, err);
    }
  closedir(d);
  if (r < 0)
    return -1;
  for (int i = 0; i < 200; i++) {
    if (rmdir(dir) == 0 || errno == ENOENT)
      return 0;
    if (errno != EBUSY)
      break;
    cg_msleep(5);
  }
  return tsc_error(err, errno, "rmdir `%s`", dir);
}

int tsc_cgroup_destroy(const tsc_cgroup_t *cg, tsc_err_t *err) {
  char dir[PATH_MAX];
  cg_detect();
  tsc_err_t local;
  if (!err)
    err = &local;
  /* leftovers first: a cgroup with tasks cannot be removed */
  for (int tries = 0; tries < 500; tries++) {
    pid_t *pids = NULL;
    size_t n = 0;
    if (tsc_cgroup_pids(cg, &pids, &n, err) < 0)
      return -1;
    free(pids);
    if (n == 0)
      break;
    if (tries % 50 == 0) {
      tsc_cgroup_kill(cg, SIGKILL, NULL);
      bool frozen = false; /* a frozen task only dies once thawed */
      if (tsc_cgroup_is_frozen(cg, &frozen, NULL) == 0 && frozen)
        tsc_cgroup_freeze(cg, false, NULL);
    }
    cg_msleep(tries < 10 ? 1 : 10);
  }
  int r = 0;
  if (cg->version == 2) {
    cg_v2_dir(cg, dir, sizeof dir);
    return rmdir_tree(dir, 0, err);
  }
  for (int i = 0; i < cg_layout.nh; i++) {
    cg_join(dir, sizeof dir, cg_layout.h[i].mnt, cg->path);
    if (rmdir_tree(dir, 0, err) < 0)
      r = -1;
  }
  if (*cg_layout.unified) {
    cg_join(dir, sizeof dir, cg_layout.unified, cg->path);
    if (rmdir_tree(dir, 0, err) < 0)
      r = -1;
  }
  return r;
}

void tsc_cgroup_free(tsc_cgroup_t *cg) { free(cg); }


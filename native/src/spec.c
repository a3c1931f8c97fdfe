/* config.json → spec_t (see spec.h). Unknown keys are ignored like runc;
 * wrong types and unknown names of things we must honour are errors. */
#include "spec.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include "utils.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef MS_LAZYTIME
#define MS_LAZYTIME (1 << 25)
#endif

static const char *const cap_names[] = {
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
    "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
    "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
    "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
    "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
};

int spec_cap_number(const char *name) {
  for (size_t i = 0; i < ARRAY_SIZE(cap_names); i++)
    if (!strcasecmp(name, cap_names[i]))
      return (int)i;
  return -1;
}

const char *spec_cap_name(int n) {
  return n >= 0 && n < (int)ARRAY_SIZE(cap_names) ? cap_names[n] : NULL;
}

int spec_last_cap(void) {
  static int last = -1;
  if (last >= 0)
    return last;
  char *text = NULL;
  if (read_all_file("/proc/sys/kernel/cap_last_cap", &text, NULL, NULL) == 0)
    last = atoi(text);
  free(text);
  if (last <= 0 || last >= 64)
    last = (int)ARRAY_SIZE(cap_names) - 1;
  return last;
}

static const struct {
  const char *name;
  int resource;
} rlimit_names[] = {
    {"RLIMIT_CPU", RLIMIT_CPU},         {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_DATA", RLIMIT_DATA},       {"RLIMIT_STACK", RLIMIT_STACK},
    {"RLIMIT_CORE", RLIMIT_CORE},       {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_NPROC", RLIMIT_NPROC},     {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},     {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},   {"RLIMIT_RTTIME", RLIMIT_RTTIME},
};

static const struct {
  const char *name;
  int flag;
} ns_names[] = {
    {"user", CLONE_NEWUSER}, {"pid", CLONE_NEWPID}, {"network", CLONE_NEWNET},
    {"mount", CLONE_NEWNS},  {"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS},
    {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME},
};

/* Mount options: set or clear a flag, or a propagation type. */
static const struct {
  const char *name;
  bool clear;
  unsigned long flag;
  bool propagation;
} mount_opts[] = {
    {"defaults", false, 0, false},      {"ro", false, MS_RDONLY, false},
    {"rw", true, MS_RDONLY, false},     {"nosuid", false, MS_NOSUID, false},
    {"suid", true, MS_NOSUID, false},   {"nodev", false, MS_NODEV, false},
    {"dev", true, MS_NODEV, false},     {"noexec", false, MS_NOEXEC, false},
    {"exec", true, MS_NOEXEC, false},   {"sync", false, MS_SYNCHRONOUS, false},
    {"async", true, MS_SYNCHRONOUS, false}, {"dirsync", false, MS_DIRSYNC, false},
    {"remount", false, MS_REMOUNT, false}, {"mand", false, MS_MANDLOCK, false},
    {"nomand", true, MS_MANDLOCK, false}, {"atime", true, MS_NOATIME, false},
    {"noatime", false, MS_NOATIME, false}, {"diratime", true, MS_NODIRATIME, false},
    {"nodiratime", false, MS_NODIRATIME, false}, {"relatime", false, MS_RELATIME, false},
    {"norelatime", true, MS_RELATIME, false}, {"strictatime", false, MS_STRICTATIME, false},
    {"nostrictatime", true, MS_STRICTATIME, false}, {"lazytime", false, MS_LAZYTIME, false},
    {"nolazytime", true, MS_LAZYTIME, false}, {"silent", false, MS_SILENT, false},
    {"loud", true, MS_SILENT, false},   {"bind", false, MS_BIND, false},
    {"rbind", false, MS_BIND | MS_REC, false},
    {"private", false, MS_PRIVATE, true}, {"rprivate", false, MS_PRIVATE | MS_REC, true},
    {"shared", false, MS_SHARED, true}, {"rshared", false, MS_SHARED | MS_REC, true},
    {"slave", false, MS_SLAVE, true},   {"rslave", false, MS_SLAVE | MS_REC, true},
    {"unbindable", false, MS_UNBINDABLE, true},
    {"runbindable", false, MS_UNBINDABLE | MS_REC, true},
};

static unsigned long propagation_flag(const char *s) {
  for (size_t i = 0; s && i < ARRAY_SIZE(mount_opts); i++)
    if (mount_opts[i].propagation && !strcmp(s, mount_opts[i].name))
      return mount_opts[i].flag;
  return 0;
}

static bool is_type(const json_t *j, json_type_t t) { return j && j->type == t; }

/* Array of strings → NULL-terminated array of borrowed pointers. */
static int str_array(const json_t *arr, const char ***out, size_t *n, const char *where,
                     tsc_err_t *err) {
  *out = NULL;
  *n = 0;
  if (!arr || arr->type == JSON_NULL)
    return 0;
  if (arr->type != JSON_ARRAY)
    return tsc_error(err, 0, "`%s` must be an array of strings", where);
  const char **v = xcalloc(arr->len + 1, sizeof *v);
  for (size_t i = 0; i < arr->len; i++) {
    if (!is_type(arr->items[i], JSON_STRING)) {
      free(v);
      return tsc_error(err, 0, "`%s[%zu]` must be a string", where, i);
    }
    v[i] = arr->items[i]->string;
  }
  *out = v;
  *n = arr->len;
  return 0;
}

static int parse_caps(const json_t *c, spec_process_t *p, const char *where, tsc_err_t *err) {
  static const char *const sets[CAP_SET_COUNT] = {"bounding", "effective", "inheritable",
                                                  "permitted", "ambient"};
  if (!c)
    return 0;
  p->has_caps = true;
  for (int s = 0; s < CAP_SET_COUNT; s++) {
    const json_t *arr = json_get(c, sets[s]);
    for (size_t i = 0; arr && arr->type == JSON_ARRAY && i < arr->len; i++) {
      const json_t *it = arr->items[i];
      if (!is_type(it, JSON_STRING))
        return tsc_error(err, 0, "%s: `process.capabilities.%s[%zu]` must be a string",
                         where, sets[s], i);
      int n = spec_cap_number(it->string);
      /* Like runc: a capability this kernel or tscrun does not know is
       * skipped, so one config works across kernels. */
      if (n < 0 || n > spec_last_cap())
        continue;
      p->caps[s] |= 1ULL << n;
    }
  }
  return 0;
}

static int parse_rlimits(const json_t *arr, spec_process_t *p, const char *where, tsc_err_t *err) {
  if (!arr || arr->type != JSON_ARRAY)
    return 0;
  p->rlimits = xcalloc(arr->len, sizeof *p->rlimits);
  for (size_t i = 0; i < arr->len; i++) {
    const char *type = json_str(arr->items[i], "type", "");
    int res = -1;
    for (size_t k = 0; k < ARRAY_SIZE(rlimit_names); k++)
      if (!strcmp(type, rlimit_names[k].name))
        res = rlimit_names[k].resource;
    if (res < 0)
      return tsc_error(err, 0, "%s: `process.rlimits[%zu].type`: unknown rlimit `%s`", where,
                       i, type);
    spec_rlimit_t *r = &p->rlimits[p->n_rlimits++];
    r->resource = res;
    r->name = type;
    r->soft = (uint64_t)json_int(arr->items[i], "soft", 0);
    r->hard = (uint64_t)json_int(arr->items[i], "hard", 0);
  }
  return 0;
}

int spec_parse_process(const json_t *p, spec_process_t *out, const char *where, tsc_err_t *err) {
  memset(out, 0, sizeof *out);
  if (!is_type(p, JSON_OBJECT))
    return tsc_error(err, 0, "%s: `process` must be an object", where);
  out->terminal = json_bool(p, "terminal", false);
  const json_t *cs = json_get(p, "consoleSize");
  out->console_height = (unsigned)json_int(cs, "height", 0);
  out->console_width = (unsigned)json_int(cs, "width", 0);
  const json_t *user = json_get(p, "user");
  out->uid = (uid_t)json_int(user, "uid", 0);
  out->gid = (gid_t)json_int(user, "gid", 0);
  const json_t *umask = json_get(user, "umask");
  out->has_umask = is_type(umask, JSON_NUMBER);
  out->umask = out->has_umask ? (mode_t)umask->integer : 022;
  const json_t *gids = json_get(user, "additionalGids");
  if (is_type(gids, JSON_ARRAY)) {
    out->gids = xcalloc(gids->len, sizeof *out->gids);
    for (size_t i = 0; i < gids->len; i++)
      out->gids[out->n_gids++] = (gid_t)gids->items[i]->integer;
  }
  if (str_array(json_get(p, "args"), &out->args, &out->n_args, "process.args", err) < 0 ||
      str_array(json_get(p, "env"), &out->env, &out->n_env, "process.env", err) < 0)
    return tsc_error_wrap(err, "%s", where);
  if (out->n_args == 0)
    return tsc_error(err, 0, "%s: `process.args` must name the program to run", where);
  out->cwd = json_str(p, "cwd", "/");
  if (out->cwd[0] != '/')
    return tsc_error(err, 0, "%s: `process.cwd` must be an absolute path, not `%s`", where,
                     out->cwd);
  if (parse_caps(json_get(p, "capabilities"), out, where, err) < 0 ||
      parse_rlimits(json_get(p, "rlimits"), out, where, err) < 0)
    return -1;
  out->no_new_privs = json_bool(p, "noNewPrivileges", false);
  const json_t *oom = json_get(p, "oomScoreAdj");
  out->has_oom_score_adj = is_type(oom, JSON_NUMBER);
  out->oom_score_adj = out->has_oom_score_adj ? (int)oom->integer : 0;
  out->apparmor = json_str(p, "apparmorProfile", NULL);
  out->selinux = json_str(p, "selinuxLabel", NULL);
  return 0;
}

void spec_process_clear(spec_process_t *p) {
  free(p->gids);
  free(p->args);
  free(p->env);
  free(p->rlimits);
  memset(p, 0, sizeof *p);
}

static int parse_mount(const json_t *m, spec_mount_t *out, size_t i, tsc_err_t *err) {
  out->destination = json_str(m, "destination", NULL);
  if (!out->destination || out->destination[0] != '/')
    return tsc_error(err, 0, "config.json: `mounts[%zu].destination` must be an absolute path",
                     i);
  out->type = json_str(m, "type", "none");
  out->source = json_str(m, "source", out->type);
  const json_t *opts = json_get(m, "options");
  char *data = NULL;
  for (size_t k = 0; is_type(opts, JSON_ARRAY) && k < opts->len; k++) {
    const char *o = opts->items[k]->string;
    if (!o)
      continue;
    bool known = false;
    for (size_t t = 0; t < ARRAY_SIZE(mount_opts) && !known; t++) {
      if (strcmp(o, mount_opts[t].name))
        continue;
      known = true;
      if (mount_opts[t].propagation)
        out->propagation = mount_opts[t].flag;
      else if (mount_opts[t].clear)
        out->flags &= ~mount_opts[t].flag;
      else
        out->flags |= mount_opts[t].flag;
    }
    if (!strcmp(o, "rro")) {
      out->rec_ro = true;
      out->flags |= MS_RDONLY;
      known = true;
    }
    if (known || !strcmp(o, "tmpcopyup") || !strcmp(o, "idmap") || !strcmp(o, "ridmap"))
      continue;
    char *next = data ? xasprintf("%s,%s", data, o) : xstrdup(o);
    free(data);
    data = next;
  }
  out->bind = (out->flags & MS_BIND) || !strcmp(out->type, "bind");
  if (out->bind && !strcmp(out->type, "bind") && !(out->flags & MS_BIND))
    out->flags |= MS_BIND;
  out->data = data;
  return 0;
}

static int parse_mounts(const json_t *arr, spec_t *s, tsc_err_t *err) {
  if (!is_type(arr, JSON_ARRAY))
    return 0;
  s->mounts = xcalloc(arr->len, sizeof *s->mounts);
  for (size_t i = 0; i < arr->len; i++, s->n_mounts++)
    if (parse_mount(arr->items[i], &s->mounts[i], i, err) < 0)
      return -1;
  return 0;
}

static int parse_namespaces(const json_t *arr, spec_t *s, tsc_err_t *err) {
  if (!is_type(arr, JSON_ARRAY))
    return 0;
  s->namespaces = xcalloc(arr->len, sizeof *s->namespaces);
  for (size_t i = 0; i < arr->len; i++) {
    const char *type = json_str(arr->items[i], "type", "");
    int flag = 0;
    for (size_t k = 0; k < ARRAY_SIZE(ns_names); k++)
      if (!strcmp(type, ns_names[k].name))
        flag = ns_names[k].flag;
    if (!flag)
      return tsc_error(err, 0,
                       "config.json: `linux.namespaces[%zu].type`: unknown namespace type `%s` "
                       "(known: pid network mount ipc uts user cgroup time)",
                       i, type);
    if (spec_namespace(s, flag))
      return tsc_error(err, 0, "config.json: namespace `%s` listed twice", type);
    const char *path = json_str(arr->items[i], "path", NULL);
    s->namespaces[s->n_namespaces++] = (spec_ns_t){flag, type, path && *path ? path : NULL};
  }
  return 0;
}

static void parse_idmaps(const json_t *arr, spec_idmap_t **out, size_t *n) {
  if (!is_type(arr, JSON_ARRAY))
    return;
  *out = xcalloc(arr->len, sizeof **out);
  for (size_t i = 0; i < arr->len; i++)
    (*out)[(*n)++] = (spec_idmap_t){(uint32_t)json_int(arr->items[i], "containerID", 0),
                                   (uint32_t)json_int(arr->items[i], "hostID", 0),
                                   (uint32_t)json_int(arr->items[i], "size", 0)};
}

static int parse_devices(const json_t *arr, spec_t *s, tsc_err_t *err) {
  if (!is_type(arr, JSON_ARRAY))
    return 0;
  s->devices = xcalloc(arr->len, sizeof *s->devices);
  for (size_t i = 0; i < arr->len; i++) {
    const json_t *d = arr->items[i];
    spec_device_t *dv = &s->devices[s->n_devices++];
    dv->path = json_str(d, "path", NULL);
    const char *type = json_str(d, "type", "");
    if (!dv->path || dv->path[0] != '/' || strlen(type) != 1 || !strchr("cbup", type[0]))
      return tsc_error(err, 0,
                       "config.json: `linux.devices[%zu]` needs an absolute `path` and a `type` "
                       "of c, b, u or p",
                       i);
    dv->type = type[0];
    dv->major = json_int(d, "major", 0);
    dv->minor = json_int(d, "minor", 0);
    dv->has_mode = is_type(json_get(d, "fileMode"), JSON_NUMBER);
    dv->mode = (mode_t)json_int(d, "fileMode", 0666);
    dv->has_uid = is_type(json_get(d, "uid"), JSON_NUMBER);
    dv->uid = (uid_t)json_int(d, "uid", 0);
    dv->has_gid = is_type(json_get(d, "gid"), JSON_NUMBER);
    dv->gid = (gid_t)json_int(d, "gid", 0);
  }
  return 0;
}

static void parse_kv(const json_t *obj, spec_kv_t **out, size_t *n) {
  if (!is_type(obj, JSON_OBJECT))
    return;
  *out = xcalloc(obj->len, sizeof **out);
  for (size_t i = 0; i < obj->len; i++)
    if (is_type(obj->items[i], JSON_STRING))
      (*out)[(*n)++] = (spec_kv_t){obj->keys[i], obj->items[i]->string};
}

static int parse_linux(const json_t *lx, spec_t *s, tsc_err_t *err) {
  s->linux_section = lx;
  if (!lx)
    return 0;
  if (parse_namespaces(json_get(lx, "namespaces"), s, err) < 0 ||
      parse_devices(json_get(lx, "devices"), s, err) < 0)
    return -1;
  parse_idmaps(json_get(lx, "uidMappings"), &s->uid_maps, &s->n_uid_maps);
  parse_idmaps(json_get(lx, "gidMappings"), &s->gid_maps, &s->n_gid_maps);
  if (str_array(json_get(lx, "maskedPaths"), &s->masked, &s->n_masked, "linux.maskedPaths",
                err) < 0 ||
      str_array(json_get(lx, "readonlyPaths"), &s->readonly, &s->n_readonly,
                "linux.readonlyPaths", err) < 0)
    return tsc_error_wrap(err, "config.json");
  parse_kv(json_get(lx, "sysctl"), &s->sysctl, &s->n_sysctl);
  const char *prop = json_str(lx, "rootfsPropagation", NULL);
  s->rootfs_propagation = propagation_flag(prop);
  if (prop && *prop && !s->rootfs_propagation)
    return tsc_error(err, 0, "config.json: `linux.rootfsPropagation`: unknown value `%s`",
                     prop);
  const json_t *sc = json_get(lx, "seccomp");
  s->seccomp = is_type(sc, JSON_OBJECT) ? sc : NULL;
  if (spec_namespace(s, CLONE_NEWUSER) && !spec_namespace(s, CLONE_NEWUSER)->path &&
      (!s->n_uid_maps || !s->n_gid_maps))
    return tsc_error(err, 0,
                     "config.json: a new user namespace needs `linux.uidMappings` and "
                     "`linux.gidMappings`");
  return 0;
}

static int parse_root(const json_t *root, spec_t *s, tsc_err_t *err) {
  const char *path = json_str(json_get(root, "root"), "path", NULL);
  if (!path || !*path)
    return tsc_error(err, 0, "config.json: `root.path` is missing");
  s->rootfs = path[0] == '/' ? xstrdup(path) : xasprintf("%s/%s", s->bundle, path);
  s->root_readonly = json_bool(json_get(root, "root"), "readonly", false);
  char real[PATH_MAX];
  if (!realpath(s->rootfs, real))
    return tsc_error(err, errno, "rootfs `%s` (root.path in %s/config.json)", s->rootfs,
                     s->bundle);
  free(s->rootfs);
  s->rootfs = xstrdup(real);
  return 0;
}

int spec_load(const char *bundle, spec_t **out, tsc_err_t *err) {
  char real[PATH_MAX];
  if (!realpath(bundle, real))
    return tsc_error(err, errno, "bundle `%s`", bundle);
  spec_t *s = xcalloc(1, sizeof *s);
  s->bundle = xstrdup(real);
  cleanup_free char *path = xasprintf("%s/config.json", s->bundle);
  s->json = json_parse_file(path, err);
  if (!s->json || !is_type(s->json, JSON_OBJECT)) {
    if (s->json)
      tsc_error(err, 0, "%s: must hold a JSON object", path);
    spec_free(s);
    return -1;
  }
  int r = parse_root(s->json, s, err);
  if (r == 0)
    r = spec_parse_process(json_get(s->json, "process"), &s->process, path, err);
  if (r == 0)
    r = parse_mounts(json_get(s->json, "mounts"), s, err);
  if (r == 0)
    r = parse_linux(json_get(s->json, "linux"), s, err);
  if (r < 0) {
    spec_free(s);
    return -1;
  }
  s->hostname = json_str(s->json, "hostname", NULL);
  s->domainname = json_str(s->json, "domainname", NULL);
  parse_kv(json_get(s->json, "annotations"), &s->annotations, &s->n_annotations);
  *out = s;
  return 0;
}

const spec_ns_t *spec_namespace(const spec_t *spec, int flag) {
  for (size_t i = 0; i < spec->n_namespaces; i++)
    if (spec->namespaces[i].flag == flag)
      return &spec->namespaces[i];
  return NULL;
}

void spec_free(spec_t *s) {
  if (!s)
    return;
  spec_process_clear(&s->process);
  for (size_t i = 0; i < s->n_mounts; i++)
    free(s->mounts[i].data);
  free(s->mounts);
  free(s->namespaces);
  free(s->uid_maps);
  free(s->gid_maps);
  free(s->devices);
  free(s->masked);
  free(s->readonly);
  free(s->sysctl);
  free(s->annotations);
  free(s->rootfs);
  free(s->bundle);
  if (s->json)
    json_free(s->json);
  free(s);
}

/* The OCI runtime spec (config.json) as C structs.
 *
 * Strings point into the JSON tree kept in spec->json; spec_free releases
 * both. Only what tscrun honours is read; linux.resources and linux.seccomp
 * stay JSON and go to cgroup.c / seccomp.c as they are. */
#ifndef TSC_SPEC_H
#define TSC_SPEC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "error.h"
#include "json.h"

enum { CAP_SET_BOUNDING, CAP_SET_EFFECTIVE, CAP_SET_INHERITABLE, CAP_SET_PERMITTED, CAP_SET_AMBIENT,
       CAP_SET_COUNT };

typedef struct {
  int resource;
  const char *name;
  uint64_t soft, hard;
} spec_rlimit_t;

typedef struct {
  bool terminal;
  unsigned console_height, console_width;
  uid_t uid;
  gid_t gid;
  gid_t *gids;
  size_t n_gids;
  bool has_umask;
  mode_t umask;
  const char **args; /* NULL-terminated */
  size_t n_args;
  const char **env;  /* NULL-terminated, owned array */
  size_t n_env;
  const char *cwd;
  bool has_caps;
  uint64_t caps[CAP_SET_COUNT];
  spec_rlimit_t *rlimits;
  size_t n_rlimits;
  bool no_new_privs;
  bool has_oom_score_adj;
  int oom_score_adj;
  const char *apparmor, *selinux; /* accepted, not applied */
} spec_process_t;

typedef struct {
  const char *destination, *type, *source;
  unsigned long flags;      /* MS_* without propagation */
  unsigned long propagation; /* MS_SHARED/SLAVE/PRIVATE/UNBINDABLE (+MS_REC) */
  bool bind, rec_ro;
  char *data;               /* unknown options joined by ',' (fs-specific) */
} spec_mount_t;

typedef struct {
  int flag;          /* CLONE_NEW* */
  const char *type;  /* "pid", "network", ... */
  const char *path;  /* NULL: create a new one */
} spec_ns_t;

typedef struct {
  uint32_t container_id, host_id, size;
} spec_idmap_t;

typedef struct {
  const char *path;
  char type; /* c b u p */
  int64_t major, minor;
  bool has_mode, has_uid, has_gid;
  mode_t mode;
  uid_t uid;
  gid_t gid;
} spec_device_t;

typedef struct {
  const char *key, *value;
} spec_kv_t;

typedef struct spec {
  json_t *json;
  char *bundle;       /* absolute */
  char *rootfs;       /* absolute */
  bool root_readonly;
  const char *hostname, *domainname;
  spec_process_t process;
  spec_mount_t *mounts;
  size_t n_mounts;
  spec_ns_t *namespaces;
  size_t n_namespaces;
  spec_idmap_t *uid_maps, *gid_maps;
  size_t n_uid_maps, n_gid_maps;
  spec_device_t *devices;
  size_t n_devices;
  const char **masked, **readonly;
  size_t n_masked, n_readonly;
  spec_kv_t *sysctl, *annotations;
  size_t n_sysctl, n_annotations;
  unsigned long rootfs_propagation; /* 0: default (rslave) */
  const json_t *linux_section;       /* for cgroup.c */
  const json_t *seccomp;             /* linux.seccomp or NULL */
} spec_t;

/* Read <bundle>/config.json. Errors name the file and the key. */
int spec_load(const char *bundle, spec_t **out, tsc_err_t *err);
/* Parse a "process" object (config.json's, or exec --process FILE). */
int spec_parse_process(const json_t *p, spec_process_t *out, const char *where, tsc_err_t *err);
void spec_process_clear(spec_process_t *p);
void spec_free(spec_t *spec);

/* The namespace of `flag` in the spec, or NULL when it is not requested. */
const spec_ns_t *spec_namespace(const spec_t *spec, int flag);
/* Capability number by name ("CAP_SYS_ADMIN"), -1 when unknown. */
int spec_cap_number(const char *name);
int spec_last_cap(void);
const char *spec_cap_name(int n);

#endif

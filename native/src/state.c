/* Container state: <root>/<id>/state.json (written atomically) and
 * <root>/<id>/exec.fifo, which exists exactly while the container is
 * "created" (the init blocks on it until `start`).
 *
 * Status is derived, never stored: the init pid is alive AND has the start
 * time we recorded (so a recycled pid is not mistaken for it), the fifo
 * tells created from running, the freezer tells paused. */
#include "runtime.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "cgroup.h"
#include "utils.h"

char *state_dir(const char *id) { return xasprintf("%s/%s", g_opts.root, id); }

int state_check_id(const char *id, tsc_err_t *err) {
  if (!id || !*id)
    return tsc_error(err, EINVAL, "container id cannot be empty");
  for (const char *c = id; *c; c++)
    if (!isalnum((unsigned char)*c) && !strchr("_+-.", *c))
      return tsc_error(err, EINVAL, "invalid container id `%s` (allowed: letters, digits, _ + - .)",
                       id);
  if (!strcmp(id, ".") || !strcmp(id, "..") || strlen(id) > 1024)
    return tsc_error(err, EINVAL, "invalid container id `%s`", id);
  return 0;
}

static void write_annotations(FILE *f, const spec_t *spec) {
  fputs("\"annotations\":{", f);
  for (size_t i = 0; spec && i < spec->n_annotations; i++) {
    if (i)
      fputc(',', f);
    json_write_string(f, spec->annotations[i].key);
    fputc(':', f);
    json_write_string(f, spec->annotations[i].value);
  }
  fputc('}', f);
}

int state_save(const tsc_state_t *st, const spec_t *spec, tsc_err_t *err) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (!f)
    return tsc_error(err, errno, "open_memstream");
  fputs("{\"ociVersion\":\"1.0.2\",\"id\":", f);
  json_write_string(f, st->id);
  fprintf(f, ",\"pid\":%d,\"bundle\":", (int)st->pid);
  json_write_string(f, st->bundle);
  fputs(",\"rootfs\":", f);
  json_write_string(f, st->rootfs);
  fputs(",\"created\":", f);
  json_write_string(f, st->created);
  fputs(",\"owner\":\"\",", f);
  write_annotations(f, spec);
  fprintf(f, ",\"tscrun\":{\"startTime\":%llu,\"userns\":%s,\"cgroup\":",
          (unsigned long long)st->start_time, st->has_userns ? "true" : "false");
  json_write_string(f, st->cgroup ? st->cgroup : "");
  fputs("}}\n", f);
  fclose(f);
  cleanup_free char *path = xasprintf("%s/state.json", st->dir);
  int r = write_file_atomic(path, buf, len, 0600, err);
  free(buf);
  return r;
}

int state_load(const char *id, tsc_state_t **out, tsc_err_t *err) {
  if (state_check_id(id, err) < 0)
    return -1;
  cleanup_free char *dir = state_dir(id);
  cleanup_free char *path = xasprintf("%s/state.json", dir);
  struct stat sb;
  if (stat(path, &sb) < 0)
    return tsc_error(err, 0, "container `%s` does not exist (no %s)", id, path);
  json_t *j = json_parse_file(path, err);
  if (!j)
    return -1;
  tsc_state_t *st = xcalloc(1, sizeof *st);
  st->json = j;
  st->dir = steal_ptr(&dir);
  st->id = xstrdup(json_str(j, "id", id));
  st->pid = (pid_t)json_int(j, "pid", 0);
  st->bundle = xstrdup(json_str(j, "bundle", ""));
  st->rootfs = xstrdup(json_str(j, "rootfs", ""));
  st->created = xstrdup(json_str(j, "created", ""));
  st->owner = xstrdup(json_str(j, "owner", ""));
  const json_t *t = json_get(j, "tscrun");
  st->start_time = (uint64_t)json_int(t, "startTime", 0);
  st->has_userns = json_bool(t, "userns", false);
  st->cgroup = xstrdup(json_str(t, "cgroup", ""));
  *out = st;
  return 0;
}

bool state_alive(const tsc_state_t *st) {
  if (st->pid <= 0)
    return false;
  bool zombie = false;
  uint64_t start = proc_start_time(st->pid, &zombie);
  return start != 0 && !zombie && (st->start_time == 0 || start == st->start_time);
}

tsc_status_t state_status(const tsc_state_t *st) {
  if (!state_alive(st))
    return ST_STOPPED;
  cleanup_free char *fifo = xasprintf("%s/exec.fifo", st->dir);
  struct stat sb;
  if (stat(fifo, &sb) == 0)
    return ST_CREATED;
  tsc_cgroup_t *cg = NULL;
  tsc_err_t e;
  bool frozen = false;
  if (st->cgroup && *st->cgroup && tsc_cgroup_load(st->cgroup, &cg, &e) == 0) {
    if (tsc_cgroup_is_frozen(cg, &frozen, &e) < 0)
      frozen = false;
    tsc_cgroup_free(cg);
  }
  return frozen ? ST_PAUSED : ST_RUNNING;
}

const char *state_status_name(tsc_status_t s) {
  static const char *const names[] = {"creating", "created", "running", "paused", "stopped"};
  return names[s];
}

int state_print(const tsc_state_t *st) {
  tsc_status_t s = state_status(st);
  FILE *f = stdout;
  fputs("{\n  \"ociVersion\": \"1.0.2\",\n  \"id\": ", f);
  json_write_string(f, st->id);
  fprintf(f, ",\n  \"pid\": %d,\n  \"status\": \"%s\",\n  \"bundle\": ",
          s == ST_STOPPED ? 0 : (int)st->pid, state_status_name(s));
  json_write_string(f, st->bundle);
  fputs(",\n  \"rootfs\": ", f);
  json_write_string(f, st->rootfs);
  fputs(",\n  \"created\": ", f);
  json_write_string(f, st->created);
  fputs(",\n  \"owner\": ", f);
  json_write_string(f, st->owner);
  const json_t *ann = json_get(st->json, "annotations");
  if (ann && ann->type == JSON_OBJECT && ann->len) {
    fputs(",\n  \"annotations\": {", f);
    for (size_t i = 0; i < ann->len; i++) {
      fputs(i ? ",\n    " : "\n    ", f);
      json_write_string(f, ann->keys[i]);
      fputs(": ", f);
      json_write_string(f, ann->items[i]->string ? ann->items[i]->string : "");
    }
    fputs("\n  }", f);
  }
  fputs("\n}\n", f);
  return fflush(f) == 0 ? 0 : -1;
}

void state_free(tsc_state_t *st) {
  if (!st)
    return;
  free(st->id);
  free(st->dir);
  free(st->bundle);
  free(st->rootfs);
  free(st->created);
  free(st->cgroup);
  free(st->owner);
  if (st->json)
    json_free(st->json);
  free(st);
}

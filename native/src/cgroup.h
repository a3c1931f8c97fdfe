/* Control groups, v1 and v2 behind one interface (a vtable chosen at runtime).
 *
 * Layout detection (once per process, from /proc/self/mountinfo):
 *   pure v2   /sys/fs/cgroup is cgroup2          → v2 driver
 *   hybrid    v1 controllers + cgroup2 at …/unified → v1 driver for resources;
 *             the process is also placed in the same path of the unified
 *             hierarchy (like runc), so cgroup2 tools see it
 *   pure v1   only v1 hierarchies                → v1 driver
 * Set TSC_CGROUP_DRIVER=v1|v2 in the environment to force a driver (tests).
 *
 * Path (OCI linux.cgroupsPath):
 *   "/a/b"             absolute: relative to every hierarchy's root
 *   "a/b"              relative: under the default parent → "/tscompose/a/b"
 *   missing or ""      → "/tscompose/<id>"
 *   "slice:prefix:name" systemd style (Docker's systemd driver): mapped to the
 *                      path systemd would use, "/system.slice/docker-<id>.scope"
 *                      ("a-b.slice" expands to "/a.slice/a-b.slice"). We write
 *                      cgroupfs directly; systemd is not asked (no D-Bus).
 *
 * Resources (OCI linux.resources) honoured:
 *   memory.limit / reservation / swap / swappiness(v1) / disableOOMKiller(v1)
 *     v1: memory.limit_in_bytes, soft_limit_in_bytes, memsw.limit_in_bytes
 *     v2: memory.max, memory.low, memory.swap.max = swap - limit
 *   cpu.shares / quota / period / cpus / mems (+ cpu "idle" ignored)
 *     v1: cpu.shares, cpu.cfs_period_us, cpu.cfs_quota_us, cpuset.*
 *         (new cpuset cgroups inherit the parent's cpus/mems first, or the
 *         kernel refuses tasks with ENOSPC)
 *     v2: cpu.weight = 1 + (shares-2)*9999/262142 (runc's formula), cpu.max
 *   pids.limit            pids.max
 *   devices               v1: devices.deny/allow in order, then the OCI default
 *                         devices and linux.devices are allowed (like runc).
 *                         v2: the same rules compiled to an eBPF program
 *                         (BPF_PROG_TYPE_CGROUP_DEVICE) attached to the cgroup
 *                         (cgroup-v2-devices.c), with v1's semantics.
 *   unified               v2 only: each "file": "value" written as is
 *                         (names checked: no '/' and no "..").
 * Not honoured (ignored): hugepageLimits, blockIO, network, rdma, realtime cpu.
 *
 * Errors follow native/ERRORS.md: "write `512m` to `/sys/fs/cgroup/.../memory.max`: Invalid argument". */
#ifndef TSC_CGROUP_H
#define TSC_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "error.h"
#include "json.h"

typedef struct tsc_cgroup tsc_cgroup_t; /* opaque; free with tsc_cgroup_free */

/* Create the cgroup of container `id` from the spec's "linux" object (may be
 * NULL: defaults), apply linux.resources, and move `pid` in (pid 0: create
 * and configure only; call tsc_cgroup_enter later). On failure everything it
 * created is removed again. */
int tsc_cgroup_setup(const char *id, const json_t *linux_section, pid_t pid, tsc_cgroup_t **out,
                     tsc_err_t *err);

/* The cgroup a running process is in (memory controller on v1, the unified
 * path on v2). Works for containers of any runtime: the monitor uses it. */
int tsc_cgroup_from_pid(pid_t pid, tsc_cgroup_t **out, tsc_err_t *err);

/* Persist in a state file: a short text like "v1:/tscompose/abc". Returns the
 * length written (without NUL) or -1 when buf is too small. */
int tsc_cgroup_save(const tsc_cgroup_t *cg, char *buf, size_t len);
int tsc_cgroup_load(const char *saved, tsc_cgroup_t **out, tsc_err_t *err);

/* Path relative to the hierarchy roots ("/tscompose/abc"), and the driver. */
const char *tsc_cgroup_path(const tsc_cgroup_t *cg);
int tsc_cgroup_version(const tsc_cgroup_t *cg); /* 1 or 2 */

/* Move pid into the cgroup in every hierarchy (exec, or setup with pid 0). */
int tsc_cgroup_enter(const tsc_cgroup_t *cg, pid_t pid, tsc_err_t *err);

/* Freeze (pause) or thaw (resume); waits until the kernel reports the state. */
int tsc_cgroup_freeze(const tsc_cgroup_t *cg, bool frozen, tsc_err_t *err);
/* Whether the cgroup is frozen now (state "paused"). */
int tsc_cgroup_is_frozen(const tsc_cgroup_t *cg, bool *out, tsc_err_t *err);

/* Pids in the cgroup (and its sub-cgroups); *pids malloc'ed, free() it. */
int tsc_cgroup_pids(const tsc_cgroup_t *cg, pid_t **pids, size_t *n, tsc_err_t *err);
/* Send sig to every process in it (kill --all). Freezes around the signal
 * so that nothing forks away in between. */
int tsc_cgroup_kill(const tsc_cgroup_t *cg, int sig, tsc_err_t *err);

/* Number of OOM kills in this cgroup (v1 memory.oom_control "oom_kill",
 * v2 memory.events "oom_kill"), and the boolean convenience. */
int tsc_cgroup_oom_count(const tsc_cgroup_t *cg, uint64_t *out, tsc_err_t *err);
int tsc_cgroup_oom_killed(const tsc_cgroup_t *cg, bool *out, tsc_err_t *err);

/* Cheap stats: current memory usage in bytes and number of pids (0 when
 * the controller is absent). */
int tsc_cgroup_stats(const tsc_cgroup_t *cg, uint64_t *mem_bytes, uint64_t *pids,
                     tsc_err_t *err);

/* SIGKILL leftovers, wait for them to go, rmdir in every hierarchy (sub-
 * cgroups first). Missing directories are not an error (idempotent delete). */
int tsc_cgroup_destroy(const tsc_cgroup_t *cg, tsc_err_t *err);

void tsc_cgroup_free(tsc_cgroup_t *cg);

#endif

/* The sync protocol between the runtime's processes.
 *
 *  engine ── exec ──> tscrun monitor  (subreaper; owns stdio pipes / pty, logs, exit file)
 *                        │ exec `tscrun create` with its pipes as 0-2
 *                        v
 *  tscrun create  (stage 0, PARENT, host namespaces)
 *     │ socketpair(SOCK_SEQPACKET) "sync"; fork
 *     v
 *  stage 1  tscrun:[1:CHILD]
 *     setns() into every namespace given by path (user first; see ns.c)
 *     unshare(CLONE_NEWUSER) if a new user ns is asked
 *     ── SYNC_HELLO ──────────────────────────────> PARENT: writes uid_map/gid_map
 *     <───────────────────────────── SYNC_GO ─────
 *     unshare(the other new namespaces but       PARENT meanwhile creates the cgroup
 *       cgroup; CLONE_NEWPID among them); fork    and applies linux.resources
 *     ── SYNC_PID {pid of stage 2} ───────────────> PARENT
 *     _exit(0)          (the init is reparented to the nearest subreaper:
 *                        the monitor, `tscrun run`, or pid 1)
 *  stage 2  tscrun:[2:INIT]  (pid 1 of a new pid namespace)
 *     container_init(): the setup checklist (container.c); mounts start
 *     while the parent moves it into the cgroup; before the first cgroup
 *     mount (or after the mounts) it waits for
 *     <───────────────────────────── SYNC_CGROUP ─ PARENT
 *     then unshares the cgroup namespace (rooted at the container's cgroup)
 *     ── SYNC_READY ──────────────────────────────> PARENT: writes state.json and the
 *                                                   pid file; `create` exits 0
 *     open(<root>/<id>/exec.fifo, O_WRONLY)   blocks until ...
 *  tscrun start: open(exec.fifo, O_RDONLY), reads "0"  → the init execs process.args;
 *     its write end is CLOEXEC, so `start` returns at EOF, once execve happened
 *
 *  Any stage that fails sends SYNC_ERROR {errno, "mount `proc` on `/x/proc`"} and
 *  exits 1; the parent prints that message (never just "exit 1"). The socket is
 *  CLOEXEC, so a successful exec closes it.
 *
 *  tscrun exec uses the same messages: stage 1 joins /proc/<init>/ns/…, forks
 *  the process (SYNC_PID), which sends SYNC_ERROR or execs (EOF = success).
 *
 *  Console: with process.terminal the parent connects to --console-socket
 *  before forking; the init opens /dev/ptmx inside the container and sends the
 *  master over that connection with SCM_RIGHTS (like runc), then makes the
 *  slave its stdio and controlling terminal. */
#ifndef TSC_SYNC_H
#define TSC_SYNC_H

#include <stdint.h>
#include "error.h"

enum sync_type {
  SYNC_HELLO = 1, /* stage 1 → parent: ready for maps and cgroup */
  SYNC_GO,        /* parent → stage 1 */
  SYNC_PID,       /* stage 1 → parent: value = pid of stage 2 (host pid ns) */
  SYNC_CGROUP,    /* parent → init: you are in the container's cgroup */
  SYNC_READY,     /* init → parent: set up, waiting on exec.fifo */
  SYNC_ERROR,     /* any → parent: errnum + msg */
};

struct sync_msg {
  uint32_t type;
  int32_t errnum;
  int64_t value;
  char msg[TSC_ERR_MSG_MAX];
};

/* Send a message; returns -1 with err set on failure. */
int sync_send(int fd, enum sync_type type, int64_t value, tsc_err_t *err);
/* Send err as SYNC_ERROR (best effort, used right before _exit). */
void sync_send_error(int fd, const tsc_err_t *err);
/* Wait for `want`. A SYNC_ERROR from the peer becomes *err (returns -1);
 * EOF gives "`what` exited before ...". */
int sync_expect(int fd, enum sync_type want, int64_t *value, const char *what, tsc_err_t *err);

/* tscrun exec: 0 when the peer's end closed (it exec'd), -1 with its error. */
int sync_wait_exec(int fd, tsc_err_t *err);

#endif

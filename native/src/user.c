/* The process's identity: supplementary groups, gid, uid, umask. */
#include "runtime.h"

#include <errno.h>
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

int user_apply(const spec_process_t *p, bool setgroups_allowed, tsc_err_t *err) {
  /* Groups first: after setuid to a non-root user we could no longer. An
   * empty list drops the runtime's own supplementary groups. */
  if (setgroups_allowed && setgroups(p->n_gids, p->gids) < 0)
    return tsc_error(err, errno, "setgroups (user.additionalGids, %zu groups)", p->n_gids);
  if (setresgid(p->gid, p->gid, p->gid) < 0)
    return tsc_error(err, errno, "setgid %u (user.gid; is it mapped in the user namespace?)",
                     (unsigned)p->gid);
  if (setresuid(p->uid, p->uid, p->uid) < 0)
    return tsc_error(err, errno, "setuid %u (user.uid; is it mapped in the user namespace?)",
                     (unsigned)p->uid);
  umask(p->umask);
  return 0;
}

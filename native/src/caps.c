/* Capabilities: all five sets exactly as the spec lists them.
 *
 * No inheritable or ambient capability is granted beyond the spec
 * (CVE-2022-29162): every set is written whole, never "kept from before". A
 * process without a `capabilities` object keeps what the runtime has, like
 * runc. The bounding set is dropped while we still hold CAP_SETPCAP; the
 * other sets are written after setuid (user.c), which PR_SET_KEEPCAPS makes
 * survive. */
#include "runtime.h"

#include <errno.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int caps_drop_bounding(const spec_process_t *p, tsc_err_t *err) {
  if (!p->has_caps)
    return 0;
  int last = spec_last_cap();
  for (int c = 0; c <= last; c++) {
    if (p->caps[CAP_SET_BOUNDING] & (1ULL << c))
      continue;
    if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
      return tsc_error(err, errno, "drop capability %d from the bounding set", c);
  }
  /* Keep permitted caps across setuid(non-root); cleared after caps_apply. */
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return tsc_error(err, errno, "prctl PR_SET_KEEPCAPS");
  return 0;
}

int caps_apply(const spec_process_t *p, tsc_err_t *err) {
  if (!p->has_caps)
    return 0;
  struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct d[2];
  for (int i = 0; i < 2; i++) {
    d[i].effective = (uint32_t)(p->caps[CAP_SET_EFFECTIVE] >> (32 * i));
    d[i].permitted = (uint32_t)(p->caps[CAP_SET_PERMITTED] >> (32 * i));
    d[i].inheritable = (uint32_t)(p->caps[CAP_SET_INHERITABLE] >> (32 * i));
  }
  if (syscall(SYS_capset, &h, d) < 0)
    return tsc_error(err, errno,
                     "capset (effective %#llx permitted %#llx inheritable %#llx; effective and "
                     "inheritable must be within permitted and bounding)",
                     (unsigned long long)p->caps[CAP_SET_EFFECTIVE],
                     (unsigned long long)p->caps[CAP_SET_PERMITTED],
                     (unsigned long long)p->caps[CAP_SET_INHERITABLE]);
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    return tsc_error(err, errno, "clear the ambient capability set");
  int last = spec_last_cap();
  for (int c = 0; c <= last; c++) {
    if (!(p->caps[CAP_SET_AMBIENT] & (1ULL << c)))
      continue;
    /* The kernel only raises an ambient cap that is both permitted and
     * inheritable; runc skips the others (its default spec lists ambient
     * caps without inheritable ones), and so do we. */
    if (!(p->caps[CAP_SET_INHERITABLE] & p->caps[CAP_SET_PERMITTED] & (1ULL << c)))
      continue;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
      return tsc_error(err, errno, "raise ambient capability %s", spec_cap_name(c));
  }
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
    return tsc_error(err, errno, "prctl PR_SET_KEEPCAPS");
  return 0;
}

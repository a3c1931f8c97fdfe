/* Seccomp filters from OCI linux.seccomp, as classic BPF, without libseccomp.
 *
 *   tsc_seccomp_compile(spec.linux.seccomp)  parent or init, before fork is
 *                                            best: errors reach the user early
 *   tsc_seccomp_install(&filter, nnp)        in the container init:
 *       - with noNewPrivileges: as late as possible, right before execve
 *         (fewest syscalls of the runtime itself go through the filter);
 *       - without it: seccomp(2) needs CAP_SYS_ADMIN, so install it BEFORE
 *         capabilities are dropped (runc does the same).
 *
 * Supported (x86_64 hosts): defaultAction, defaultErrnoRet, architectures
 * (x86_64 always; SCMP_ARCH_X86 and SCMP_ARCH_X32 add the i386 and x32
 * ABIs; a syscall from an ABI not listed is killed, KILL_PROCESS, like
 * libseccomp's bad-arch action), syscalls[{names, action, errnoRet,
 * args[{index, value, valueTwo, op}]}], flags (SECCOMP_FILTER_FLAG_TSYNC,
 * _LOG, _SPEC_ALLOW). Not done: runc's "ENOSYS for syscalls newer than the
 * profile" patch (a new syscall gets the default action).
 * Actions: SCMP_ACT_ALLOW, ERRNO, KILL (= KILL_THREAD), KILL_THREAD,
 * KILL_PROCESS, TRAP, LOG, TRACE (tracer gets errnoRet as the message).
 * SCMP_ACT_NOTIFY (a listener fd) is refused with a clear error.
 * Arg ops: SCMP_CMP_EQ NE LT LE GT GE MASKED_EQ, 64-bit compared as two 32-bit
 * halves (unsigned, like libseccomp). Several args in one rule are ANDed;
 * several rules for the same syscall are ORed (first match in file order).
 * Unknown syscall names are ignored (runc does the same: profiles list calls
 * of newer kernels and other arches). */
#ifndef TSC_SECCOMP_H
#define TSC_SECCOMP_H

#include <linux/filter.h>
#include <stdbool.h>
#include "error.h"
#include "json.h"

typedef struct tsc_seccomp {
  struct sock_fprog prog; /* prog.filter malloc'ed; NULL/0 when no filter */
  unsigned int flags;     /* SECCOMP_FILTER_FLAG_* from the spec */
} tsc_seccomp_t;

/* seccomp may be NULL (no filter: out->prog.len == 0). */
int tsc_seccomp_compile(const json_t *seccomp, tsc_seccomp_t *out, tsc_err_t *err);
/* nnp: also set PR_SET_NO_NEW_PRIVS first. No-op for an empty filter. */
int tsc_seccomp_install(const tsc_seccomp_t *f, bool nnp, tsc_err_t *err);
void tsc_seccomp_release(tsc_seccomp_t *f);

/* Name → x86_64 syscall number, -1 if unknown (exposed for tests/tools). */
long tsc_seccomp_syscall_nr(const char *name);

#endif

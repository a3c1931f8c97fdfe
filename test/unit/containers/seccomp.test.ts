// The default seccomp policy: moby's current rules as data, applied per
// arch and capability set.

import { describe, expect, it } from 'vitest';
import { defaultSeccompPolicy, seccompForContainer } from '../../../runtime/containers/seccomp.js';
import { DEFAULT_CAPABILITIES, ALL_CAPABILITIES } from '../../../runtime/containers/defaults.js';

const policy = defaultSeccompPolicy();
const caps = [...DEFAULT_CAPABILITIES];
const allowed = (s: ReturnType<typeof seccompForContainer>) =>
  new Set(s.syscalls!.filter((x) => x.action === 'SCMP_ACT_ALLOW' && !x.args?.length).flatMap((x) => x.names));

describe('default seccomp policy', () => {
  const s = seccompForContainer(policy, caps, 'amd64', '6.1.0');

  it('denies by default with EPERM on both x86 ABIs', () => {
    expect(s.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(s.defaultErrnoRet).toBe(1);
    expect(s.architectures).toEqual(['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  });

  it('allows the ordinary syscalls and arch_prctl on amd64', () => {
    const a = allowed(s);
    for (const name of ['read', 'write', 'openat', 'execve', 'arch_prctl', 'mmap', 'futex']) expect(a.has(name)).toBe(true);
  });

  it('blocks io_uring, mount, bpf and kernel modules without the capabilities', () => {
    const a = allowed(s);
    for (const name of ['io_uring_setup', 'io_uring_enter', 'io_uring_register', 'mount', 'umount2', 'bpf', 'init_module', 'ptrace', 'reboot', 'unshare', 'setns']) {
      expect(a.has(name), name).toBe(name === 'ptrace'); // ptrace is allowed on kernels >= 4.8
    }
  });

  it('only allows socket() for families other than AF_VSOCK (40)', () => {
    const socketRules = s.syscalls!.filter((x) => x.names.includes('socket'));
    expect(socketRules.every((r) => r.args?.length === 1)).toBe(true);
    const allows = (family: number) => socketRules.some((r) => {
      const a = r.args![0];
      return a.op === 'SCMP_CMP_LT' ? family < a.value : a.op === 'SCMP_CMP_EQ' ? family === a.value : a.op === 'SCMP_CMP_GT' ? family > a.value : false;
    });
    expect(allows(2)).toBe(true); // AF_INET
    expect(allows(1)).toBe(true); // AF_UNIX
    expect(allows(40)).toBe(false); // AF_VSOCK
  });

  it('makes clone3 fail with ENOSYS without CAP_SYS_ADMIN, and opens namespaces with it', () => {
    const clone3 = s.syscalls!.find((x) => x.names.includes('clone3') && x.action === 'SCMP_ACT_ERRNO');
    expect(clone3?.errnoRet).toBe(38);
    const admin = seccompForContainer(policy, [...caps, 'CAP_SYS_ADMIN'], 'amd64', '6.1.0');
    const a = allowed(admin);
    for (const name of ['mount', 'umount2', 'unshare', 'setns', 'clone3']) expect(a.has(name), name).toBe(true);
    expect(admin.syscalls!.some((x) => x.names.includes('clone3') && x.action === 'SCMP_ACT_ERRNO')).toBe(false);
  });

  it('follows the host architecture', () => {
    const arm = seccompForContainer(policy, caps, 'arm64', '6.1.0');
    expect(arm.architectures).toEqual(['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
    expect(allowed(arm).has('arch_prctl')).toBe(false);
    expect(allowed(arm).has('arm_fadvise64_64')).toBe(true);
  });

  it('grants each capability\'s syscalls', () => {
    const all = allowed(seccompForContainer(policy, [...ALL_CAPABILITIES], 'amd64', '6.1.0'));
    for (const name of ['bpf', 'perf_event_open', 'init_module', 'reboot', 'settimeofday', 'syslog', 'acct', 'open_by_handle_at']) expect(all.has(name), name).toBe(true);
    expect(all.has('io_uring_setup')).toBe(false);
  });
});

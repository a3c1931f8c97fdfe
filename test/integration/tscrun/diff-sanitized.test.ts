// The ASan + UBSan build of tscrun (`make -C native asan`) on a cross-section
// of the differential cases: a memory or undefined-behaviour error aborts
// tscrun, which then differs from runc. The full tables run against the
// normal build; set TSCRUN=native/build/asan/tscrun to run them all here.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { expect } from 'vitest';
import { setNamespace } from '../../helpers/bundle.js';
import type { DiffCase } from '../../helpers/differential.js';
import { diffSuite } from '../../helpers/diff-suite.js';
import { missingNeeds } from '../../helpers/require-root.js';
import { REPO_ROOT } from '../../helpers/rootfs.js';

const ASAN = path.join(REPO_ROOT, 'native/build/asan/tscrun');

/** Cases the sanitized tscrun does not pass yet, with the reason. */
const TSCRUN_KNOWN_GAPS: Record<string, string> = {};

// Built here: `npm install` builds only the normal binary.
if (missingNeeds({ root: true, binaries: ['make', 'cc'] }).length === 0) {
  try {
    execFileSync('make', ['-s', '-C', path.join(REPO_ROOT, 'native'), 'asan'], { stdio: 'pipe' });
  } catch (e) {
    if (process.env.CI) throw new Error(`make -C native asan failed: ${String((e as { stderr?: Buffer }).stderr ?? e)}`);
  }
}

// A sanitizer report must not hide behind the exit status 1 of an expected
// failure: give it codes of its own (this file runs in its own worker).
process.env.ASAN_OPTIONS = 'exitcode=86:detect_leaks=1:abort_on_error=0';
process.env.UBSAN_OPTIONS = 'exitcode=87:halt_on_error=1:print_stacktrace=1';

const MiB = 1024 * 1024;

const cases: DiffCase[] = [
  { name: 'default runc spec, everything reported', args: ['all', 'devices'] },
  {
    name: 'user and cgroup namespaces, user, groups, umask, caps',
    args: ['ids', 'umask', 'caps', 'ns', 'read', '/proc/self/uid_map'],
    mutate: (s) => {
      setNamespace(s, 'user');
      setNamespace(s, 'cgroup');
      s.linux.uidMappings = [{ containerID: 0, hostID: 300000, size: 65536 }];
      s.linux.gidMappings = [{ containerID: 0, hostID: 300000, size: 65536 }];
      s.process.user = { uid: 1000, gid: 1000, additionalGids: [5, 20], umask: 0o027 };
    },
  },
  {
    name: 'mounts, devices, masked and readonly paths, sysctl',
    args: ['mounts', 'masked', 'readonly', 'devices', 'read', '/proc/sys/net/ipv4/ip_forward'],
    mutate: (s) => {
      s.mounts.push({ destination: '/mnt/t', type: 'tmpfs', source: 'tmpfs', options: ['size=1m', 'mode=700', 'noexec'] });
      s.mounts.push({ destination: '/mnt/b', type: 'bind', source: '/bin', options: ['rbind', 'ro', 'nosuid'] });
      s.linux.devices = [{ path: '/dev/tsct-null', type: 'c', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 }];
      s.linux.maskedPaths = [...(s.linux.maskedPaths ?? []), '/etc/passwd'];
      s.linux.sysctl = { 'net.ipv4.ip_forward': '1' };
    },
  },
  {
    name: 'seccomp, rlimits, oomScoreAdj, hostname',
    args: ['seccomp', 'rlimits', 'oom', 'hostname', 'mkdir', '/tmp/x'],
    mutate: (s) => {
      s.hostname = 'tsct-asan';
      s.process.oomScoreAdj = 300;
      s.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 256, hard: 512 }, { type: 'RLIMIT_CORE', soft: 0, hard: 0 }];
      s.linux.seccomp = {
        defaultAction: 'SCMP_ACT_ALLOW',
        architectures: ['SCMP_ARCH_X86_64'],
        syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
      };
    },
    check: (o) => expect(o.report.mkdir['/tmp/x']).toBe('EPERM'),
  },
  {
    name: 'cgroup limits and a pids limit reached',
    args: ['cgroup', 'forkbomb', '30', 'exit', '4'],
    mutate: (s) => {
      s.linux.resources!.memory = { limit: 64 * MiB, swap: 64 * MiB };
      s.linux.resources!.cpu = { shares: 256, quota: 20000, period: 100000 };
      s.linux.resources!.pids = { limit: 8 };
    },
    check: (o) => expect(o.exit).toBe(4),
  },
  {
    name: 'killed by the memory limit',
    args: ['memhog', '256'],
    mutate: (s) => {
      s.linux.resources!.memory = { limit: 32 * MiB, swap: 32 * MiB };
    },
    check: (o) => expect(o.exit).toBe(137),
  },
  {
    name: 'bad mount fails cleanly',
    args: ['exit', '0'],
    mutate: (s) => s.mounts.push({ destination: '/mnt/x', type: 'bind', source: '/nonexistent/tsct', options: ['bind'] }),
    check: (o) => expect(o.exit).toBe(1),
  },
];

diffSuite('sanitized tscrun (ASan + UBSan) vs runc', cases, TSCRUN_KNOWN_GAPS, { tscrunBin: ASAN });

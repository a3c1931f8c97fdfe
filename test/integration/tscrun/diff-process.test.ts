// The container process as runc sets it up: argv, env, cwd, user and groups,
// umask, capabilities, no_new_privs, seccomp, rlimits, oom_score_adj, exit
// status and signals. Each case runs under runc and tscrun; see diff-suite.ts.
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { ALL_CAPS, dropNamespace } from '../../helpers/bundle.js';
import type { DiffCase } from '../../helpers/differential.js';
import { diffSuite } from '../../helpers/diff-suite.js';

/** Waits until process pid has a handler for signal sig (SigCgt in status):
 * pid 1 of a pid namespace ignores signals it does not handle. */
async function waitForHandler(pid: number, sig: number): Promise<void> {
  const end = Date.now() + 10_000;
  for (;;) {
    const m = /^SigCgt:\s+([0-9a-f]+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    if (m && (BigInt(`0x${m[1]}`) >> BigInt(sig - 1)) & 1n) return;
    if (Date.now() > end) throw new Error(`pid ${pid} installed no handler for signal ${sig} in 10 s`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Cases tscrun does not pass yet, with the reason (shrink as it grows). */
const TSCRUN_KNOWN_GAPS: Record<string, string> = {};

const cases: DiffCase[] = [
  {
    name: 'default runc spec',
    args: ['all'],
    check: (o) => {
      expect(o.exit).toBe(0);
      expect(o.report.pid).toBe(1);
      expect(o.report.hostname).toBe('runc');
      expect(Object.keys(o.report.fds)).toEqual(['0', '1', '2']);
      expect(o.report.isatty).toEqual([false, false, false]);
    },
  },
  {
    name: 'args, env and cwd',
    args: ['cwd', 'env', 'exit', '0'],
    mutate: (s) => {
      s.process.env = ['PATH=/bin', 'A=with space', 'EMPTY=', 'EQ=a=b'];
      s.process.cwd = '/tmp';
    },
    check: (o) => {
      expect(o.report.cwd).toBe('/tmp');
      expect(o.report.env).toContain('A=with space');
    },
  },
  {
    name: 'command found through PATH, HOME from /etc/passwd',
    args: ['tsc-probe', 'env', 'ids'],
    rawArgs: true,
    mutate: (s) => {
      s.process.env = ['PATH=/usr/bin:/bin'];
      s.process.user = { uid: 1000, gid: 1000 };
    },
    check: (o) => {
      expect(o.exit).toBe(0);
      expect(o.report.env).toContain('HOME=/home/tsct');
    },
  },
  {
    name: 'cwd that does not exist is created',
    args: ['cwd'],
    mutate: (s) => {
      s.root.readonly = false;
      s.process.cwd = '/work/dir';
    },
    check: (o) => expect(o.report.cwd).toBe('/work/dir'),
  },
  {
    name: 'user uid, gid, additionalGids and umask',
    args: ['ids', 'umask', 'caps', 'env'],
    mutate: (s) => {
      s.process.user = { uid: 1000, gid: 1000, additionalGids: [5, 20, 1000], umask: 0o077 };
    },
    check: (o) => {
      expect(o.report.uid).toEqual([1000, 1000, 1000]);
      expect(o.report.groups).toEqual(expect.arrayContaining([5, 20]));
      expect(o.report.umask).toBe('0077');
    },
  },
  {
    name: 'no capabilities at all',
    args: ['caps', 'seccomp'],
    mutate: (s) => {
      s.process.capabilities = { bounding: [], effective: [], permitted: [], inheritable: [], ambient: [] };
    },
    check: (o) => expect(o.report.caps.CapBnd).toBe('0000000000000000'),
  },
  {
    name: 'all capabilities but CAP_SYS_RESOURCE, without ambient',
    args: ['caps'],
    mutate: (s) => {
      s.process.capabilities = { bounding: ALL_CAPS, effective: ALL_CAPS, permitted: ALL_CAPS, inheritable: [], ambient: [] };
    },
    check: (o) => expect(o.report.caps.CapAmb).toBe('0000000000000000'),
  },
  {
    name: 'non-root user keeps inheritable and ambient capabilities',
    args: ['ids', 'caps'],
    mutate: (s) => {
      const some = ['CAP_NET_BIND_SERVICE', 'CAP_KILL'];
      s.process.user = { uid: 1000, gid: 1000 };
      s.process.capabilities = { bounding: some, effective: some, permitted: some, inheritable: some, ambient: some };
    },
    check: (o) => expect(o.report.caps.CapAmb).not.toBe('0000000000000000'),
  },
  {
    name: 'noNewPrivileges off',
    args: ['seccomp'],
    mutate: (s) => {
      s.process.noNewPrivileges = false;
    },
    check: (o) => expect(o.report.no_new_privs).toBe('0'),
  },
  {
    name: 'seccomp filter denies mkdir with EPERM',
    args: ['seccomp', 'mkdir', '/tmp/denied'],
    mutate: (s) => {
      s.linux.seccomp = {
        defaultAction: 'SCMP_ACT_ALLOW',
        architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
        syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
      };
    },
    check: (o) => {
      expect(o.report.seccomp).toBe('2');
      expect(o.report.mkdir['/tmp/denied']).toBe('EPERM');
    },
  },
  {
    name: 'seccomp rule with argument conditions',
    args: ['seccomp', 'mkdir', '/tmp/by-mode'],
    mutate: (s) => {
      // The probe calls mkdir(path, 0755): match on the mode argument.
      s.linux.seccomp = {
        defaultAction: 'SCMP_ACT_ALLOW',
        architectures: ['SCMP_ARCH_X86_64'],
        syscalls: [
          { names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 13, args: [{ index: 1, value: 0o755, op: 'SCMP_CMP_EQ' }] },
          { names: ['mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13, args: [{ index: 2, value: 0o755, op: 'SCMP_CMP_EQ' }] },
        ],
      };
    },
    check: (o) => expect(o.report.mkdir['/tmp/by-mode']).toBe('EACCES'),
  },
  {
    name: 'seccomp kill action',
    args: ['mkdir', '/tmp/killed'],
    mutate: (s) => {
      s.linux.seccomp = {
        defaultAction: 'SCMP_ACT_ALLOW',
        architectures: ['SCMP_ARCH_X86_64'],
        syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_KILL_PROCESS' }],
      };
    },
    check: (o) => {
      expect(o.exit).toBe(128 + 31);
      expect(o.lines).toEqual([]);
    },
  },
  {
    name: 'rlimits below the hard limits',
    args: ['rlimits'],
    mutate: (s) => {
      s.process.rlimits = [
        { type: 'RLIMIT_NOFILE', soft: 512, hard: 4096 },
        { type: 'RLIMIT_CORE', soft: 0, hard: 0 },
        { type: 'RLIMIT_NPROC', soft: 300, hard: 400 },
        { type: 'RLIMIT_STACK', soft: 4194304, hard: 8388608 },
      ];
    },
    check: (o) => expect(o.report.rlimits.RLIMIT_NOFILE).toEqual([512, 4096]),
  },
  {
    name: 'oomScoreAdj',
    args: ['oom'],
    mutate: (s) => {
      s.process.oomScoreAdj = 500;
    },
    check: (o) => expect(o.report.oom_score_adj).toBe(500),
  },
  {
    name: 'exit status',
    args: ['exit', '42'],
    check: (o) => expect(o.exit).toBe(42),
  },
  {
    name: 'death by signal without a pid namespace',
    args: ['pid', 'kill-self', 'SEGV'],
    mutate: (s) => dropNamespace(s, 'pid'),
    check: (o) => expect(o.exit).toBe(128 + 11),
  },
  {
    name: 'SIGTERM to the runtime is forwarded to the container',
    args: ['trap', '20'],
    during: async (rt, id, pid) => {
      await rt.waitStatus(id, ['running']);
      await waitForHandler((await rt.state(id)).pid!, 15);
      process.kill(pid, 'SIGTERM');
    },
    check: (o) => {
      expect(o.lines[1]).toEqual({ trapping: true });
      expect(o.lines[2]).toEqual({ signal: 15 });
      expect(o.exit).toBe(128 + 15);
    },
  },
  ...[
    { spelled: 'SIGUSR1', num: 10 },
    { spelled: 'USR2', num: 12 },
    { spelled: '1', num: 1 },
  ].map(
    ({ spelled, num }): DiffCase => ({
      name: `kill ${spelled} reaches the container's handler`,
      args: ['trap', '20'],
      during: async (rt, id) => {
        await rt.waitStatus(id, ['running']);
        await waitForHandler((await rt.state(id)).pid!, num);
        const r = await rt.kill(id, spelled);
        if (r.code !== 0) throw new Error(`${rt.name} kill ${spelled}: ${r.stderr}`);
      },
      check: (o) => {
        expect(o.lines[2]).toEqual({ signal: num });
        expect(o.exit).toBe(128 + num);
      },
    }),
  ),
  {
    name: 'kill KILL stops a running container',
    args: ['sleep', '30'],
    during: async (rt, id) => {
      await rt.waitStatus(id, ['running']);
      const r = await rt.kill(id, 'KILL');
      if (r.code !== 0) throw new Error(`${rt.name} kill: ${r.stderr}`);
    },
    check: (o) => expect(o.exit).toBe(128 + 9),
  },
];

diffSuite('tscrun vs runc: the process', cases, TSCRUN_KNOWN_GAPS);

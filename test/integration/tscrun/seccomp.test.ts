// native/src/seccomp.c: OCI linux.seccomp compiled to classic BPF without
// libseccomp. Checked three ways: the argument comparisons against a BigInt
// model (every op, values around the 32-bit halves), a moby-shaped profile
// (hundreds of names, arg filters on clone/personality/socket) compiled and
// lived under, and the same bundles run by runc and by tscrun giving the same
// output.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { baseSpec, writeBundle } from '../../helpers/bundle.js';
import { runCleanups } from '../../helpers/cleanup.js';
import { uniqueName } from '../../helpers/names.js';
import { OciRuntime, runtimeBinary } from '../../helpers/oci-runtime.js';
import { requireEnv } from '../../helpers/require-root.js';
import { REPO_ROOT, TSCRUN_PATH } from '../../helpers/rootfs.js';
import { tempDir } from '../../helpers/tmp.js';
import { buildDriver, removeDrivers } from './native-drivers.js';

const gate = requireEnv({ root: true, binaries: ['cc', 'runc', '/bin/busybox'], paths: [runtimeBinary('tscrun') ?? TSCRUN_PATH] }, 'seccomp tests');

let bin = '';

type Profile = Record<string, unknown>;

function profileFile(p: Profile): string {
  const f = path.join(tempDir('sc'), 'seccomp.json');
  writeFileSync(f, JSON.stringify(p));
  return f;
}

function driver(p: Profile, args: string[]) {
  const r = spawnSync(bin, [profileFile(p), ...args], { encoding: 'utf8' });
  return { code: r.status, signal: r.signal, out: r.stdout.trim(), err: r.stderr.trim() };
}

/** Every x86_64 name the compiler knows (from its table). */
function knownNames(): string[] {
  const src = readFileSync(path.join(REPO_ROOT, 'native/src/seccomp-tab.c'), 'utf8');
  const x64 = src.slice(src.indexOf('tsc_sys_x86_64[]'), src.indexOf('tsc_sys_i386[]'));
  return [...x64.matchAll(/\{"(\w+)", \d+\}/g)].map((m) => m[1]!);
}

/** The shape of Docker's default profile: allow-list, EPERM default, argument
 * filters on personality, clone and socket, clone3 → ENOSYS. */
function mobyShaped(): Profile {
  const denied = new Set([
    'mount', 'umount2', 'reboot', 'kexec_load', 'kexec_file_load', 'init_module', 'finit_module', 'delete_module',
    'swapon', 'swapoff', 'acct', 'settimeofday', 'clock_settime', 'pivot_root', 'unshare', 'setns', 'bpf',
    'perf_event_open', 'ptrace', 'keyctl', 'add_key', 'request_key', 'open_by_handle_at', 'personality', 'clone',
    'clone3', 'socket', 'fsopen', 'fsmount', 'move_mount', 'open_tree',
  ]);
  const allowed = knownNames().filter((n) => !denied.has(n));
  return {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 1,
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    syscalls: [
      { names: [...allowed, 'arm_fadvise64_64', 'no_such_syscall_tsct'], action: 'SCMP_ACT_ALLOW' },
      ...[0, 8, 131072, 131080, 4294967295].map((v) => ({
        names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: v, op: 'SCMP_CMP_EQ' }],
      })),
      { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 2114060288, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] },
      { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
      { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 40, op: 'SCMP_CMP_NE' }] },
    ],
  };
}

const M64 = (1n << 64n) - 1n;
const OPS: Record<string, (a: bigint, v: bigint, v2: bigint) => boolean> = {
  SCMP_CMP_EQ: (a, v) => a === v,
  SCMP_CMP_NE: (a, v) => a !== v,
  SCMP_CMP_LT: (a, v) => a < v,
  SCMP_CMP_LE: (a, v) => a <= v,
  SCMP_CMP_GT: (a, v) => a > v,
  SCMP_CMP_GE: (a, v) => a >= v,
  SCMP_CMP_MASKED_EQ: (a, v, v2) => (a & v) === v2,
};

describe.skipIf(gate.skip)('seccomp', () => {
  beforeAll(() => {
    bin = buildDriver('seccomp-check');
  });
  afterEach(runCleanups);
  afterAll(removeDrivers);

  it('compares 64-bit arguments like libseccomp for every op', () => {
    const refs = [0n, 1n, 0xffffffffn, 0x100000000n, 0x100000001n, 0x1ffffffffn, 0x7fffffffffffffffn, M64 - 1n];
    const probes = [...new Set(refs.flatMap((r) => [r, (r + 1n) & M64, (r - 1n) & M64]))];
    for (const [op, model] of Object.entries(OPS)) {
      for (const v of refs) {
        const v2 = op === 'SCMP_CMP_MASKED_EQ' ? v & 0xf0000000fn : 0n;
        // getppid ignores its arguments, the filter still sees them; arg 1 so index matters
        const p = {
          defaultAction: 'SCMP_ACT_ALLOW',
          syscalls: [{ names: ['getppid'], action: 'SCMP_ACT_ERRNO', errnoRet: 7, args: [{ index: 1, value: 0, op }] }],
        };
        // JSON numbers above 2^53 need exact text: write the profile by hand
        const text = JSON.stringify(p).replace('"value":0', `"value":${v},"valueTwo":${v2}`);
        const f = path.join(tempDir('sc'), 'p.json');
        writeFileSync(f, text);
        // LeakSanitizer's exit check calls getppid too: keep it out of this one
        const env = { ...process.env, ASAN_OPTIONS: 'detect_leaks=0' };
        const r = spawnSync(bin, [f, 'probe', ...probes.map((x) => `0x${x.toString(16)}`)], { encoding: 'utf8', env });
        expect(r.stderr).toBe('');
        const got = r.stdout.trim().split('\n');
        probes.forEach((a, i) => expect(got[i], `${op} arg=${a} value=${v} valueTwo=${v2}`).toBe(model(a, v, v2) ? '7' : '0'));
      }
    }
  });

  it('blocks mkdir with EPERM and lets the rest through', () => {
    const p = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] };
    const dir = tempDir('sc');
    const r = driver(p, ['exec', '/bin/busybox', 'sh', '-c', `mkdir ${dir}/x; echo rc=$?`]);
    expect(r.out).toBe('rc=1');
    expect(r.err).toMatch(/Operation not permitted/);
  });

  it('kills with SIGSYS for KILL_PROCESS and returns errno from the default', () => {
    expect(driver({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getppid'], action: 'SCMP_ACT_KILL_PROCESS' }] }, ['probe', '0']).signal).toBe('SIGSYS');
    const trap = driver({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getppid'], action: 'SCMP_ACT_TRAP' }] }, ['probe', '0']);
    expect(trap.signal).toBe('SIGSYS');
    const log = driver({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getppid'], action: 'SCMP_ACT_LOG' }] }, ['probe', '0']);
    expect(log.out).toBe('0');
  });

  it('compiles a moby-shaped profile compactly and a shell lives under it', () => {
    const p = mobyShaped();
    const count = Number(driver(p, ['count']).out);
    expect(count).toBeGreaterThan(300);
    expect(count).toBeLessThan(4096);
    const r = driver(p, ['exec', '/bin/busybox', 'sh', '-c', 'echo ok; /bin/busybox unshare -n true 2>/dev/null || echo unshare-denied; (echo sub)']);
    expect(r.out.split('\n')).toEqual(['ok', 'unshare-denied', 'sub']);
    expect(driver(p, ['nr', 'personality']).out).toBe('135');
  });

  it('adds an i386 section only when SCMP_ARCH_X86 is listed', () => {
    const base = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] };
    const n64 = Number(driver(base, ['count']).out);
    const n86 = Number(driver({ ...base, architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'] }, ['count']).out);
    expect(n86).toBeGreaterThan(n64);
  });

  it('refuses what it cannot honour, naming the field', () => {
    const bad: Array<[Profile, RegExp]> = [
      [{ defaultAction: 'SCMP_ACT_WHATEVER' }, /linux.seccomp.defaultAction: unknown seccomp action `SCMP_ACT_WHATEVER`/],
      [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_NOTIFY' }] }, /syscalls\[0\]: seccomp action SCMP_ACT_NOTIFY/],
      [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', errnoRet: 1 }] }, /errnoRet is set but action `SCMP_ACT_ALLOW`/],
      [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 6, value: 1, op: 'SCMP_CMP_EQ' }] }] }, /args\[0\]: index must be 0-5/],
      [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, op: 'SCMP_CMP_ABOUT' }] }] }, /unknown op `SCMP_CMP_ABOUT`/],
      [{ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_NOPE'] }, /unknown flag/],
      [{ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['X86'] }, /architectures: unknown `X86`/],
      [{ defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/run/x.sock' }, /seccomp notify is not supported/],
    ];
    for (const [p, re] of bad) {
      const r = driver(p, ['count']);
      expect(r.code, JSON.stringify(p)).toBe(1);
      expect(r.err).toMatch(re);
    }
  });

  for (const rt of ['runc', 'tscrun'] as const) {
    it(`${rt}: a bundle whose profile denies mkdir gets EPERM, and the moby-shaped profile runs a shell`, async () => {
      const runtime = OciRuntime.of(rt);
      const id = uniqueName();
      const spec = baseSpec(['/bin/sh', '-c', 'mkdir /tmp/d; echo rc=$?; /bin/busybox unshare -n true 2>/dev/null || echo unshare-denied']);
      spec.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] };
      const b = writeBundle(spec, { containerId: id });
      const r = await runtime.run(id, b.dir);
      expect(r.stdout.trim().split('\n')[0]).toBe('rc=1');
      expect(r.stderr).toMatch(/mkdir: can't create directory '\/tmp\/d': Operation not permitted/);
      expect(r.code).toBe(0);

      const id2 = uniqueName();
      const spec2 = baseSpec(['/bin/sh', '-c', 'echo ok; mkdir /tmp/d && echo made; /bin/busybox unshare -n true 2>/dev/null || echo unshare-denied']);
      spec2.linux.seccomp = mobyShaped();
      spec2.root.readonly = false;
      const b2 = writeBundle(spec2, { containerId: id2 });
      const r2 = await runtime.run(id2, b2.dir);
      expect(r2.stdout.trim().split('\n'), r2.stderr).toEqual(['ok', 'made', 'unshare-denied']);
      expect(r2.code).toBe(0);
    });
  }
});

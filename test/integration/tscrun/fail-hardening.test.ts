// Hardening checked per runtime for what it must guarantee, not compared
// with runc (the defences differ on purpose).
//
// CVE-2024-21626 (exec): `exec --cwd /proc/self/fd/N` must not start a process
// whose cwd is a runtime fd on the host. (The `run` side is in fail-runtime.)
//
// CVE-2019-5736: a container that can reach the runtime's own executable
// (through /proc/<pid>/exe of a runtime process that entered it: the init
// waiting in `create`, or `exec`) must not be able to overwrite the binary on
// the host. runc 1.1 protects it with a read-only bind of itself; tscrun
// re-executes from a sealed memfd.
import { closeSync, openSync, readlinkSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { baseSpec, writeBundle } from '../../helpers/bundle.js';
import { runCleanups } from '../../helpers/cleanup.js';
import { PROBE, tscrunAvailable } from '../../helpers/differential.js';
import { uniqueName } from '../../helpers/names.js';
import { OciRuntime, probeLines, type RuntimeName } from '../../helpers/oci-runtime.js';
import { requireEnv } from '../../helpers/require-root.js';
import { TSCRUN_PATH } from '../../helpers/rootfs.js';
import { tempDir } from '../../helpers/tmp.js';

const gate = requireEnv({ root: true, binaries: ['runc', 'busybox', 'make', 'cc'] }, 'hardening tests');
const tscGate = tscrunAvailable() ? { skip: false } : requireEnv({ paths: [TSCRUN_PATH] }, 'hardening tests under tscrun');

function writeError(p: string): string {
  for (const flags of ['r+', 'w', 'a'] as const) {
    try {
      closeSync(openSync(p, flags));
      return `opened with ${flags}`;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'error';
      if (flags === 'a') return code;
    }
  }
  return 'unreachable';
}

async function createdInit(name: RuntimeName) {
  const rt = OciRuntime.of(name);
  const id = uniqueName();
  const b = writeBundle(baseSpec([PROBE, 'sleep', '30']), { containerId: id });
  const c = await rt.create(id, b.dir, [], { outputFile: path.join(tempDir('out'), 'o') });
  expect(c.code, c.stderr).toBe(0);
  const pid = (await rt.state(id)).pid!;
  const exe = `/proc/${pid}/exe`;
  const bin = statSync(rt.bin);
  const st = statSync(exe);
  return {
    link: readlinkSync(exe),
    sameFileAsBinary: st.ino === bin.ino && st.dev === bin.dev,
    write: writeError(exe),
  };
}

/** `exec --cwd /proc/self/fd/N` for N in 3..9 against a running container:
 * each attempt must fail or land inside the container (getcwd works). */
async function execThroughFds(name: RuntimeName) {
  const rt = OciRuntime.of(name);
  const id = uniqueName();
  const b = writeBundle(baseSpec([PROBE, 'sleep', '30']), { containerId: id });
  expect((await rt.create(id, b.dir, [], { outputFile: path.join(tempDir('out'), 'o') })).code).toBe(0);
  expect((await rt.start(id)).code).toBe(0);
  const escaped: string[] = [];
  for (let fd = 3; fd <= 9; fd++) {
    const r = await rt.cmd(['exec', '--cwd', `/proc/self/fd/${fd}`, id, PROBE, 'cwd'], { timeoutMs: 20_000 });
    const report = probeLines(r.stdout)[0] as { cwd?: string } | undefined;
    if (r.code === 0 && !(report?.cwd ?? '').startsWith('/')) escaped.push(`fd ${fd}: cwd ${report?.cwd}`);
  }
  return escaped;
}

describe.skipIf(gate.skip)('exec cannot start in a runtime fd (CVE-2024-21626)', () => {
  afterEach(runCleanups);
  it('runc', async () => {
    expect(await execThroughFds('runc')).toEqual([]);
  });
  it.skipIf(tscGate.skip)('tscrun', async () => {
    expect(await execThroughFds('tscrun')).toEqual([]);
  });
});

describe.skipIf(gate.skip)('the runtime binary cannot be overwritten from a container (CVE-2019-5736)', () => {
  afterEach(runCleanups);
  it('runc: the waiting init cannot be opened for writing', async () => {
    const r = await createdInit('runc');
    expect(r.write).toMatch(/^E/);
  });
  it.skipIf(tscGate.skip)('tscrun: the waiting init runs from a sealed copy, not the file on disk', async () => {
    const r = await createdInit('tscrun');
    expect(r.sameFileAsBinary, r.link).toBe(false);
    expect(r.link).toMatch(/memfd/);
    expect(r.write).toMatch(/^E/);
  });
});

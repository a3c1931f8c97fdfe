// The shape shared by every test/integration/tscrun/diff-*.test.ts: a table of
// cases, each run under runc (with sanity checks that the feature took effect)
// and under tscrun, whose normalized observation must equal runc's.
//
// Known gaps are an explicit table per file (case name -> reason). They show
// up in the test report as skipped tests whose name carries the reason; run
// with TSCRUN_STRICT=1 to run them anyway and see which ones tscrun now passes.
import { afterEach, describe, expect, it } from 'vitest';
import { runCleanups } from './cleanup.js';
import { type CaseCtx, type DiffCase, type Observation, observe, STRICT, tscrunAvailable } from './differential.js';
import { OciRuntime } from './oci-runtime.js';
import { requireEnv } from './require-root.js';
import { TSCRUN_PATH } from './rootfs.js';

export interface SuiteOpts {
  /** The tscrun binary to compare (default: TSCRUN or native/build/tscrun). */
  tscrunBin?: string;
  /** Where tscrun must differ from runc, named and argued: the observation is
   * passed through this before the comparison. */
  argued?: Record<string, { why: string; adjust: (runc: Observation, tscrun: Observation) => void }>;
}

export function diffSuite(title: string, cases: DiffCase[], knownGaps: Record<string, string>, opts: SuiteOpts = {}): void {
  const gate = requireEnv({ root: true, binaries: ['runc', 'busybox', 'make', 'cc'] }, title);
  // tscrun is built by `npm install`; locally it may not exist yet.
  const tscGate = opts.tscrunBin
    ? requireEnv({ paths: [opts.tscrunBin] }, `${title} under ${opts.tscrunBin}`)
    : tscrunAvailable()
      ? { skip: false, reason: '' }
      : requireEnv({ paths: [TSCRUN_PATH] }, `${title} under tscrun`);
  const tscrun = () => (opts.tscrunBin ? new OciRuntime('tscrun', opts.tscrunBin) : OciRuntime.of('tscrun'));
  for (const name of [...Object.keys(knownGaps), ...Object.keys(opts.argued ?? {})]) {
    if (!cases.some((c) => c.name === name)) throw new Error(`known gap or argued difference "${name}" names no case in ${title}`);
  }

  describe.skipIf(gate.skip)(title, () => {
    const runcSeen = new Map<string, Observation>();
    afterEach(runCleanups);

    async function runcObservation(c: DiffCase): Promise<Observation> {
      const seen = runcSeen.get(c.name);
      if (seen) return seen;
      const ctx: CaseCtx = (await c.setup?.()) ?? {};
      const obs = await observe(OciRuntime.of('runc'), c, ctx);
      try {
        c.check?.(obs, ctx);
      } catch (e) {
        (e as Error).message += `\nrunc exit ${obs.exit}, stderr: ${obs.stderr.trim() || '(empty)'}`;
        throw e;
      }
      runcSeen.set(c.name, obs);
      return obs;
    }

    describe.each(cases)('$name', (c) => {
      it('runc: the bundle exercises the feature', async () => {
        await runcObservation(c);
      });

      const gap = knownGaps[c.name];
      const runIt = tscGate.skip || (gap !== undefined && !STRICT) ? it.skip : it;
      const label = gap !== undefined ? `tscrun = runc [KNOWN GAP: ${gap}]` : 'tscrun = runc';
      runIt(label, async () => {
        const want = structuredClone(await runcObservation(c));
        const ctx: CaseCtx = (await c.setup?.()) ?? {};
        const got = await observe(tscrun(), c, ctx);
        const argued = opts.argued?.[c.name];
        if (argued) argued.adjust(want, got);
        expect({ exit: got.exit, lines: got.lines }, `tscrun stderr: ${got.stderr}`).toEqual({
          exit: want.exit,
          lines: want.lines,
        });
      });
    });
  });
}

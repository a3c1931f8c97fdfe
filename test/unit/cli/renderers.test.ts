// Golden output of the plain and JSON renderers, the output mode resolution,
// and the log prefixes.
import { describe, expect, test } from 'vitest';
import { executePlan } from '../../../compose/cli/executor/execute.js';
import { observeProject } from '../../../compose/cli/executor/observe.js';
import type { ProgressEvent } from '../../../compose/cli/executor/events.js';
import { LogPrinter } from '../../../compose/cli/ui/log-printer.js';
import { resolveOutput } from '../../../compose/cli/ui/progress-mode.js';
import { createRenderer, JsonRenderer, PlainRenderer, QuietRenderer, type Renderer } from '../../../compose/cli/ui/renderer.js';
import { humanDuration, humanSize, quotedCommand } from '../../../compose/cli/ui/human.js';
import { reconcile } from '../../../compose/plan/index.js';
import { FakeEngine } from './fake-engine.js';
import { instantClock, loadInline, THREE_TIER } from './helpers.js';

async function upEvents(): Promise<ProgressEvent[]> {
  const { project } = await loadInline(THREE_TIER);
  const engine = new FakeEngine();
  for (const image of ['nginx:1.27', 'example/api:1', 'mariadb:11']) engine.addImage(image);
  const events: ProgressEvent[] = [];
  // --parallel 1 makes the order of events deterministic.
  await executePlan(reconcile(project, await observeProject(engine, 'app')), engine, { project, emit: (e) => events.push(e), clock: instantClock(), pollMs: 1, concurrency: 1 });
  return events;
}

function render(kind: 'plain' | 'json' | 'quiet', events: readonly ProgressEvent[]): string {
  let text = '';
  const out = { write: (s: string) => (text += s) };
  const renderer: Renderer = kind === 'plain' ? new PlainRenderer(out) : kind === 'json' ? new JsonRenderer(out) : new QuietRenderer(out);
  renderer.begin('Running', []);
  for (const e of events) renderer.event(e);
  return text;
}

describe('renderers', () => {
  test('plain: one line per step, like docker compose --progress plain', async () => {
    expect(render('plain', await upEvents())).toMatchInlineSnapshot(`
      "Network app_default  Creating
      Network app_default  Created
      Volume app_data  Creating
      Volume app_data  Created
      Container app-db-1  Creating
      Container app-db-1  Created
      Container app-api-1  Creating
      Container app-api-1  Created
      Container app-web-1  Creating
      Container app-web-1  Created
      Container app-db-1  Starting
      Container app-db-1  Started
      Container app-db-1  Waiting
      Container app-db-1  Healthy
      Container app-api-1  Starting
      Container app-api-1  Started
      Container app-web-1  Starting
      Container app-web-1  Started
      "
    `);
  });

  test('json: one object per event', async () => {
    const lines = render('json', await upEvents()).trim().split('\n');
    expect(lines[0]).toBe('{"kind":"resource","resource":"network","name":"app_default","status":"Creating","elapsedMs":0}');
    expect(lines.map((l) => JSON.parse(l) as ProgressEvent).every((e) => e.kind === 'resource')).toBe(true);
  });

  test('quiet prints warnings only; plain prints them as WARN', () => {
    const events: ProgressEvent[] = [
      { kind: 'resource', resource: 'container', name: 'app-web-1', status: 'Error', detail: 'starting container app-web-1 failed: port is already allocated' },
      { kind: 'warning', message: 'found orphan containers ([app-old-1]) for this project' },
    ];
    expect(render('quiet', events)).toBe('WARN found orphan containers ([app-old-1]) for this project\n');
    expect(render('plain', events)).toBe(
      'Container app-web-1  Error  starting container app-web-1 failed: port is already allocated\nWARN found orphan containers ([app-old-1]) for this project\n',
    );
  });

  test('the tty board settles and prints warnings after it', async () => {
    let text = '';
    const renderer = createRenderer({ mode: 'tty', color: false }, { write: (s) => (text += s) });
    renderer.begin('Running', [{ resource: 'container', name: 'app-web-1', steps: 2 }]);
    renderer.event({ kind: 'resource', resource: 'container', name: 'app-web-1', status: 'Created' });
    renderer.event({ kind: 'warning', message: 'careful' });
    renderer.event({ kind: 'resource', resource: 'container', name: 'app-web-1', status: 'Started' });
    await renderer.end();
    expect(text).toBe('WARN careful\n');
  });
});

describe('resolveOutput', () => {
  const env = {};
  test.each([
    [{ progress: 'auto', ansi: 'auto', isTTY: true, env }, { mode: 'tty', color: true }],
    [{ progress: 'auto', ansi: 'auto', isTTY: false, env }, { mode: 'plain', color: false }],
    [{ progress: 'auto', ansi: 'auto', isTTY: true, env: { NO_COLOR: '1' } }, { mode: 'tty', color: false }],
    [{ progress: 'auto', ansi: 'never', isTTY: true, env }, { mode: 'plain', color: false }],
    [{ progress: 'plain', ansi: 'always', isTTY: false, env }, { mode: 'plain', color: true }],
    [{ progress: 'tty', ansi: 'auto', isTTY: false, env }, { mode: 'plain', color: false }],
    [{ progress: 'json', ansi: 'auto', isTTY: true, env }, { mode: 'json', color: true }],
    [{ progress: 'quiet', ansi: 'auto', isTTY: true, env }, { mode: 'quiet', color: true }],
  ])('%j -> %j', (inputs, expected) => {
    expect(resolveOutput(inputs)).toEqual(expected);
  });
});

describe('LogPrinter', () => {
  test('prefixes are aligned short names; no colour codes when colour is off', () => {
    let text = '';
    const printer = new LogPrinter({ color: false, prefix: true, write: (s) => (text += s), projectName: 'app' });
    printer.register(['app-db-1', 'app-web-10']);
    printer.line('app-db-1', 'ready for connections');
    printer.line('app-web-10', 'listening on :80');
    expect(text).toBe('db-1    | ready for connections\nweb-10  | listening on :80\n');
  });

  test('each container gets its own colour', () => {
    let text = '';
    const printer = new LogPrinter({ color: true, prefix: true, write: (s) => (text += s), projectName: 'app' });
    printer.register(['app-a-1', 'app-b-1']);
    printer.line('app-a-1', 'x');
    printer.line('app-b-1', 'y');
    expect(text).toBe('\u001b[36ma-1  |\u001b[39m x\n\u001b[33mb-1  |\u001b[39m y\n');
  });

  test('--no-log-prefix prints the bare line', () => {
    let text = '';
    const printer = new LogPrinter({ color: true, prefix: false, write: (s) => (text += s), projectName: 'app' });
    printer.line('app-a-1', 'x');
    expect(text).toBe('x\n');
  });
});

describe('human formats', () => {
  test.each([
    [500, 'Less than a second'],
    [45_000, '45 seconds'],
    [90_000, 'About a minute'],
    [5 * 60_000, '5 minutes'],
    [3 * 3600_000, '3 hours'],
    [5 * 86400_000, '5 days'],
  ])('humanDuration(%d) = %s', (ms, text) => expect(humanDuration(ms)).toBe(text));
  test('sizes and commands as docker prints them', () => {
    expect(humanSize(187_000_000)).toBe('187MB');
    expect(humanSize(7_340_032)).toBe('7.34MB');
    expect(quotedCommand('/docker-entrypoint.sh nginx -g daemon off;')).toBe('"/docker-entrypoint.…"');
    expect(quotedCommand('redis-server')).toBe('"redis-server"');
  });
});

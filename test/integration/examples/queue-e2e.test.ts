// The queue example end to end on our own engine: an HTTP API putting jobs on
// a Redis list and two workers (scale: 2) taking them off. `up -d --wait`,
// jobs submitted and polled over HTTP from the host, a finished job surviving
// `down` + `up` (Redis's append-only file on its named volume), and `down -v`
// leaving nothing of the project.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireRoot } from '../../helpers/require-root.js';
import { BUILD_TIMEOUT_MS, ExampleStack, published } from './e2e-harness.js';
import { freePort, http, waitFor } from './image-runner.js';

const gate = requireRoot(['runc', 'debootstrap', 'chroot', 'curl'], 'the queue end-to-end test');

interface Job { id: number; status: string; text: string; worker?: string; result?: { words: number } & Record<string, unknown> }

describe.skipIf(gate.skip)('queue (redis + api + 2 workers) on the tscompose engine', () => {
  let port = 0;
  let stack: ExampleStack;
  const url = (p: string): string => `http://127.0.0.1:${port}${p}`;
  const doneJobs: Job[] = [];

  async function submit(text: string): Promise<number> {
    const r = await waitFor('POST /jobs', async () => {
      const res = await http('POST', url('/jobs'), { type: 'application/json', data: JSON.stringify({ text }) });
      return res.status === 202 ? res : undefined;
    }, 30_000);
    return (JSON.parse(r.body) as { id: number }).id;
  }

  async function finished(id: number): Promise<Job> {
    return waitFor(`job ${id}`, async () => {
      const res = await http('GET', url(`/jobs/${id}`));
      const job = res.status === 200 ? (JSON.parse(res.body) as Job) : undefined;
      return job && (job.status === 'done' || job.status === 'failed') ? job : undefined;
    }, 30_000);
  }

  beforeAll(async () => {
    port = await freePort();
    stack = new ExampleStack('queue', { API_PORT: String(port) });
    await stack.start();
  }, BUILD_TIMEOUT_MS + 60_000);

  afterAll(async () => {
    await stack?.stop();
  }, 120_000);

  it('up -d --wait brings redis healthy, the api and two workers', async () => {
    const up = await stack.compose('up', '-d', '--wait');
    expect(up.code, up.stderr).toBe(0);
    const rows = await stack.ps();
    expect(rows.map((r) => [r.Service, r.State]).sort()).toEqual([['api', 'running'], ['redis', 'running'], ['worker', 'running'], ['worker', 'running']]);
    expect(rows.find((r) => r.Service === 'redis')?.Health).toBe('healthy');
    expect(published(rows, 'api')).toEqual([`${port}->8080/tcp`]);
    expect(rows.filter((r) => r.Service === 'worker').map((r) => r.Name).sort()).toEqual([`${stack.project}-worker-1`, `${stack.project}-worker-2`]);
  }, 240_000);

  it('processes jobs posted over HTTP from the host', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 6; i++) ids.push(await submit(`job ${i} of ${stack.project} has seven words`));
    for (const id of ids) {
      const job = await finished(id);
      expect(job.status).toBe('done');
      expect(job.result?.words).toBe(7);
      expect(job.worker).toBeTruthy();
      doneJobs.push(job);
    }
    const stats = await http('GET', url('/stats'));
    expect((JSON.parse(stats.body) as { done: number }).done).toBeGreaterThanOrEqual(6);
  }, 120_000);

  it('keeps finished jobs across down and up (append-only file on the named volume)', async () => {
    expect(doneJobs.length).toBeGreaterThan(0);
    expect((await stack.compose('down')).code).toBe(0);
    const up = await stack.compose('up', '-d', '--wait');
    expect(up.code, up.stderr).toBe(0);
    for (const before of doneJobs) {
      const job = await waitFor(`job ${before.id} after up`, async () => {
        const res = await http('GET', url(`/jobs/${before.id}`));
        return res.status === 200 ? (JSON.parse(res.body) as Job) : undefined;
      }, 30_000);
      expect(job).toEqual(before);
    }
    // The id counter survived too: a new job gets the next id and is processed.
    const next = await submit('after the restart');
    expect(next).toBe(Math.max(...doneJobs.map((j) => j.id)) + 1);
    expect((await finished(next)).status).toBe('done');
  }, 240_000);

  it('down -v leaves no container, network or volume of the project', async () => {
    expect((await stack.compose('down', '-v')).code).toBe(0);
    expect(await stack.leftovers()).toEqual({ containers: [], networks: [], volumes: [] });
  }, 120_000);
});

// The proxy example end to end on our own engine: nginx in front of the
// guestbook, only nginx published on the host. `up -d --wait`, an entry
// posted and read back through nginx, the entry surviving `down` + `up` (the
// database's named volume), and `down -v` leaving nothing of the project.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireRoot } from '../../helpers/require-root.js';
import { BUILD_TIMEOUT_MS, ExampleStack, published } from './e2e-harness.js';
import { freePort, http, waitFor } from './image-runner.js';

const gate = requireRoot(['runc', 'debootstrap', 'chroot', 'curl'], 'the proxy end-to-end test');

describe.skipIf(gate.skip)('proxy (nginx + guestbook) on the tscompose engine', () => {
  let port = 0;
  let stack: ExampleStack;
  const url = (p: string): string => `http://127.0.0.1:${port}${p}`;

  beforeAll(async () => {
    port = await freePort();
    stack = new ExampleStack('proxy', { PROXY_PORT: String(port) });
    await stack.start();
  }, BUILD_TIMEOUT_MS + 60_000);

  afterAll(async () => {
    await stack?.stop();
  }, 120_000);

  it('up -d --wait brings db and web healthy, then nginx, the only one published', async () => {
    const up = await stack.compose('up', '-d', '--wait');
    expect(up.code, up.stderr).toBe(0);
    const rows = await stack.ps();
    expect(rows.map((r) => [r.Service, r.State]).sort()).toEqual([['db', 'running'], ['proxy', 'running'], ['web', 'running']]);
    expect(rows.filter((r) => r.Service !== 'proxy').map((r) => r.Health)).toEqual(['healthy', 'healthy']);
    expect(published(rows, 'proxy')).toEqual([`${port}->80/tcp`]);
    expect([...published(rows, 'web'), ...published(rows, 'db')]).toEqual([]);
  }, 240_000);

  it('posts an entry through nginx and reads it back through nginx', async () => {
    const health = await waitFor('nginx', async () => {
      const r = await http('GET', url('/nginx-health'));
      return r.status === 200 ? r : undefined;
    }, 30_000);
    expect(health.body).toBe('ok\n');
    const post = await http('POST', url('/entries'), { type: 'application/json', data: JSON.stringify({ name: 'grace', message: `proxied ${stack.project}` }) });
    expect(post.status).toBeLessThan(300);
    expect(post.headers['x-served-via']).toBe('nginx');
    const page = await http('GET', url('/'));
    expect(page.status).toBe(200);
    expect(page.headers['x-served-via']).toBe('nginx');
    expect(page.body).toContain(`proxied ${stack.project}`);
  }, 60_000);

  it('keeps the entry across down and up', async () => {
    expect((await stack.compose('down')).code).toBe(0);
    const up = await stack.compose('up', '-d', '--wait');
    expect(up.code, up.stderr).toBe(0);
    const page = await waitFor('the page through nginx', async () => {
      const r = await http('GET', url('/'));
      return r.status === 200 ? r : undefined;
    }, 30_000);
    expect(page.headers['x-served-via']).toBe('nginx');
    expect(page.body).toContain(`proxied ${stack.project}`);
  }, 240_000);

  it('down -v leaves no container, network or volume of the project', async () => {
    expect((await stack.compose('down', '-v')).code).toBe(0);
    expect(await stack.leftovers()).toEqual({ containers: [], networks: [], volumes: [] });
  }, 120_000);
});

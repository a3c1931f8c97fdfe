// Faults, through our engine: a container SIGKILLed from the host comes back
// by its restart policy; a container that exits at once still has its output
// printed by `docker run`; `network rm` of a network in use is refused with
// 409; and the engine itself SIGKILLed at random points of create, start
// and remove (ten times over) leaves nothing that the next engine does not adopt or
// clean up: once every container is removed, no veth, overlay mount, cgroup,
// IPAM address, volume reference or monitor process of the test is left.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineApiError, HttpEngineClient } from '../../../runtime/client/index.js';
import { nodeScriptArgs } from '../../../runtime/containers/node-script.js';
import type { StoredNetwork } from '../../../runtime/networks/types.js';
import { copyRootfs } from '../../helpers/rootfs.js';
import {
  engineTestGate, linksWithPrefix, mountsUnder, newPrefix, startEngineFixture, unmountUnder, waitFor, type EngineFixture,
} from './engine-fixture.js';
import { removeCgroupParent, removeTestNetworks, tarOf, testNetworkOptions } from './helpers.js';

const why = engineTestGate('engine fault tests');
const d = why ? describe.skip : describe;

const ENGINE_MAIN = join(import.meta.dirname, '../../../runtime/engine/engine-main.ts');

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

d('containers under faults, and network rm of a network in use', () => {
  let f: EngineFixture;
  beforeAll(async () => { f = await startEngineFixture(newPrefix()); });
  afterAll(async () => { await f?.teardown(); });

  for (const policy of ['on-failure', 'always']) {
    it(`--restart ${policy}: SIGKILL of its process from the host restarts it, RestartCount goes up`, async () => {
      const name = `${f.prefix}-${policy}`;
      await f.ok(['run', '-d', '--restart', policy, '--name', name, f.image, 'sleep', '600']);
      const pids: number[] = [];
      for (let round = 1; round <= 2; round++) {
        const pid = Number((await f.ok(['inspect', '-f', '{{.State.Pid}}', name])).trim());
        expect(pid).toBeGreaterThan(0);
        pids.push(pid);
        process.kill(pid, 'SIGKILL');
        await waitFor(`${name} restarted (round ${round})`, async () => {
          const s = await f.client.inspectContainer(name);
          return s.RestartCount === round && s.State.Running && s.State.Pid !== pid;
        }, 30_000);
      }
      const s = await f.client.inspectContainer(name);
      expect(s.State).toMatchObject({ Status: 'running', Running: true, Restarting: false });
      expect(new Set([...pids, s.State.Pid]).size).toBe(3);
      expect(alive(s.State.Pid)).toBe(true);
      // A stop is not undone by the policy.
      await f.ok(['stop', '-t', '1', name]);
      await new Promise((r) => setTimeout(r, 1500));
      expect((await f.client.inspectContainer(name)).State).toMatchObject({ Running: false, Restarting: false, Status: 'exited' });
      await f.ok(['rm', name]);
    });
  }

  it('--restart no: SIGKILL from the host leaves it exited with 137', async () => {
    const name = `${f.prefix}-no`;
    await f.ok(['run', '-d', '--name', name, f.image, 'sleep', '600']);
    const pid = (await f.client.inspectContainer(name)).State.Pid;
    process.kill(pid, 'SIGKILL');
    await waitFor(`${name} exited`, async () => !(await f.client.inspectContainer(name)).State.Running);
    await new Promise((r) => setTimeout(r, 1000));
    const s = await f.client.inspectContainer(name);
    expect(s.State).toMatchObject({ Status: 'exited', ExitCode: 137 });
    expect(s.RestartCount).toBe(0);
    await f.ok(['rm', name]);
  });

  it('a container that exits at once: docker run prints its output every time (attach before start races the first write)', async () => {
    const lost: string[] = [];
    for (let i = 0; i < 60; i++) {
      const r = await f.docker(['run', '--rm', f.image, 'echo', `line ${i}`]);
      if (r.code !== 0 || r.stdout !== `line ${i}\n`) lost.push(`run ${i}: exit ${r.code}, stdout ${JSON.stringify(r.stdout)} ${r.stderr}`);
    }
    expect(lost).toEqual([]);
  }, 300_000);

  it('network rm of a network in use: 409 with Docker\'s message; allowed once it is free', async () => {
    const net = `${f.prefix}_busy`;
    const { Id } = await f.client.createNetwork({ Name: net });
    await f.ok(['run', '-d', '--network', net, '--name', `${f.prefix}-user`, f.image, 'sleep', '600']);
    const err = await f.client.removeNetwork(net).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(EngineApiError);
    expect((err as EngineApiError).status).toBe(409);
    expect((err as EngineApiError).message).toContain(`error while removing network: network ${net} id ${Id} has active endpoints`);
    // Still there, still usable.
    expect((await f.client.inspectNetwork(net)).Id).toBe(Id);
    await f.ok(['rm', '-f', `${f.prefix}-user`]);
    await f.client.removeNetwork(net);
    expect((await f.docker(['network', 'inspect', net])).code).not.toBe(0);
  });
});

d('the engine SIGKILLed in the middle of create, start and remove', () => {
  const prefix = newPrefix();
  const { networkLinkPrefix } = testNetworkOptions(prefix);
  let dir = '';
  let root = '';
  let socket = '';
  let child: ChildProcess | undefined;
  let stderr = '';
  let client: HttpEngineClient;

  async function startEngine(): Promise<void> {
    child = spawn(process.execPath, [...nodeScriptArgs(ENGINE_MAIN), '--root', root, '--socket', socket, '--cgroup-parent', prefix], {
      stdio: ['ignore', 'ignore', 'pipe'],
      // Its own link names; its bridges stay when it stops (so that the test sees what a real engine leaves).
      env: { ...process.env, TSCOMPOSE_NETWORK_PREFIX: networkLinkPrefix, TSCOMPOSE_EPHEMERAL_NETWORKS: '' },
    });
    child.stderr!.on('data', (b: Buffer) => { stderr += b.toString(); });
    const me = child;
    await waitFor('the engine to answer', async () => {
      if (me.exitCode !== null) throw new Error(`the engine exited ${me.exitCode}: ${stderr}`);
      return client.ping().then(() => true, () => false);
    }, 60_000);
  }

  async function killEngine(): Promise<void> {
    const c = child!;
    child = undefined;
    if (c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await gone;
  }

  async function stopEngine(): Promise<void> {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await gone;
  }

  /** Processes (other than the engine) whose command line names the test's root: monitors, runtimes. */
  function processesOfRoot(): string[] {
    const out: string[] = [];
    for (const p of readdirSync('/proc')) {
      if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
      let cmd = '';
      try { cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' '); } catch { continue; }
      if (cmd.includes(root) && !cmd.includes('engine-main')) out.push(`${p}: ${cmd.trim()}`);
    }
    return out;
  }

  /** Container cgroups (64 hex digits) under the test's parent, in every hierarchy. */
  function containerCgroups(): string[] {
    const out: string[] = [];
    for (const ctrl of readdirSync('/sys/fs/cgroup')) {
      const p = join('/sys/fs/cgroup', ctrl, prefix);
      if (!existsSync(p)) continue;
      for (const c of readdirSync(p)) if (/^[0-9a-f]{64}$/.test(c)) out.push(join(p, c));
    }
    return out;
  }

  /** The container ids that have a monitor, a cgroup or a mounted rootfs. */
  function kernelHolds(): { processes: Set<string>; cgroups: Set<string>; mounts: Set<string> } {
    const idIn = (text: string): string[] => [...text.matchAll(/\b[0-9a-f]{64}\b/g)].map((m) => m[0]);
    return {
      processes: new Set(processesOfRoot().flatMap(idIn)),
      cgroups: new Set(containerCgroups().flatMap(idIn)),
      mounts: new Set(mountsUnder(join(root, 'containers')).flatMap(idIn)),
    };
  }

  function sameSet(h: ReturnType<typeof kernelHolds>, want: Set<string>): boolean {
    return [h.processes, h.cgroups, h.mounts].every((s) => s.size === want.size && [...s].every((x) => want.has(x)));
  }

  /** Addresses held in the IPAM records by anything but the gateway's reservations. */
  function heldAddresses(): string[] {
    const netDir = join(root, 'networks');
    const out: string[] = [];
    for (const file of existsSync(netDir) ? readdirSync(netDir) : []) {
      if (!/^[0-9a-f]{64}\.json$/.test(file)) continue;
      const n = JSON.parse(readFileSync(join(netDir, file), 'utf8')) as StoredNetwork;
      for (const [ip, owner] of Object.entries(n.ipam?.addresses ?? {})) if (!owner.startsWith('aux:') && ip !== n.ipam?.gateway) out.push(`${n.name} ${ip} ${owner}`);
      for (const ep of Object.values(n.endpoints)) out.push(`${n.name} endpoint ${ep.containerName} ${ep.state}`);
    }
    return out;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
    root = join(dir, 'root');
    socket = join(dir, 'engine.sock');
    client = new HttpEngineClient({ host: `unix://${socket}` });
    const tar = tarOf(copyRootfs(join(dir, 'rootfs')), join(dir, 'img.tar'));
    await startEngine();
    for await (const _ of client.importImage(readFileSync(tar), { repo: `${prefix}/img`, tag: '1' })) { /* progress */ }
    await client.createNetwork({ Name: `${prefix}_net` });
  });

  afterAll(async () => {
    if (child) {
      for (const c of await client.listContainers({ all: true }).catch(() => [])) await client.removeContainer(c.Id, { force: true }).catch(() => {});
    }
    await stopEngine().catch(() => {});
    client?.close();
    if (root) await removeTestNetworks(root, networkLinkPrefix).catch(() => {});
    await removeCgroupParent(prefix);
    if (dir) {
      unmountUnder(dir);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('ten kills at random points leave nothing once the next engine has removed every container', async () => {
    let n = 0;
    /** One container through create and start: on the test network, a published port, a tmpfs, a named volume. */
    const createAndStart = async (): Promise<void> => {
      const { Id } = await client.createContainer({
        Image: `${prefix}/img:1`, Cmd: ['sleep', '600'], ExposedPorts: { '80/tcp': {} },
        HostConfig: {
          NetworkMode: `${prefix}_net`, PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] }, Tmpfs: { '/scratch': '' },
          Binds: [`${prefix}_data:/data`],
        },
      }, { name: `${prefix}-c${n++}` });
      await client.startContainer(Id);
    };
    // How long one takes here, to spread the kills over it.
    const t0 = Date.now();
    await createAndStart();
    const oneMs = Math.max(200, Date.now() - t0);

    const outcomes: string[] = [];
    for (let i = 0; i < 10; i++) {
      // Three at once, so that some are in create and some in start when the kill comes; and a removal of one
      // that runs (its kill, exit, unmount, network release) in flight as well.
      const victim = (await client.listContainers()).at(-1);
      const work = [createAndStart(), createAndStart(), createAndStart(), ...(victim ? [client.removeContainer(victim.Id, { force: true })] : [])]
        .map((p) => p.then(() => 'done', (e: Error) => `failed: ${e.message.slice(0, 80)}`));
      // Every other kill comes within the first few milliseconds (create), the others anywhere in create and start.
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * (i % 2 === 0 ? 30 : oneMs * 1.5))));
      await killEngine();
      outcomes.push((await Promise.all(work)).join(' | '));
      await startEngine();
      // The new engine adopted what runs and undid what was cut short: what the kernel holds is exactly its running containers'.
      const running = new Set<string>();
      for (const c of await client.listContainers({ all: true })) {
        const s = await client.inspectContainer(c.Id);
        if (s.State.Running) {
          expect(alive(s.State.Pid), `${s.Name} running with pid ${s.State.Pid}`).toBe(true);
          running.add(c.Id);
        }
      }
      await waitFor('only the running containers\' processes, cgroups and mounts', () => sameSet(kernelHolds(), running), 15_000).catch(() => {});
      const held = kernelHolds();
      expect({ processes: [...held.processes].sort(), cgroups: [...held.cgroups].sort(), mounts: [...held.mounts].sort() }, `after kill ${i + 1}`)
        .toEqual({ processes: [...running].sort(), cgroups: [...running].sort(), mounts: [...running].sort() });
      expect(linksWithPrefix(`${networkLinkPrefix}v`).length, `veths after kill ${i + 1}`).toBe(running.size);
    }
    // Some work was cut short: the kills did land in the middle of things.
    expect(outcomes.join(' ')).toMatch(/failed/);

    // The engine still works after all that, and a container whose start was cut short starts now.
    await createAndStart();
    // (Nearly always there is one: every other kill comes within milliseconds of the creates.)
    const cutShort = (await client.listContainers({ all: true })).find((c) => c.State !== 'running');
    if (cutShort) {
      await client.startContainer(cutShort.Id);
      const restarted = await client.inspectContainer(cutShort.Id);
      expect(restarted.State.Running).toBe(true);
      expect(Object.values(restarted.NetworkSettings.Networks)[0]!.IPAddress).toMatch(/^10\.213\./);
    }
    const all = await client.listContainers({ all: true });
    expect(all.length).toBeGreaterThan(1);
    for (const c of all) await client.removeContainer(c.Id, { force: true });
    expect(await client.listContainers({ all: true })).toEqual([]);

    // Nothing of any of them is left, with the engine still up and the network still there.
    await waitFor('the containers\' processes, cgroups, veths and mounts gone', () =>
      processesOfRoot().length === 0 && containerCgroups().length === 0
      && linksWithPrefix(`${networkLinkPrefix}v`).length === 0 && mountsUnder(join(root, 'containers')).length === 0, 15_000).catch(() => {});
    expect(processesOfRoot()).toEqual([]);
    expect(containerCgroups()).toEqual([]);
    expect(linksWithPrefix(`${networkLinkPrefix}v`)).toEqual([]);
    expect(mountsUnder(join(root, 'containers'))).toEqual([]);
    expect(heldAddresses()).toEqual([]);
    expect(readdirSync(join(root, 'containers'))).toEqual([]);

    // Network removed, engine stopped: no link of the test's prefix but the predefined bridge, which stays as docker0 does.
    await client.removeNetwork(`${prefix}_net`);
    // No container holds the volume any more, cut short or not.
    await client.removeVolume(`${prefix}_data`);
    await stopEngine();
    expect(linksWithPrefix(networkLinkPrefix).filter((l) => !l.startsWith(`${networkLinkPrefix}b`))).toEqual([]);
    expect(linksWithPrefix(networkLinkPrefix).length).toBeLessThanOrEqual(1);
    expect(mountsUnder(dir)).toEqual([]);
    expect(processesOfRoot()).toEqual([]);
  });
});

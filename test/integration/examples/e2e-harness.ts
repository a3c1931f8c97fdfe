// What the example end-to-end tests share: a private in-process engine with
// the example images loaded, the real CLI driven in-process on one example's
// compose file under a unique project name, and a cleanup that leaves nothing
// behind (containers, networks, cgroups, mounts, the temp dir).
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../../compose/cli/main.js';
import { setCliTestHooks } from '../../../compose/cli/session.js';
import { HttpEngineClient } from '../../../runtime/client/index.js';
import { Engine } from '../../../runtime/engine/engine.js';
import { REPO_ROOT } from '../../helpers/rootfs.js';
import { removeTestNetworks, testNetworkOptions } from '../engine/helpers.js';

const CACHE = process.env.TSCOMPOSE_EXAMPLES_CACHE ?? '/var/cache/tscompose-examples';
export const BUILD_TIMEOUT_MS = 40 * 60_000;

export interface ComposeResult { code: number; stdout: string; stderr: string }

export interface PsRow {
  Name: string;
  Service: string;
  State: string;
  Health: string;
  Publishers: { TargetPort: number; PublishedPort: number; Protocol: string }[];
}

/** The host ports a service publishes, as `host->container/proto`. */
export function published(rows: PsRow[], service: string): string[] {
  return rows.filter((r) => r.Service === service)
    .flatMap((r) => r.Publishers.filter((p) => p.PublishedPort !== 0).map((p) => `${p.PublishedPort}->${p.TargetPort}/${p.Protocol}`));
}

export class ExampleStack {
  readonly project = `tsct${Math.random().toString(36).slice(2, 8)}`;
  readonly composeFile: string;
  private dir = '';
  private socket = '';
  private engine: Engine | undefined;
  private readonly net = testNetworkOptions(this.project);

  /** `example` is the folder under examples/; `env` is what the compose file interpolates. */
  constructor(example: string, private readonly env: Record<string, string>) {
    this.composeFile = path.join(REPO_ROOT, 'examples', example, 'compose.yaml');
  }

  async start(): Promise<void> {
    this.dir = mkdtempSync(path.join(tmpdir(), `${this.project}-`));
    this.socket = path.join(this.dir, 'engine.sock');
    this.engine = await Engine.start({ root: path.join(this.dir, 'root'), socketPath: this.socket, cgroupParent: this.project, log: () => {}, ...this.net });
    const socket = this.socket;
    setCliTestHooks({ connect: async () => new HttpEngineClient({ host: `unix://${socket}` }), pollMs: 200 });
    await this.buildAndLoad();
  }

  /** The folder this stack may write in (removed by stop). */
  get workDir(): string {
    return this.dir;
  }

  /** DOCKER_HOST for other clients of this engine. */
  get host(): string {
    return `unix://${this.socket}`;
  }

  client(): HttpEngineClient {
    return new HttpEngineClient({ host: `unix://${this.socket}` });
  }

  async compose(...args: string[]): Promise<ComposeResult> {
    let stdout = '';
    let stderr = '';
    const code = await main(['node', 'tscompose', '-f', this.composeFile, '-p', this.project, '--progress', 'plain', ...args], {
      stdout: (s) => (stdout += s),
      stderr: (s) => (stderr += s),
      cwd: path.dirname(this.composeFile),
      env: { ...this.env },
      readStdin: () => '',
      writeFile: () => {},
    });
    return { code, stdout, stderr };
  }

  async ps(): Promise<PsRow[]> {
    const ps = await this.compose('ps', '--format', 'json');
    return ps.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as PsRow);
  }

  /** Containers, networks and volumes the engine still holds for the project. */
  async leftovers(): Promise<{ containers: string[]; networks: string[]; volumes: string[] }> {
    const client = this.client();
    try {
      const label = `com.docker.compose.project=${this.project}`;
      const containers = (await client.listContainers({ all: true, filters: { label: [label] } })).map((c) => c.Id);
      const networks = (await client.listNetworks()).map((n) => n.Name).filter((n) => n.startsWith(this.project));
      const volumes = ((await client.listVolumes()).Volumes ?? []).map((v) => v.Name).filter((n) => n.startsWith(this.project));
      return { containers, networks, volumes };
    } finally {
      client.close();
    }
  }

  async stop(): Promise<void> {
    setCliTestHooks({});
    if (this.socket) {
      const client = this.client();
      for (const c of await client.listContainers({ all: true }).catch(() => [])) await client.removeContainer(c.Id, { force: true, volumes: true }).catch(() => {});
      client.close();
    }
    await this.engine?.close();
    if (this.dir) await removeTestNetworks(path.join(this.dir, 'root'), this.net.networkLinkPrefix);
    for (const ctrl of readdirSync('/sys/fs/cgroup')) {
      const p = path.join('/sys/fs/cgroup', ctrl, this.project);
      if (existsSync(p)) {
        try {
          rmdirSync(p);
        } catch {
          // not empty: reported by the leak checks of the suite
        }
      }
    }
    if (this.dir) {
      const mounts = execFileSync('sh', ['-c', `grep -o ' ${this.dir}[^ ]*' /proc/self/mountinfo || true`]).toString().trim().split('\n').filter(Boolean);
      for (const m of mounts.reverse()) {
        try {
          execFileSync('umount', ['-l', m.trim()]);
        } catch {
          // gone already
        }
      }
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  /** Builds the example images (cached) and loads them into the engine. */
  private buildAndLoad(): Promise<void> {
    return new Promise((resolve, reject) => {
      execFile(path.join(REPO_ROOT, 'examples/images/build-all.sh'), ['--load'], {
        timeout: BUILD_TIMEOUT_MS, maxBuffer: 64 << 20,
        env: { ...process.env, TSCOMPOSE_EXAMPLES_CACHE: CACHE, DOCKER_HOST: `unix://${this.socket}` },
      }, (err, stdout, stderr) => (err ? reject(new Error(`examples/images/build-all.sh --load failed: ${err.message}\n${stdout}\n${stderr}`.slice(-4000))) : resolve()));
    });
  }
}

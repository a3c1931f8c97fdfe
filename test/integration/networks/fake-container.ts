// A "container" for network tests: a sleeping process in its own network and
// mount namespaces, with a hosts file bind-mounted over /etc/hosts (as the
// engine does), so that a name lookup inside sees exactly what the network
// layer wrote — through the bind mount, i.e. only if it wrote in place.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface FakeContainer {
  id: string;
  name: string;
  pid: number;
  netnsPath: string;
  hostsPath: string;
  /** Runs a command in the container's namespaces (net + mount). */
  exec(cmd: string[], timeoutMs?: number): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Runs a long-lived command (a server) in the namespaces; killed by stop(). */
  spawnServer(cmd: string[]): ChildProcess;
  stop(): Promise<void>;
}

export async function startFakeContainer(dir: string, id: string, name: string): Promise<FakeContainer> {
  const hostsPath = path.join(dir, `${name}.hosts`);
  writeFileSync(hostsPath, '');
  const child = spawn('unshare', ['--net', '--mount', '--propagation', 'private', 'sh', '-c', `mount --bind ${hostsPath} /etc/hosts && exec sleep 100000`], { stdio: 'ignore' });
  const pid = child.pid!;
  const ownNs = readlinkSync('/proc/self/ns/net');
  const deadline = Date.now() + 5000;
  for (;;) {
    let ready = false;
    try {
      ready = readlinkSync(`/proc/${pid}/ns/net`) !== ownNs && readFileSync(`/proc/${pid}/mountinfo`, 'utf8').includes(' /etc/hosts ') && readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sleep';
    } catch {
      /* not there yet */
    }
    if (ready) break;
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`fake container ${name} did not start (pid ${pid}, exit ${child.exitCode})`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const servers: ChildProcess[] = [];
  const nsArgs = ['-t', String(pid), '-n', '-m'];
  return {
    id,
    name,
    pid,
    netnsPath: `/proc/${pid}/ns/net`,
    hostsPath,
    async exec(cmd, timeoutMs = 10_000) {
      try {
        const r = await run('nsenter', [...nsArgs, ...cmd], { timeout: timeoutMs });
        return { code: 0, stdout: r.stdout, stderr: r.stderr };
      } catch (e) {
        const x = e as { code?: number; stdout?: string; stderr?: string };
        return { code: typeof x.code === 'number' ? x.code : 1, stdout: x.stdout ?? '', stderr: x.stderr ?? '' };
      }
    },
    spawnServer(cmd) {
      const s = spawn('nsenter', [...nsArgs, ...cmd], { stdio: 'ignore' });
      servers.push(s);
      return s;
    },
    async stop() {
      for (const s of servers) if (s.exitCode === null && s.signalCode === null && s.pid) process.kill(s.pid, 'SIGKILL');
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        process.kill(pid, 'SIGKILL');
        await exited;
      }
    },
  };
}

/** What the host shows of links, addresses, routes, netns and nft tables. */
export async function hostNetworkSnapshot(): Promise<Record<string, string[]>> {
  const lines = async (cmd: string, args: string[]) => {
    try {
      return (await run(cmd, args)).stdout.split('\n').filter(Boolean).map((l) => l.replace(/\s+/g, ' ').trim());
    } catch {
      return [];
    }
  };
  return {
    links: (await lines('ip', ['-o', 'link'])).map((l) => l.replace(/^\d+: /, '').replace(/ link\/.*$/, '')),
    addrs: (await lines('ip', ['-o', 'addr'])).map((l) => l.replace(/^\d+: /, '')),
    routes: await lines('ip', ['route']),
    netns: await lines('ip', ['netns', 'list']),
    nft: await lines('nft', ['list', 'tables']),
  };
}

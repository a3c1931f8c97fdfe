// What a container can leave on the host, looked up by the names a test gave
// it (container id, bundle dir), so that other work on the machine never
// counts: host mounts, cgroup dirs, processes, and the runtime's state files.
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import path from 'node:path';

export interface Traces {
  mounts: string[];
  cgroups: string[];
  processes: string[];
  stateFiles: string[];
}

function walkDirs(dir: string, depth: number, hit: (p: string) => boolean, out: string[]): void {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const e of entries) {
    const p = path.join(dir, e);
    let isDir = false;
    try {
      isDir = statSync(p).isDirectory();
    } catch {
      continue;
    }
    if (!isDir) continue;
    if (hit(p)) out.push(p);
    if (depth > 1) walkDirs(p, depth - 1, hit, out);
  }
}

export function tracesOf(opts: { id: string; bundle: string; stateRoot: string }): Traces {
  const { id, bundle } = opts;
  const mentions = (s: string) => s.includes(id) || s.includes(bundle);
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(mentions);

  const cgroups: string[] = [];
  walkDirs('/sys/fs/cgroup', 4, (p) => path.basename(p).includes(id), cgroups);

  const processes: string[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    try {
      // A zombie handed to pid 1 holds nothing but its pid and is init's to
      // reap (this VM's init reaps slowly); one with another parent is a leak.
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      if (/^State:\s+Z/m.test(status) && /^PPid:\s+1$/m.test(status)) continue;
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      let where = '';
      for (const l of ['exe', 'cwd', 'root']) {
        try {
          where += ` ${l}=${readlinkSync(`/proc/${pid}/${l}`)}`;
        } catch {
          /* kernel thread or gone */
        }
      }
      // A container's own processes show in-container paths for exe/cwd/root;
      // their cgroup names the container.
      const cgroup = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
      if (mentions(cmd) || mentions(where) || cgroup.includes(id)) processes.push(`${pid}: ${cmd.trim()} (${where.trim()})`);
    } catch {
      /* exited meanwhile */
    }
  }

  const stateFiles: string[] = [];
  const walkFiles = (dir: string) => {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e);
      if (mentions(p) || mentions(e)) stateFiles.push(p);
      try {
        if (statSync(p).isDirectory()) walkFiles(p);
      } catch {
        /* gone */
      }
    }
  };
  walkFiles(opts.stateRoot);
  return { mounts, cgroups, processes, stateFiles };
}

export const NO_TRACES: Traces = { mounts: [], cgroups: [], processes: [], stateFiles: [] };

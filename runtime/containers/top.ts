// `top`: the processes of a container, found through its cgroup (every pid
// in it, whatever forked), shown with the host's `ps` like Docker does.

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerTopResponse } from '../client/types.js';

/** The cgroup.procs files that list the pids of the cgroup `pid` is in (v2 unified or v1 pids/memory controllers). */
export function cgroupProcsFiles(pid: number): string[] {
  let text: string;
  try { text = readFileSync(`/proc/${pid}/cgroup`, 'utf8'); } catch { return []; }
  const files: string[] = [];
  for (const line of text.split('\n')) {
    const [, ctrls, path] = line.split(':');
    if (path === undefined) continue;
    if (ctrls === '') {
      files.push(join('/sys/fs/cgroup/unified', path, 'cgroup.procs'), join('/sys/fs/cgroup', path, 'cgroup.procs'));
    } else {
      for (const c of ctrls.split(',')) if (c === 'pids' || c === 'memory' || c === 'cpu') files.push(join('/sys/fs/cgroup', ctrls, path, 'cgroup.procs'));
    }
  }
  return files;
}

export function containerPids(initPid: number): number[] {
  for (const f of cgroupProcsFiles(initPid)) {
    try {
      const pids = readFileSync(f, 'utf8').split('\n').filter(Boolean).map(Number);
      if (pids.includes(initPid)) return pids;
    } catch { /* try the next hierarchy */ }
  }
  return [initPid];
}

/** Parses `ps` output and keeps the rows of the given pids. */
export function filterPsOutput(output: string, pids: readonly number[]): ContainerTopResponse {
  const lines = output.split('\n').filter((l) => l.trim());
  if (!lines.length) return { Titles: [], Processes: [] };
  const titles = lines[0].trim().split(/\s+/);
  const pidCol = titles.indexOf('PID');
  if (pidCol < 0) throw new Error(`Couldn't find PID field in ps output`);
  const want = new Set(pids);
  const processes: string[][] = [];
  for (const line of lines.slice(1)) {
    const fields = line.trim().split(/\s+/);
    // The last column (CMD/COMMAND) may contain spaces.
    const row = [...fields.slice(0, titles.length - 1), fields.slice(titles.length - 1).join(' ')];
    if (want.has(Number(row[pidCol]))) processes.push(row);
  }
  return { Titles: titles, Processes: processes };
}

export function topOf(initPid: number, psArgs = '-ef'): Promise<ContainerTopResponse> {
  const pids = containerPids(initPid);
  const args = psArgs.trim() ? psArgs.trim().split(/\s+/) : ['-ef'];
  return new Promise((resolve, reject) => {
    execFile('ps', args, { maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`Error running ps: ${(stderr || err.message).toString().trim()}`));
      try { resolve(filterPsOutput(stdout.toString(), pids)); } catch (e) { reject(e as Error); }
    });
  });
}

// A realistic multi-layer image from the files of installed Debian packages
// (what `apt-get install` leaves under /usr/lib and /usr/share), for
// benchmarks: packages taken in name order, grouped into layers of at least
// `layerMiB` until `totalMiB`. Returns the uncompressed layer tars.
import { execFileSync } from 'node:child_process';
import { lstatSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface DebianLayers {
  layers: Buffer[];
  packages: string[][];
  files: number;
  bytes: number;
}

export function debianLayers(workDir: string, totalMiB = 100, layerMiB = 20): DebianLayers {
  const pkgs = execFileSync('dpkg-query', ['-W', '-f=${Package}\n'], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
  const layers: Buffer[] = [];
  const groups: string[][] = [];
  let group: string[] = [];
  let list: string[] = [];
  let layerBytes = 0;
  let total = 0;
  let files = 0;
  const seenDirs = new Set<string>();
  const flush = () => {
    const listFile = join(workDir, `layer-${layers.length}.list`);
    writeFileSync(listFile, list.join('\n') + '\n');
    layers.push(execFileSync('tar', ['--no-recursion', '--numeric-owner', '-cf', '-', '-C', '/', '-T', listFile], { maxBuffer: 1 << 30 }));
    groups.push(group);
    group = [];
    list = [];
    layerBytes = 0;
    seenDirs.clear();
  };
  for (const pkg of pkgs) {
    if (total >= totalMiB << 20) break;
    let paths: string[];
    try {
      paths = execFileSync('dpkg-query', ['-L', pkg], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n');
    } catch {
      continue;
    }
    let added = false;
    for (const p of paths) {
      if (!/^\/usr\/(lib|share)\//.test(p)) continue;
      let st;
      try {
        st = lstatSync(p);
      } catch {
        continue;
      }
      if (!st.isFile() && !st.isSymbolicLink()) continue;
      if (st.isFile() && st.size > 16 << 20) continue; // keep layers made of typical files
      const parts = p.slice(1).split('/');
      for (let i = 1; i < parts.length; i++) {
        const d = parts.slice(0, i).join('/');
        if (!seenDirs.has(d)) {
          seenDirs.add(d);
          list.push(d);
        }
      }
      list.push(p.slice(1));
      layerBytes += st.size;
      total += st.size;
      files++;
      added = true;
    }
    if (added) group.push(pkg);
    if (layerBytes >= layerMiB << 20) flush();
  }
  if (list.length) flush();
  return { layers, packages: groups, files, bytes: total };
}

export function readJson<T>(p: string): T {
  return JSON.parse(readFileSync(p, 'utf8')) as T;
}

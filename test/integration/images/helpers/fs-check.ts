// Snapshots of a directory tree (names, types, sizes, content hashes) to prove
// that a test left it untouched; xattr reads through python3 (node has no API).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

export function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(p);
      if (st.isDirectory()) {
        out.push(`${r}/ ${(st.mode & 0o7777).toString(8)}`);
        walk(p, r);
      } else if (st.isSymbolicLink()) out.push(`${r} -> ${readlinkSync(p)}`);
      else if (st.isFile()) out.push(`${r} ${st.size} ${createHash('sha256').update(readFileSync(p)).digest('hex').slice(0, 16)} ${(st.mode & 0o7777).toString(8)}`);
      else out.push(`${r} special ${st.mode.toString(8)}`);
    }
  };
  walk(dir, '');
  return out;
}

export function getXattr(path: string, name: string): string | undefined {
  try {
    return execFileSync('python3', ['-c', 'import os,sys; sys.stdout.write(os.getxattr(sys.argv[1], sys.argv[2], follow_symlinks=False).decode())', path, name], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch {
    return undefined;
  }
}

// `User` ("", "name", "uid", "name:group", "uid:gid") resolved against the
// container's own /etc/passwd and /etc/group, as Docker does at start.

import { lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidContainerConfigError } from './errors.js';
import type { OciUser } from './oci-types.js';

interface PasswdEntry { name: string; uid: number; gid: number }
interface GroupEntry { name: string; gid: number; members: string[] }

export function parsePasswd(text: string): PasswdEntry[] {
  return text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'))
    .filter((f) => f.length >= 4).map((f) => ({ name: f[0], uid: Number(f[2]), gid: Number(f[3]) }));
}
export function parseGroup(text: string): GroupEntry[] {
  return text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'))
    .filter((f) => f.length >= 3).map((f) => ({ name: f[0], gid: Number(f[2]), members: (f[3] ?? '').split(',').filter(Boolean) }));
}

/** Pure resolution from the files' contents. */
export function resolveUser(spec: string, passwd: PasswdEntry[], groups: GroupEntry[], groupAdd: readonly string[] = []): OciUser {
  const [userPart, groupPart] = spec === '' ? ['', undefined] : spec.split(':', 2);
  let uid = 0;
  let gid = 0;
  let name: string | undefined = 'root';
  if (userPart !== '') {
    if (/^\d+$/.test(userPart)) {
      uid = Number(userPart);
      const e = passwd.find((p) => p.uid === uid);
      name = e?.name;
      gid = e?.gid ?? 0;
    } else {
      const e = passwd.find((p) => p.name === userPart);
      if (!e) throw new InvalidContainerConfigError(`unable to find user ${userPart}: no matching entries in passwd file`);
      uid = e.uid; gid = e.gid; name = e.name;
    }
  } else {
    const e = passwd.find((p) => p.uid === 0);
    if (e) gid = e.gid;
  }
  if (groupPart !== undefined && groupPart !== '') gid = groupId(groupPart, groups);
  // Docker lists the primary group among the supplementary ones too (`id`
  // shows groups=0(root)); a process that changes its egid keeps access.
  const supplementary = new Set<number>([gid]);
  if (name) for (const g of groups) if (g.members.includes(name)) supplementary.add(g.gid);
  for (const g of groupAdd) supplementary.add(groupId(g, groups));
  return { uid, gid, additionalGids: [...supplementary] };
}

function groupId(spec: string, groups: GroupEntry[]): number {
  if (/^\d+$/.test(spec)) return Number(spec);
  const g = groups.find((x) => x.name === spec);
  if (!g) throw new InvalidContainerConfigError(`unable to find group ${spec}: no matching entries in group file`);
  return g.gid;
}

/** Reads a file of the rootfs only when it is a regular file: an image's symlink must not make us read the host. */
function readRootfsFile(rootfs: string, rel: string): string {
  const p = join(rootfs, rel);
  try {
    if (!lstatSync(join(rootfs, 'etc')).isDirectory() || !lstatSync(p).isFile()) return '';
    return readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}

export function resolveUserInRootfs(spec: string, rootfs: string, groupAdd: readonly string[] = []): OciUser {
  return resolveUser(spec, parsePasswd(readRootfsFile(rootfs, 'etc/passwd')), parseGroup(readRootfsFile(rootfs, 'etc/group')), groupAdd);
}

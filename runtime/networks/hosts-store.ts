// /etc/hosts as a store regenerated as a whole: from the networks' endpoints
// and the containers' settings, the lines every container must see. The
// manager calls `rewriteHosts` under its lock for every container whose view
// changed (a peer joined, left or changed address).

import { openSync, closeSync, writeSync, ftruncateSync, readFileSync } from 'node:fs';
import { parseExtraHost, replaceSection, type HostsEntry } from './hosts-file.js';
import { shortId } from './names.js';
import type { StoredContainer, StoredEndpoint, StoredNetwork } from './types.js';

function linkAliasesFor(viewer: StoredContainer | undefined, peer: StoredEndpoint): string[] {
  if (!viewer) return [];
  return viewer.links
    .filter((l) => l.target === peer.containerName || l.target === peer.serviceName || (l.target.length >= 12 && peer.containerId.startsWith(l.target)))
    .map((l) => l.alias);
}

/** Networks of a container, in the order it joined them. */
export function networksOf(containerId: string, networks: readonly StoredNetwork[]): StoredNetwork[] {
  return networks
    .filter((n) => n.endpoints[containerId]?.state === 'ready')
    .sort((a, b) => a.endpoints[containerId]!.seq - b.endpoints[containerId]!.seq);
}

/** The generated lines of one container: itself first on each network, then
 * its peers, by container name, service name, aliases, short id and `links`. */
export function hostsEntriesFor(containerId: string, networks: readonly StoredNetwork[], containers: ReadonlyMap<string, StoredContainer>): HostsEntry[] {
  const viewer = containers.get(containerId);
  const entries: HostsEntry[] = [];
  for (const net of networksOf(containerId, networks)) {
    const self = net.endpoints[containerId]!;
    const hostname = viewer?.hosts.hostname ?? shortId(containerId);
    const fqdn = viewer?.hosts.domainname ? `${hostname}.${viewer.hosts.domainname}` : undefined;
    const selfNames = [...(fqdn ? [fqdn] : []), hostname, self.containerName, ...(self.serviceName ? [self.serviceName] : []), ...self.aliases, shortId(containerId)];
    entries.push({ ip: self.ip, names: selfNames });
    if (self.ip6) entries.push({ ip: self.ip6, names: selfNames });
    const peers = Object.values(net.endpoints)
      .filter((e) => e.containerId !== containerId && e.state === 'ready')
      .sort((a, b) => a.seq - b.seq);
    for (const p of peers) {
      const names = [p.containerName, ...(p.serviceName ? [p.serviceName] : []), ...p.aliases, shortId(p.containerId), ...linkAliasesFor(viewer, p)];
      entries.push({ ip: p.ip, names });
      if (p.ip6) entries.push({ ip: p.ip6, names });
    }
  }
  return entries;
}

/** `extra_hosts` lines; `host-gateway` is the gateway of the first network. */
export function extraEntriesFor(containerId: string, networks: readonly StoredNetwork[], containers: ReadonlyMap<string, StoredContainer>): HostsEntry[] {
  const c = containers.get(containerId);
  const gw = networksOf(containerId, networks).find((n) => n.ipam)?.ipam?.gateway;
  const out: HostsEntry[] = [];
  for (const e of c?.hosts.extraHosts ?? []) {
    // Validated when the container was created; a host-gateway entry of a
    // container that has left every network has no address and is left out.
    try {
      out.push(parseExtraHost(e, gw));
    } catch {
      /* skipped */
    }
  }
  return out;
}

/** Overwrite, then cut to length: the same inode, because the file is
 * bind-mounted into the container and a rename would leave it looking at the
 * old one. Writing before truncating (not truncate-to-0 then write) also
 * keeps ext4's auto_da_alloc from flushing every file to disk on close, which
 * made 100 rewrites take most of a second. */
export function writeInPlace(path: string, content: string): void {
  const fd = openSync(path, 'r+');
  try {
    const buf = Buffer.from(content);
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off, off);
    ftruncateSync(fd, buf.length);
  } finally {
    closeSync(fd);
  }
}

/** The new text of a container's hosts file, or undefined when it has none. */
export function renderHosts(containerId: string, networks: readonly StoredNetwork[], containers: ReadonlyMap<string, StoredContainer>, current: string | undefined): string {
  return replaceSection(current, extraEntriesFor(containerId, networks, containers), hostsEntriesFor(containerId, networks, containers));
}

export function rewriteHosts(containerId: string, networks: readonly StoredNetwork[], containers: ReadonlyMap<string, StoredContainer>): boolean {
  const path = containers.get(containerId)?.hosts.path;
  if (!path) return false;
  let current: string | undefined;
  try {
    current = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    // First write: create it (nothing is bind-mounted yet).
    closeSync(openSync(path, 'w', 0o644));
  }
  const text = renderHosts(containerId, networks, containers, current);
  if (text !== current) writeInPlace(path, text);
  return true;
}

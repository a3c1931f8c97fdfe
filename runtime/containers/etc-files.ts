// The files bind-mounted at /etc/hostname, /etc/hosts and /etc/resolv.conf.
// Written in place (not renamed) once they exist: they are bind-mounted, and
// a rename would leave the container looking at the old inode.

import { readFileSync, writeFileSync } from 'node:fs';

export function hostsFileContent(hostname: string, ip?: string, extraHosts: readonly string[] = []): string {
  const lines = [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'ff00::0\tip6-mcastprefix',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
  ];
  for (const h of extraHosts) {
    const i = h.lastIndexOf(':');
    if (i > 0) lines.push(`${h.slice(i + 1)}\t${h.slice(0, i)}`);
  }
  if (ip) lines.push(`${ip}\t${hostname}`);
  return lines.join('\n') + '\n';
}

/** The host's resolv.conf without loopback resolvers (unreachable from the container), Docker's fallbacks when none is left. */
export function resolvConfContent(hostResolv: string, dns: readonly string[] = [], search: readonly string[] = [], options: readonly string[] = []): string {
  const lines = hostResolv.split('\n');
  const keep: string[] = [];
  let servers = 0;
  for (const line of lines) {
    const t = line.trim();
    const m = /^nameserver\s+(\S+)/.exec(t);
    if (m) {
      if (dns.length || /^(127\.|::1$|0\.0\.0\.0)/.test(m[1])) continue;
      servers++;
    } else if (/^search\s/.test(t) && search.length) continue;
    else if (/^options\s/.test(t) && options.length) continue;
    keep.push(line);
  }
  while (keep.length && keep[keep.length - 1].trim() === '') keep.pop();
  for (const s of dns) keep.push(`nameserver ${s}`);
  if (!dns.length && servers === 0) keep.push('nameserver 8.8.8.8', 'nameserver 8.8.4.4');
  if (search.length) keep.push(`search ${search.join(' ')}`);
  if (options.length) keep.push(`options ${options.join(' ')}`);
  return keep.join('\n') + '\n';
}

export function readHostResolvConf(): string {
  try { return readFileSync('/etc/resolv.conf', 'utf8'); } catch { return ''; }
}

export function writeInPlace(path: string, content: string): void {
  writeFileSync(path, content, { mode: 0o644 });
}

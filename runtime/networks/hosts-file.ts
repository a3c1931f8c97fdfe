// The text of a container's /etc/hosts, pure. The generated peer lines sit
// between two markers; whatever else is in the file (an image's or user's
// edits) is kept when the section is replaced.

export const HOSTS_BEGIN = '# BEGIN tscompose peers (regenerated when a peer joins or leaves; edits here are lost)';
export const HOSTS_END = '# END tscompose peers';

/** The fixed head Docker writes too. */
export const HOSTS_DEFAULT_HEAD = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet',
  'ff00::0\tip6-mcastprefix',
  'ff02::1\tip6-allnodes',
  'ff02::2\tip6-allrouters',
];

export interface HostsEntry {
  ip: string;
  names: string[];
}

/** `extra_hosts` entries: `name:ip` or `name=ip`; the ip may be `host-gateway`. */
export function parseExtraHost(entry: string, hostGateway: string | undefined): HostsEntry {
  const eq = entry.indexOf('=');
  // name:ip where ip may be IPv6 (holds colons): split at the first colon.
  const sep = eq > 0 ? eq : entry.indexOf(':');
  if (sep <= 0 || sep === entry.length - 1) throw new Error(`invalid extra_hosts entry "${entry}": expected host:ip or host=ip`);
  const name = entry.slice(0, sep).trim();
  let ip = entry.slice(sep + 1).trim().replace(/^\[(.*)\]$/, '$1');
  if (ip === 'host-gateway') {
    if (!hostGateway) throw new Error(`extra_hosts entry "${entry}" uses host-gateway, but the container has no network with a gateway`);
    ip = hostGateway;
  }
  return { ip, names: [name] };
}

function uniq(names: readonly string[]): string[] {
  return [...new Set(names.filter((n) => n.length > 0))];
}

export function formatEntries(entries: readonly HostsEntry[]): string[] {
  return entries.filter((e) => e.names.length > 0).map((e) => `${e.ip}\t${uniq(e.names).join(' ')}`);
}

/** The whole file for a new container: head, extra hosts, then the section. */
export function hostsFileText(extra: readonly HostsEntry[], peers: readonly HostsEntry[]): string {
  return [...HOSTS_DEFAULT_HEAD, ...formatEntries(extra), HOSTS_BEGIN, ...formatEntries(peers), HOSTS_END].join('\n') + '\n';
}

/** Replaces the generated section of `current`; without markers, the whole
 * file is written from the defaults. */
export function replaceSection(current: string | undefined, extra: readonly HostsEntry[], peers: readonly HostsEntry[]): string {
  if (current) {
    const b = current.indexOf(HOSTS_BEGIN);
    const e = current.indexOf(HOSTS_END);
    if (b >= 0 && e > b) {
      const before = current.slice(0, b);
      const after = current.slice(e + HOSTS_END.length).replace(/^\n/, '');
      return before + [HOSTS_BEGIN, ...formatEntries(peers), HOSTS_END].join('\n') + '\n' + after;
    }
  }
  return hostsFileText(extra, peers);
}

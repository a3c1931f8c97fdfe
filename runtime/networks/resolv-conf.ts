// A container's /etc/resolv.conf, pure. Starts from the host's file without
// its loopback resolvers (127.0.0.0/8, ::1: they answer on the host's
// loopback, which the container cannot reach). When none is left and no
// `dns` is given, Google's public resolvers are used, as Docker does;
// `dns`, `dns_search` and `dns_opt` replace the host's lines of that kind.

export interface DnsSettings {
  dns?: readonly string[];
  dnsSearch?: readonly string[];
  dnsOptions?: readonly string[];
  /** Add Google's IPv6 resolvers to the fallback. */
  ipv6?: boolean;
}

export const FALLBACK_NAMESERVERS = ['8.8.8.8', '8.8.4.4'];
export const FALLBACK_NAMESERVERS_V6 = ['2001:4860:4860::8888', '2001:4860:4860::8844'];

export function isLoopbackResolver(ip: string): boolean {
  const bare = ip.replace(/%.*$/, '');
  return /^127\./.test(bare) || bare === '::1' || bare === '0:0:0:0:0:0:0:1';
}

export function resolvConfText(hostText: string, s: DnsSettings = {}): string {
  const dns = s.dns ?? [];
  const search = s.dnsSearch ?? [];
  const opts = s.dnsOptions ?? [];
  const out: string[] = [];
  const servers: string[] = [];
  for (const raw of hostText.split('\n')) {
    const line = raw.trimEnd();
    const words = line.trim().split(/\s+/);
    if (words[0] === 'nameserver') {
      if (dns.length === 0 && words[1] && !isLoopbackResolver(words[1])) servers.push(words[1]);
      continue;
    }
    if ((words[0] === 'search' || words[0] === 'domain') && search.length > 0) continue;
    if (words[0] === 'options' && opts.length > 0) continue;
    out.push(line);
  }
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  const finalServers = dns.length > 0 ? [...dns] : servers.length > 0 ? servers : [...FALLBACK_NAMESERVERS, ...(s.ipv6 ? FALLBACK_NAMESERVERS_V6 : [])];
  for (const ns of finalServers) out.push(`nameserver ${ns}`);
  if (search.length > 0) out.push(`search ${search.join(' ')}`);
  if (opts.length > 0) out.push(`options ${opts.join(' ')}`);
  return out.join('\n') + '\n';
}

// Outbound NAT and isolation between networks, as one nftables table per
// state root, regenerated as a whole (`nft -f`, one transaction) whenever a
// network comes or goes:
//   - forward: a bridge may not forward to another tscompose bridge (no
//     traffic between networks, or between projects); an internal network
//     forwards nowhere but inside itself;
//   - postrouting: masquerade what leaves a non-internal network's subnet for
//     another interface, so containers reach outside through the host.
// Hosts without nft but with iptables get the same rules in two chains of
// their own (filter and nat), jumped to from FORWARD and POSTROUTING. Hosts
// with neither get a clear warning and no NAT (published ports do not need
// it: they go through the userland proxy, port-proxy.ts).

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { NetworkError } from './errors.js';

export interface FirewallNetwork {
  bridge: string;
  subnet: string;
  /** IPv6 subnet, when the network has one (nftables only). */
  subnet6?: string;
  internal: boolean;
}

export interface Firewall {
  /** Short name for messages: `nftables`. */
  readonly kind: string;
  apply(networks: readonly FirewallNetwork[]): Promise<void>;
  /** Removes the table altogether (last network gone, or tests). */
  clear(): Promise<void>;
}

/** The table's text; pure, golden-tested. `bridgeGlob` matches every
 * tscompose bridge (`tscb*`) so that isolation also holds across engines. */
export function nftRuleset(table: string, networks: readonly FirewallNetwork[], bridgeGlob: string): string {
  const q = (s: string) => JSON.stringify(s);
  const fwd: string[] = [];
  const nat: string[] = [];
  for (const n of networks) {
    if (n.internal) {
      fwd.push(`    iifname ${q(n.bridge)} oifname != ${q(n.bridge)} drop`);
      fwd.push(`    oifname ${q(n.bridge)} iifname != ${q(n.bridge)} drop`);
    } else {
      fwd.push(`    iifname ${q(n.bridge)} oifname ${q(bridgeGlob)} oifname != ${q(n.bridge)} drop`);
      nat.push(`    ip saddr ${n.subnet} oifname != ${q(n.bridge)} masquerade`);
      if (n.subnet6) nat.push(`    ip6 saddr ${n.subnet6} oifname != ${q(n.bridge)} masquerade`);
    }
  }
  // `inet`: one table for IPv4 and IPv6, so isolation holds for both.
  return [
    `table inet ${table}`,
    `delete table inet ${table}`,
    `table inet ${table} {`,
    `  chain forward {`,
    `    type filter hook forward priority filter - 1; policy accept;`,
    ...fwd,
    `  }`,
    `  chain postrouting {`,
    `    type nat hook postrouting priority srcnat; policy accept;`,
    ...nat,
    `  }`,
    `}`,
    '',
  ].join('\n');
}

function run(binary: string, args: string[], input: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: [input ? 'pipe' : 'ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', (e) => reject(new NetworkError(`cannot run ${binary}: ${e.message}`)));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new NetworkError(`${binary} ${args.join(' ')} failed (exit ${code}): ${err.trim()}`))));
    if (child.stdin) {
      // A program that exits without reading (a failed check) must not crash the engine with EPIPE.
      child.stdin.on('error', () => undefined);
      child.stdin.end(input);
    }
  });
}

export class NftFirewall implements Firewall {
  readonly kind = 'nftables';
  constructor(private readonly table: string, private readonly bridgeGlob: string, private readonly binary = 'nft') {}

  apply(networks: readonly FirewallNetwork[]): Promise<void> {
    return run(this.binary, ['-f', '-'], nftRuleset(this.table, networks, this.bridgeGlob));
  }

  clear(): Promise<void> {
    return run(this.binary, ['-f', '-'], `table inet ${this.table}\ndelete table inet ${this.table}\n`);
  }
}

function findBinary(name: string): string | undefined {
  for (const d of ['/usr/sbin', '/sbin', '/usr/bin', '/bin']) if (existsSync(`${d}/${name}`)) return `${d}/${name}`;
  return undefined;
}

export function findNft(): string | undefined {
  return findBinary('nft');
}

/** The chains' contents for `iptables-restore --noflush` (a `:CHAIN` line
 * empties the chain first, so the whole set is replaced at once); pure. */
export function iptablesRestoreText(chain: string, networks: readonly FirewallNetwork[], bridgeGlob: string): string {
  const wildcard = bridgeGlob.replace(/\*$/, '+');
  const f: string[] = [];
  const n: string[] = [];
  for (const x of networks) {
    // Inside one network: left alone (RETURN) before the drops below.
    f.push(`-A ${chain}F -i ${x.bridge} -o ${x.bridge} -j RETURN`);
    if (x.internal) {
      f.push(`-A ${chain}F -i ${x.bridge} -j DROP`, `-A ${chain}F -o ${x.bridge} -j DROP`);
    } else {
      f.push(`-A ${chain}F -i ${x.bridge} -o ${wildcard} -j DROP`);
      n.push(`-A ${chain}N -s ${x.subnet} ! -o ${x.bridge} -j MASQUERADE`);
    }
  }
  return ['*filter', `:${chain}F - [0:0]`, ...f, 'COMMIT', '*nat', `:${chain}N - [0:0]`, ...n, 'COMMIT', ''].join('\n');
}

function tryRun(binary: string, args: string[]): Promise<boolean> {
  return run(binary, args, '').then(
    () => true,
    () => false,
  );
}

export class IptablesFirewall implements Firewall {
  readonly kind = 'iptables';
  /** `chain` is a short name of the state root (`TSC…`); the chains are `<chain>F` and `<chain>N`. */
  constructor(private readonly chain: string, private readonly bridgeGlob: string, private readonly binary = 'iptables', private readonly restore = 'iptables-restore') {}

  async apply(networks: readonly FirewallNetwork[]): Promise<void> {
    await run(this.restore, ['--noflush'], iptablesRestoreText(this.chain, networks, this.bridgeGlob));
    for (const [table, from, to] of [['filter', 'FORWARD', `${this.chain}F`], ['nat', 'POSTROUTING', `${this.chain}N`]] as const)
      if (!(await tryRun(this.binary, ['-t', table, '-C', from, '-j', to]))) await run(this.binary, ['-t', table, '-I', from, '1', '-j', to], '');
  }

  async clear(): Promise<void> {
    for (const [table, from, to] of [['filter', 'FORWARD', `${this.chain}F`], ['nat', 'POSTROUTING', `${this.chain}N`]] as const) {
      while (await tryRun(this.binary, ['-t', table, '-D', from, '-j', to])) {
        /* a jump inserted twice goes too */
      }
      await tryRun(this.binary, ['-t', table, '-F', to]);
      await tryRun(this.binary, ['-t', table, '-X', to]);
    }
  }
}

/** nftables when `nft` is there, else iptables, else none (the caller warns). */
export function detectFirewall(table: string, bridgeGlob: string): Firewall | null {
  const nft = findNft();
  if (nft) return new NftFirewall(table, bridgeGlob, nft);
  const ipt = findBinary('iptables');
  const restore = findBinary('iptables-restore');
  if (ipt && restore) return new IptablesFirewall(table.replace(/^tscompose_/, 'TSC').slice(0, 20), bridgeGlob, ipt, restore);
  return null;
}

/** Records what would be applied; for unit tests. */
export class RecordingFirewall implements Firewall {
  readonly kind = 'recording';
  readonly applied: FirewallNetwork[][] = [];
  cleared = 0;
  async apply(networks: readonly FirewallNetwork[]): Promise<void> {
    this.applied.push(networks.map((n) => ({ ...n })));
  }
  async clear(): Promise<void> {
    this.cleared++;
  }
}

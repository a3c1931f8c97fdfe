// Port mappings to compose-go's long form: short specs are read like
// docker's nat.ParsePortSpecs, so `8000-8001:80-81` becomes two entries and
// `published` stays a string (it may be a range).

import { isDict, toInt, ValueError, type Dict } from './values.js';

export interface PortEntry {
  name?: string;
  mode: string;
  host_ip?: string;
  target: number;
  published?: string;
  protocol: string;
  app_protocol?: string;
  [key: `x-${string}`]: unknown;
}

function parseRange(text: string, what: string, spec: string): [number, number] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (!m) throw new ValueError(`invalid ${what} ${JSON.stringify(text)} in port ${JSON.stringify(spec)}`);
  const start = Number(m[1]);
  const end = m[2] === undefined ? start : Number(m[2]);
  if (end < start || end > 65535) throw new ValueError(`invalid ${what} range ${JSON.stringify(text)} in port ${JSON.stringify(spec)}`);
  return [start, end];
}

/** "127.0.0.1:8080:80/udp" -> [{host_ip, published: "8080", target: 80, protocol: "udp"}]. */
export function parsePortSpec(spec: string): PortEntry[] {
  let rest = spec.trim();
  let protocol = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    protocol = rest.slice(slash + 1).toLowerCase();
    rest = rest.slice(0, slash);
    if (protocol === '') throw new ValueError(`invalid port ${JSON.stringify(spec)}: empty protocol`);
  }
  let hostIp = '';
  // An IPv6 host address is written in brackets: "[::1]:8080:80".
  const v6 = /^\[([^\]]*)\]:(.*)$/.exec(rest);
  if (v6) {
    hostIp = v6[1];
    rest = v6[2];
  }
  const parts = rest.split(':');
  let hostPort = '';
  let containerPort: string;
  if (v6) {
    if (parts.length !== 2) throw new ValueError(`invalid port ${JSON.stringify(spec)}`);
    [hostPort, containerPort] = parts;
  } else if (parts.length === 1) {
    containerPort = parts[0];
  } else if (parts.length === 2) {
    [hostPort, containerPort] = parts;
  } else if (parts.length === 3) {
    [hostIp, hostPort, containerPort] = parts;
  } else {
    // An unbracketed IPv6 address: everything before the last two fields.
    containerPort = parts[parts.length - 1];
    hostPort = parts[parts.length - 2];
    hostIp = parts.slice(0, -2).join(':');
  }
  if (containerPort === '') throw new ValueError(`invalid port ${JSON.stringify(spec)}: no container port`);
  const [start, end] = parseRange(containerPort, 'container port', spec);
  let hostStart = 0;
  let hostEnd = 0;
  if (hostPort !== '') [hostStart, hostEnd] = parseRange(hostPort, 'host port', spec);
  const count = end - start;
  if (hostPort !== '' && count !== hostEnd - hostStart && count !== 0) {
    throw new ValueError(`invalid port ${JSON.stringify(spec)}: the container and host port ranges differ in size`);
  }
  const entries: { key: string; entry: PortEntry }[] = [];
  for (let i = 0; i <= count; i++) {
    let published: string | undefined;
    if (hostPort !== '') {
      published = count === 0 ? hostPort : String(hostStart + i);
    }
    const entry: PortEntry = { mode: 'ingress', target: start + i, protocol };
    if (hostIp !== '') entry.host_ip = hostIp;
    if (published !== undefined) entry.published = published;
    entries.push({ key: `${start + i}/${protocol}`, entry });
  }
  // docker's parser returns a map; compose-go sorts its keys as strings.
  entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return entries.map((e) => ({ ...e.entry, mode: 'ingress' }));
}

export function normalizePorts(value: unknown): PortEntry[] {
  const out: PortEntry[] = [];
  for (const item of value as unknown[]) {
    if (typeof item === 'number' || typeof item === 'string') {
      out.push(...parsePortSpec(String(item)));
    } else if (isDict(item)) {
      out.push(longPort(item));
    }
  }
  return out;
}

function longPort(item: Dict): PortEntry {
  const entry: PortEntry = {
    mode: item.mode === undefined ? 'ingress' : String(item.mode),
    target: toInt(item.target ?? 0),
    protocol: item.protocol === undefined ? 'tcp' : String(item.protocol),
  };
  if (item.name !== undefined) entry.name = String(item.name);
  if (item.host_ip !== undefined) entry.host_ip = String(item.host_ip);
  if (item.published !== undefined && item.published !== '') entry.published = String(item.published);
  if (item.app_protocol !== undefined) entry.app_protocol = String(item.app_protocol);
  for (const [k, v] of Object.entries(item)) if (k.startsWith('x-')) entry[k as `x-${string}`] = v;
  return entry;
}

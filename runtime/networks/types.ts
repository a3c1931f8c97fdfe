// Shapes of the network layer: Docker's API JSON where the engine answers
// with it, and what is persisted under <root>/networks.

import type { IpamAllocation, IpamRequest, AddressPool } from './ipam.js';

/** `POST /networks/create` body (the fields we honour). */
export interface NetworkCreateRequest {
  Name: string;
  Driver?: string;
  Internal?: boolean;
  Attachable?: boolean;
  EnableIPv6?: boolean;
  IPAM?: { Driver?: string; Config?: IpamRequest[]; Options?: Record<string, string> };
  Options?: Record<string, string>;
  Labels?: Record<string, string>;
  CheckDuplicate?: boolean;
}

/** Docker's `GET /networks/{id}` answer. */
export interface NetworkRecord {
  Name: string;
  Id: string;
  Created: string;
  Scope: 'local';
  Driver: string;
  EnableIPv6: boolean;
  IPAM: { Driver: string; Options: Record<string, string> | null; Config: Array<{ Subnet: string; Gateway: string; IPRange?: string }> };
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigFrom: { Network: string };
  ConfigOnly: boolean;
  Containers: Record<string, { Name: string; EndpointID: string; MacAddress: string; IPv4Address: string; IPv6Address: string }>;
  Options: Record<string, string>;
  Labels: Record<string, string>;
}

/** Docker's `NetworkSettings.Networks[name]` of a container. */
export interface EndpointSettings {
  IPAMConfig: { IPv4Address?: string; IPv6Address?: string } | null;
  Links: string[] | null;
  Aliases: string[] | null;
  NetworkID: string;
  EndpointID: string;
  Gateway: string;
  IPAddress: string;
  IPPrefixLen: number;
  IPv6Gateway: string;
  GlobalIPv6Address: string;
  GlobalIPv6PrefixLen: number;
  MacAddress: string;
  DriverOpts: Record<string, string> | null;
}

/** A `links` entry of a container: reach `target` (a container name, id or
 * service name) also as `alias`. */
export interface LinkAlias {
  target: string;
  alias: string;
}

/** What the hosts file of a container is made from. */
export interface HostsSettings {
  /** The bind-mounted file to rewrite in place; none: nothing is written. */
  path?: string;
  /** The container's hostname (Docker: the short id unless set). */
  hostname?: string;
  domainname?: string;
  /** `extra_hosts`: `name:ip`, `name=ip`, ip may be `host-gateway`. */
  extraHosts?: string[];
}

export interface ConnectRequest {
  containerId: string;
  containerName: string;
  /** `/proc/PID/ns/net` of the container's process, or a bind-mounted netns file. */
  netnsPath: string;
  aliases?: string[];
  ipv4Address?: string;
  /** Only on a network with IPv6. */
  ipv6Address?: string;
  /** `com.docker.compose.service` label value. */
  serviceName?: string;
  links?: LinkAlias[];
  hosts?: HostsSettings;
}

export interface StoredEndpoint {
  endpointId: string;
  containerId: string;
  containerName: string;
  serviceName?: string;
  aliases: string[];
  ip: string;
  requestedIp?: string;
  ip6?: string;
  requestedIp6?: string;
  mac: string;
  /** Host end of the veth pair; deleting it deletes both ends. */
  veth: string;
  /** Name inside the container: eth0, eth1, ... */
  ifname: string;
  /** `pending` until the kernel objects exist: a crash in between is undone at reconcile. */
  state: 'pending' | 'ready';
  /** Order of joining, so hosts files list networks in a stable order. */
  seq: number;
}

export interface StoredNetwork {
  id: string;
  name: string;
  created: string;
  driver: 'bridge' | 'host' | 'null';
  internal: boolean;
  attachable: boolean;
  enableIPv6: boolean;
  labels: Record<string, string>;
  options: Record<string, string>;
  ipamOptions: Record<string, string>;
  /** Null for host and none. */
  ipam: IpamAllocation | null;
  /** The IPv6 side, when EnableIPv6 was asked and the host has IPv6. */
  ipam6?: IpamAllocation | null;
  bridge: string | null;
  mtu: number;
  predefined: boolean;
  endpoints: Record<string, StoredEndpoint>;
}

export interface StoredContainer {
  containerId: string;
  containerName: string;
  serviceName?: string;
  links: LinkAlias[];
  hosts: HostsSettings;
}

export interface NetworkManagerOptions {
  /** State root; records live under <root>/networks. */
  root: string;
  pools?: readonly AddressPool[];
  /** Prefix of every link name (`tsc`); tests use their own `tsct…`. */
  linkPrefix?: string;
  /** Host-wide lock held while a subnet is chosen and its bridge created, so
   * that two engines never pick the same subnet. */
  hostLockPath?: string;
  /** Create the `bridge`, `host` and `none` networks as Docker does. */
  predefined?: boolean;
  /** Default MTU; otherwise the MTU of the host's default-route link, at most 1500. */
  mtu?: number;
  warn?: (message: string) => void;
  /** Whether the host has IPv6 (default: /proc/sys/net/ipv6/conf/all/disable_ipv6 is 0). */
  ipv6Available?: () => boolean;
  /** Reads the host's /etc/resolv.conf (injectable for tests). */
  hostResolvConf?: () => string;
  now?: () => Date;
}

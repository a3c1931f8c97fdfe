// The network layer of the engine: bridges, veths, IPAM, hosts files, the
// port proxy and outbound NAT. See runtime/networks/README.md.
export { NetworkManager, PREDEFINED } from './network-manager.js';
export { PortProxy, portSpecs, portsForInspect, type PortSpec, type PublishedPort, type PortBinding, type Proto } from './port-proxy.js';
export { TscNetNetlink, RecordingNetlink, tscNetPath, type Netlink, type NetObject, type LinkInfo, type AddrInfo, type RouteInfo } from './netlink.js';
export { NftFirewall, IptablesFirewall, RecordingFirewall, nftRuleset, iptablesRestoreText, detectFirewall, findNft, type Firewall, type FirewallNetwork } from './firewall.js';
export { DEFAULT_POOLS, chooseSubnet, allocateAddress, releaseAddress, hostNetworks, type AddressPool, type IpamRequest, type IpamAllocation } from './ipam.js';
export { resolvConfText, FALLBACK_NAMESERVERS, type DnsSettings } from './resolv-conf.js';
export { hostsFileText, replaceSection, parseExtraHost, HOSTS_BEGIN, HOSTS_END, type HostsEntry } from './hosts-file.js';
export { hostsEntriesFor, renderHosts, writeInPlace } from './hosts-store.js';
export { parseLink, parseLinks } from './links.js';
export { bridgeName, vethName, macForIPv4, firewallTableName } from './names.js';
export { withFileLock, LockTimeoutError } from './file-lock.js';
export * from './errors.js';
export type * from './types.js';

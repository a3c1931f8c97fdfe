// What a privileged container can be given on this host: the engine's own
// bounding set of capabilities, and the host's device nodes.
import { describe, expect, it } from 'vitest';
import { ALL_CAPABILITIES } from '../../../runtime/containers/defaults.js';
import { capabilitiesInStatus } from '../../../runtime/containers/host-capabilities.js';
import { hostDevices } from '../../../runtime/containers/host-devices.js';
import { effectiveCapabilities } from '../../../runtime/containers/oci-spec.js';

describe('the capabilities a privileged container can get', () => {
  it('reads the bounding set from /proc/self/status', () => {
    expect(capabilitiesInStatus('Name:\tnode\nCapBnd:\t000001ffffffffff\n')).toEqual([...ALL_CAPABILITIES]);
    // A host without CAP_SYS_RESOURCE (bit 24), as in some sandboxes.
    const without = capabilitiesInStatus('CapBnd:\t000001fffeffffff\n');
    expect(without).toHaveLength(40);
    expect(without).not.toContain('CAP_SYS_RESOURCE');
    expect(capabilitiesInStatus('CapBnd:\t00000000a80425fb\n')).toHaveLength(14);
    expect(capabilitiesInStatus('no such line')).toEqual([...ALL_CAPABILITIES]);
  });

  it('privileged and CapAdd ALL give what is available, not more', () => {
    const available = capabilitiesInStatus('CapBnd:\t000001fffeffffff\n');
    expect(effectiveCapabilities({ Privileged: true }, available)).toEqual(available);
    expect(effectiveCapabilities({ CapAdd: ['ALL'], CapDrop: ['NET_ADMIN'] }, available)).toEqual(available.filter((c) => c !== 'CAP_NET_ADMIN'));
    expect(effectiveCapabilities({ Privileged: true })).toHaveLength(41);
  });
});

describe('the host devices a privileged container gets', () => {
  it('lists device nodes with their numbers, without /dev/console and the folders the runtime mounts', () => {
    const devices = hostDevices();
    expect(devices.find((d) => d.path === '/dev/null')).toMatchObject({ type: 'c', major: 1, minor: 3 });
    expect(devices.find((d) => d.path === '/dev/zero')).toMatchObject({ type: 'c', major: 1, minor: 5 });
    expect(devices.some((d) => d.path === '/dev/console' || /^\/dev\/(pts|shm|mqueue)\//.test(d.path))).toBe(false);
    expect(devices.every((d) => d.type === 'c' || d.type === 'b')).toBe(true);
  });
});

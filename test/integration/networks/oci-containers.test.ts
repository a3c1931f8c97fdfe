// The network layer with a real OCI runtime, wired as the engine does it:
// `runc create` (the init process and its netns exist), then connect, then
// `runc start`. Two services on one network reach each other by service name
// through the bind-mounted /etc/hosts; a third on another network cannot.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetworkManager, type NetworkRecord } from '../../../runtime/networks/index.js';
import { tscNetPath } from '../../../runtime/networks/netlink.js';
import { baseSpec, writeBundle } from '../../helpers/bundle.js';
import { onCleanup, runCleanups } from '../../helpers/cleanup.js';
import { OciRuntime } from '../../helpers/oci-runtime.js';
import { requireEnv } from '../../helpers/require-root.js';
import { tempDir } from '../../helpers/tmp.js';

const gate = requireEnv({ root: true, binaries: ['runc', 'busybox'], paths: [tscNetPath()] }, 'network tests with runc');

describe.skipIf(gate.skip)('containers under runc on bridge networks', () => {
  const prefix = `tsct${randomBytes(2).toString('hex')}`;
  let m: NetworkManager;
  let rt: OciRuntime;
  let dir: string;
  let front: NetworkRecord;
  let back: NetworkRecord;
  const ids: Record<string, string> = {};

  async function container(name: string, service: string, net: NetworkRecord, args: string[], prepare?: (rootfs: string) => void) {
    const id = randomBytes(32).toString('hex');
    ids[name] = id;
    const hosts = path.join(dir, `${name}.hosts`);
    const resolv = path.join(dir, `${name}.resolv`);
    writeFileSync(hosts, '');
    writeFileSync(resolv, m.resolvConf());
    const spec = baseSpec(args);
    spec.hostname = name;
    spec.mounts.push({ destination: '/etc/hosts', type: 'bind', source: hosts, options: ['rbind', 'ro'] });
    spec.mounts.push({ destination: '/etc/resolv.conf', type: 'bind', source: resolv, options: ['rbind', 'ro'] });
    const b = writeBundle(spec, { containerId: `${prefix}-${name}` });
    prepare?.(b.rootfs);
    const created = await rt.create(id, b.dir, [], { outputFile: path.join(dir, `${name}.out`) });
    expect(created.code, created.stderr).toBe(0);
    const { pid } = await rt.state(id);
    onCleanup(`release ${name}`, () => m.releaseContainer(id));
    const ep = await m.connect(net.Id, { containerId: id, containerName: `${prefix}-${name}`, serviceName: service, netnsPath: `/proc/${pid}/ns/net`, hosts: { path: hosts, hostname: name } });
    expect((await rt.start(id)).code).toBe(0);
    return ep;
  }

  const exec = (name: string, args: string[]) => rt.cmd(['exec', ids[name]!, ...args], { timeoutMs: 15_000 });

  beforeAll(async () => {
    dir = tempDir('netoci');
    rt = OciRuntime.of('runc');
    const ipForward = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();
    onCleanup('restore ip_forward', () => writeFileSync('/proc/sys/net/ipv4/ip_forward', ipForward));
    m = new NetworkManager({ root: path.join(dir, 'root'), pools: [{ base: '10.213.0.0/16', size: 24 }], linkPrefix: prefix, hostLockPath: path.join(dir, 'ipam.lock'), predefined: false });
    await m.load();
    onCleanup('destroy networks', () => m.destroyAll());
    front = await m.create({ Name: `${prefix}_front` });
    back = await m.create({ Name: `${prefix}_back`, Internal: true });
  });

  afterAll(runCleanups);

  it('web reaches db by service name over HTTP; the other network does not', async () => {
    await container('db', 'db', front, ['/bin/busybox', 'httpd', '-f', '-p', '80', '-h', '/www'], (rootfs) => {
      mkdirSync(path.join(rootfs, 'www'));
      writeFileSync(path.join(rootfs, 'www', 'index.html'), 'db says hi\n');
    });
    await container('web', 'web', front, ['/bin/busybox', 'sleep', '1000']);
    await container('spy', 'spy', back, ['/bin/busybox', 'sleep', '1000']);
    // busybox-static's wget crashes in a rootfs without glibc's NSS files; nc does not.
    const get = (from: string, host: string, timeout = 3) => exec(from, ['/bin/busybox', 'sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | /bin/busybox nc -w ${timeout} ${host} 80`]);
    let got = await get('web', 'db');
    for (let i = 0; i < 40 && !got.stdout.includes('db says hi'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      got = await get('web', 'db');
    }
    expect(got.stdout).toMatch(/^HTTP\/1\.[01] 200 OK/);
    expect(got.stdout).toContain('\r\n\r\ndb says hi\n');
    expect((await exec('web', ['/bin/busybox', 'cat', '/etc/hosts'])).stdout).toMatch(new RegExp(`\\tweb ${prefix}-web [0-9a-f]{12}\\n`));
    const dbIp = m.endpointOf(front.Id, ids.db!)!.IPAddress;
    const spy = await get('spy', dbIp, 2);
    expect(spy.stdout).not.toContain('db says hi');
    // Inside, the interface is eth0 with the address the IPAM gave.
    expect((await exec('web', ['/bin/busybox', 'ip', '-o', 'addr', 'show', 'eth0'])).stdout).toContain(`${m.endpointOf(front.Id, ids.web!)!.IPAddress}/24`);
  });
});

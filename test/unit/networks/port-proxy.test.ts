import { afterEach, describe, expect, it } from 'vitest';
import { createServer, connect, type Server } from 'node:net';
import { createSocket } from 'node:dgram';
import { PortProxy, portSpecs, portsForInspect } from '../../../runtime/networks/port-proxy.js';

describe('portSpecs', () => {
  it('reads Docker PortBindings: host ip, fixed, random and ranges, udp; -P for exposed ports', () => {
    expect(
      portSpecs(
        { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }], '53/udp': [{ HostPort: '' }], '9000': [{ HostPort: '9000-9010' }], '81/tcp': null },
        '10.213.0.2',
        { '80/tcp': {}, '443/tcp': {} },
        true,
      ),
    ).toEqual([
      // Integer-like keys come first in a JS object, as JSON.parse leaves them.
      { proto: 'tcp', hostIp: '', hostPort: [9000, 9010], containerIp: '10.213.0.2', containerPort: 9000 },
      { proto: 'tcp', hostIp: '127.0.0.1', hostPort: 8080, containerIp: '10.213.0.2', containerPort: 80 },
      { proto: 'udp', hostIp: '', hostPort: 0, containerIp: '10.213.0.2', containerPort: 53 },
      { proto: 'tcp', hostIp: '', hostPort: 0, containerIp: '10.213.0.2', containerPort: 81 },
      { proto: 'tcp', hostIp: '', hostPort: 0, containerIp: '10.213.0.2', containerPort: 443 },
    ]);
  });

  it('names the bad port', () => {
    expect(() => portSpecs({ '80/xyz': [] }, '1.2.3.4')).toThrow('invalid port 80/xyz: expected PORT or PORT/tcp or PORT/udp');
    expect(() => portSpecs({ '70000/tcp': [] }, '1.2.3.4')).toThrow('invalid port 70000/tcp: must be from 1 to 65535');
    expect(() => portSpecs({ '80/tcp': [{ HostPort: '90-80' }] }, '1.2.3.4')).toThrow('invalid host port 90-80 for 80/tcp: expected a port or a range like 8000-8010');
    expect(() => portSpecs({ '80/sctp': [] }, '1.2.3.4')).toThrow('port 80/sctp: sctp is not supported');
  });

  it('shows ports as container inspect does', () => {
    expect(portsForInspect([{ proto: 'tcp', hostIp: '', hostPort: 32768, containerIp: 'x', containerPort: 80 }], { '80/tcp': {}, '443/tcp': {} })).toEqual({
      '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '32768' }],
      '443/tcp': null,
    });
  });
});

describe('PortProxy on loopback', () => {
  const proxy = new PortProxy();
  const servers: Server[] = [];
  afterEach(async () => {
    await proxy.closeAll();
    for (const s of servers.splice(0)) s.close();
  });

  async function echoServer(): Promise<number> {
    const s = createServer((c) => c.pipe(c));
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    return (s.address() as { port: number }).port;
  }

  function roundTrip(port: number, text: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const c = connect(port, '127.0.0.1');
      let got = '';
      c.setEncoding('utf8').on('data', (d: string) => (got += d)).on('end', () => resolve(got)).on('error', reject);
      c.end(text);
    });
  }

  it('relays TCP with half-close, reports the random port, frees it on unpublish', async () => {
    const target = await echoServer();
    const [p] = await proxy.publish('c1', [{ proto: 'tcp', hostIp: '127.0.0.1', hostPort: 0, containerIp: '127.0.0.1', containerPort: target }]);
    expect(p!.hostPort).toBeGreaterThan(0);
    expect(await roundTrip(p!.hostPort, 'hello '.repeat(10000))).toBe('hello '.repeat(10000));
    expect(proxy.published('c1')).toEqual([p]);
    await proxy.unpublish('c1');
    await expect(roundTrip(p!.hostPort, 'x')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('takes the next free port of a range, refuses a taken port (all or none)', async () => {
    const target = await echoServer();
    const blocker = await echoServer();
    const [p] = await proxy.publish('c1', [{ proto: 'tcp', hostIp: '127.0.0.1', hostPort: [blocker, blocker + 1], containerIp: '127.0.0.1', containerPort: target }]);
    expect(p!.hostPort).toBe(blocker + 1);
    await expect(
      proxy.publish('c2', [
        { proto: 'tcp', hostIp: '127.0.0.1', hostPort: 0, containerIp: '127.0.0.1', containerPort: target },
        { proto: 'tcp', hostIp: '127.0.0.1', hostPort: blocker, containerIp: '127.0.0.1', containerPort: target },
      ]),
    ).rejects.toMatchObject({ statusCode: 409, message: `Bind for 127.0.0.1:${blocker}/tcp failed: port is already allocated` });
    expect(proxy.published('c2')).toEqual([]);
  });

  it('relays UDP both ways', async () => {
    const echo = createSocket('udp4');
    echo.on('message', (m, from) => echo.send(Buffer.concat([Buffer.from('re:'), m]), from.port, from.address));
    await new Promise<void>((r) => echo.bind(0, '127.0.0.1', r));
    try {
      const [p] = await proxy.publish('u', [{ proto: 'udp', hostIp: '127.0.0.1', hostPort: 0, containerIp: '127.0.0.1', containerPort: echo.address().port }]);
      const client = createSocket('udp4');
      const reply = await new Promise<string>((resolve) => {
        client.on('message', (m) => resolve(m.toString()));
        client.send('ping', p!.hostPort, '127.0.0.1');
      });
      client.close();
      expect(reply).toBe('re:ping');
    } finally {
      echo.close();
    }
  });
});

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { RegistryError } from '../../../runtime/images/errors.js';
import { DEFAULT_CERTS_DIR, certsDirOf, loadRegistryTls, tlsErrorFor } from '../../../runtime/images/registry-tls.js';

const dir = mkdtempSync(join(tmpdir(), 'tsct-certsd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function folder(host: string, files: Record<string, string>): void {
  mkdirSync(join(dir, host), { recursive: true });
  for (const [n, c] of Object.entries(files)) writeFileSync(join(dir, host, n), c);
}

describe('certs.d (Docker convention)', () => {
  it('defaults to /etc/docker/certs.d, overridden by TSCOMPOSE_CERTS_D, then by the option', () => {
    const before = process.env.TSCOMPOSE_CERTS_D;
    delete process.env.TSCOMPOSE_CERTS_D;
    expect(certsDirOf(undefined)).toBe(DEFAULT_CERTS_DIR);
    expect(DEFAULT_CERTS_DIR).toBe('/etc/docker/certs.d');
    process.env.TSCOMPOSE_CERTS_D = '/tmp/x';
    expect(certsDirOf(undefined)).toBe('/tmp/x');
    expect(certsDirOf('/opt/certs')).toBe('/opt/certs');
    if (before === undefined) delete process.env.TSCOMPOSE_CERTS_D;
    else process.env.TSCOMPOSE_CERTS_D = before;
  });

  it('no folder, or a folder without certificates: nothing', () => {
    expect(loadRegistryTls(dir, 'absent:5000')).toBeUndefined();
    folder('empty:5000', { 'README': 'x' });
    expect(loadRegistryTls(dir, 'empty:5000')).toBeUndefined();
  });

  it('*.crt files are CAs trusted besides the system roots', () => {
    folder('reg:5000', { 'ca.crt': 'CA-ONE', 'other.crt': 'CA-TWO' });
    const t = loadRegistryTls(dir, 'reg:5000')!;
    expect(t.dir).toBe(join(dir, 'reg:5000'));
    expect(t.ca).toEqual([...rootCertificates, 'CA-ONE', 'CA-TWO']);
    expect(t.cert).toBeUndefined();
  });

  it('NAME.cert with NAME.key is a client certificate; a .cert without its .key is an error naming the file to add', () => {
    folder('mtls:443', { 'client.cert': 'C', 'client.key': 'K' });
    const t = loadRegistryTls(dir, 'mtls:443')!;
    expect(t.cert?.toString()).toBe('C');
    expect(t.key?.toString()).toBe('K');
    expect(t.ca).toBeUndefined();
    folder('nokey:443', { 'client.cert': 'C' });
    expect(() => loadRegistryTls(dir, 'nokey:443')).toThrow(`client certificate ${join(dir, 'nokey:443', 'client.cert')} has no key: put it in ${join(dir, 'nokey:443', 'client.key')}`);
  });
});

describe('TLS errors', () => {
  const err = (code: string, message: string) => Object.assign(new Error(message), { code });

  it('an untrusted chain names the registry, the ca.crt to write and the insecure alternative; it is not retried', () => {
    const e = tlsErrorFor(err('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'), 'reg.example:5000', '/etc/docker/certs.d')!;
    expect(e).toBeInstanceOf(RegistryError);
    expect(e.message).toBe(
      'registry reg.example:5000: TLS certificate not trusted: self-signed certificate in certificate chain (SELF_SIGNED_CERT_IN_CHAIN). ' +
        "Put the CA certificate that signed the registry's certificate in /etc/docker/certs.d/reg.example:5000/ca.crt, " +
        'or, only for a registry on a network you trust, run the engine with --insecure-registry reg.example:5000',
    );
    expect(e.httpStatus).toBe(0);
  });

  it('a certificate for another name', () => {
    const e = tlsErrorFor(Object.assign(err('ERR_TLS_CERT_ALTNAME_INVALID', 'x'), { reason: "IP: 10.0.0.1 is not in the cert's list: " }), '10.0.0.1:443', '/c')!;
    expect(e.message).toMatch(/^registry 10\.0\.0\.1:443: TLS certificate not trusted: its certificate is not valid for 10\.0\.0\.1/);
  });

  it('https to a plain-http server', () => {
    const e = tlsErrorFor(err('EPROTO', 'write EPROTO 80:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:ssl3_record.c:350:'), 'h:1', '/nonexistent')!;
    expect(e.message).toBe('registry h:1: TLS handshake failed (the server does not speak TLS); if the registry serves plain http, run the engine with --insecure-registry h:1');
  });

  it('other errors stay as they are (network errors are retried)', () => {
    expect(tlsErrorFor(err('ECONNRESET', 'socket hang up'), 'h:1', '/c')).toBeUndefined();
  });
});

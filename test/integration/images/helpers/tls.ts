// A throw-away certificate authority and certificates made with the openssl
// CLI, for a TLS registry on 127.0.0.1.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CertFiles {
  cert: string;
  key: string;
  /** PEM of the certificate. */
  pem: string;
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A self-signed CA (`<dir>/<name>.crt`, `.key`). */
export function makeCa(dir: string, name: string): CertFiles {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  return { cert, key, pem: readFileSync(cert, 'utf8') };
}

/**
 * A certificate signed by `ca`: for a server (`sans` like `IP:127.0.0.1`,
 * `DNS:localhost`) or, with `client`, for TLS client authentication.
 */
export function issueCert(dir: string, name: string, ca: CertFiles, opts: { sans?: string[]; client?: boolean } = {}): CertFiles {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${name}`]);
  const lines = ['basicConstraints=CA:FALSE', `extendedKeyUsage=${opts.client ? 'clientAuth' : 'serverAuth'}`];
  if (opts.sans?.length) lines.push(`subjectAltName=${opts.sans.join(',')}`);
  writeFileSync(ext, lines.join('\n') + '\n');
  openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-out', cert, '-days', '2', '-extfile', ext]);
  return { cert, key, pem: readFileSync(cert, 'utf8') };
}

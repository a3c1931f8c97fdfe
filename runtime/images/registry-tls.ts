// TLS trust for registries in Docker's convention: a folder per registry,
// `<certs.d>/<host[:port]>/`, holding CA certificates (`*.crt`) trusted on top
// of the system roots, and client certificates (`NAME.cert` with `NAME.key`)
// for registries that ask for one.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { join } from 'node:path';
import { RegistryError } from './errors.js';

export const DEFAULT_CERTS_DIR = '/etc/docker/certs.d';

/** The certs.d root: the store option, else TSCOMPOSE_CERTS_D (tests), else Docker's. */
export function certsDirOf(option: string | undefined): string {
  return option ?? process.env.TSCOMPOSE_CERTS_D ?? DEFAULT_CERTS_DIR;
}

export interface RegistryTls {
  /** The registry's folder under certs.d (named in errors). */
  dir: string;
  /** System roots plus the folder's CAs; undefined when the folder has none. */
  ca?: string[];
  cert?: Buffer;
  key?: Buffer;
}

/**
 * What `<certsDir>/<host>` says about `host`, or undefined when there is no
 * such folder or it holds no certificate. A client certificate without its
 * key is an error (as in Docker), not something to ignore silently.
 */
export function loadRegistryTls(certsDir: string, host: string): RegistryTls | undefined {
  const dir = join(certsDir, host);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return undefined;
  const names = readdirSync(dir).sort();
  const cas = names.filter((n) => n.endsWith('.crt')).map((n) => readFileSync(join(dir, n), 'utf8'));
  const out: RegistryTls = { dir };
  if (cas.length) out.ca = [...rootCertificates, ...cas];
  const certs = names.filter((n) => n.endsWith('.cert'));
  if (certs.length) {
    const certName = certs[0];
    const keyName = certName.slice(0, -'.cert'.length) + '.key';
    if (!names.includes(keyName)) {
      throw new RegistryError(`registry ${host}: client certificate ${join(dir, certName)} has no key: put it in ${join(dir, keyName)}`, 0, `https://${host}/v2/`);
    }
    out.cert = readFileSync(join(dir, certName));
    out.key = readFileSync(join(dir, keyName));
  }
  return out.ca || out.cert ? out : undefined;
}

/** OpenSSL's verdicts on a certificate chain that node reports as `err.code`. */
const UNTRUSTED_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * A TLS failure reaching `host`, as an error that names the registry and the
 * fix; undefined for other errors (network errors stay retryable).
 */
export function tlsErrorFor(err: unknown, host: string, certsDir: string): RegistryError | undefined {
  const e = err as NodeJS.ErrnoException & { reason?: string };
  const url = `https://${host}/v2/`;
  const caPath = join(certsDir, host, 'ca.crt');
  if (e?.code && UNTRUSTED_CODES.has(e.code)) {
    const why = e.code === 'ERR_TLS_CERT_ALTNAME_INVALID' ? `its certificate is not valid for ${host.replace(/:\d+$/, '')}${e.reason ? ` (${e.reason})` : ''}` : `${e.message} (${e.code})`;
    return new RegistryError(
      `registry ${host}: TLS certificate not trusted: ${why}. ` +
        `Put the CA certificate that signed the registry's certificate in ${caPath}, ` +
        `or, only for a registry on a network you trust, run the engine with --insecure-registry ${host}`,
      0,
      url,
    );
  }
  const text = String(e?.message ?? '');
  if (e?.code === 'EPROTO' || e?.code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number|packet length too long/i.test(text)) {
    const why = /wrong version number|packet length too long/i.test(text) ? 'the server does not speak TLS' : (/:([^:]+):[^:]*:\d+:?$/.exec(text)?.[1] ?? text.split('\n')[0]);
    return new RegistryError(
      `registry ${host}: TLS handshake failed (${why}); if the registry serves plain http, run the engine with --insecure-registry ${host}` +
        (existsSync(join(certsDir, host)) ? ` or remove ${join(certsDir, host)}` : ''),
      0,
      url,
    );
  }
  return undefined;
}

// Credentials from ~/.docker/config.json (`auths`) and from the engine API's
// X-Registry-Auth header. Credential helpers (`credsStore`) are not run: the
// engine never executes programs on behalf of a registry lookup.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { RegistryAuth } from './types.js';

interface DockerConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
}

/** Keys under which Docker Hub credentials are stored by `docker login`. */
const HUB_KEYS = ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io', 'https://registry-1.docker.io'];

/** Normalizes an `auths` key (`https://host:port/v1/`) to `host:port`. */
export function authKeyHost(key: string): string {
  let k = key.trim();
  k = k.replace(/^[a-z]+:\/\//i, '');
  const slash = k.indexOf('/');
  if (slash !== -1) k = k.slice(0, slash);
  return k.toLowerCase();
}

/**
 * Credentials for `domain` (the reference's domain: `docker.io`, `127.0.0.1:5000`)
 * from the parsed config text. The `auth` field is base64 `user:password`.
 */
export function credentialsFromConfig(configText: string, domain: string): RegistryAuth | undefined {
  let cfg: DockerConfigFile;
  try {
    cfg = JSON.parse(configText) as DockerConfigFile;
  } catch {
    return undefined;
  }
  const auths = cfg.auths ?? {};
  const wanted = domain === 'docker.io' ? HUB_KEYS.map(authKeyHost) : [domain.toLowerCase()];
  for (const [key, entry] of Object.entries(auths)) {
    if (!wanted.includes(authKeyHost(key)) || !entry) continue;
    if (entry.identitytoken) return { identitytoken: entry.identitytoken };
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const i = decoded.indexOf(':');
      if (i > 0) return { username: decoded.slice(0, i), password: decoded.slice(i + 1) };
    }
    if (entry.username && entry.password) return { username: entry.username, password: entry.password };
  }
  return undefined;
}

/** Reads `<home>/.docker/config.json` (or $DOCKER_CONFIG/config.json); undefined when absent. */
export function loadDockerCredentials(domain: string, home?: string): RegistryAuth | undefined {
  const dir = home ? join(home, '.docker') : (process.env.DOCKER_CONFIG ?? join(homedir(), '.docker'));
  let text: string;
  try {
    text = readFileSync(join(dir, 'config.json'), 'utf8');
  } catch {
    return undefined;
  }
  return credentialsFromConfig(text, domain);
}

/**
 * Decodes the engine API's `X-Registry-Auth` header: base64url JSON
 * `{username, password, serveraddress}` or `{identitytoken}`. Empty or
 * unusable headers give undefined (anonymous), as in Docker.
 */
export function decodeRegistryAuthHeader(header: string | undefined): RegistryAuth | undefined {
  if (!header) return undefined;
  let obj: Record<string, unknown>;
  try {
    const b64 = header.replace(/-/g, '+').replace(/_/g, '/');
    obj = JSON.parse(Buffer.from(b64, 'base64').toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof obj.identitytoken === 'string' && obj.identitytoken) return { identitytoken: obj.identitytoken };
  if (typeof obj.username === 'string' && obj.username && typeof obj.password === 'string') {
    return { username: obj.username, password: obj.password, serveraddress: typeof obj.serveraddress === 'string' ? obj.serveraddress : undefined };
  }
  return undefined;
}

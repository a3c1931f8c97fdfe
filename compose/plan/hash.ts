// The config hash stored in `com.docker.compose.config-hash` on every
// container: when it differs from the hash of the service as now written, the
// container is recreated.
//
// Fields left out, because changing them must not recreate a running
// container (they say how to get the image or how many containers to run, not
// what one container is):
//   build, pull_policy, scale, deploy.replicas, depends_on, profiles
// That is docker compose's list (pkg/compose/hash.go). compose-go also never
// serializes `name` and the `x-*` extensions (json:"-"), so we leave those out
// too. Differences from docker compose, on purpose:
//   - Canonical JSON with sorted keys, so the hash does not depend on key
//     order. docker compose marshals the Go struct (field order), so the two
//     tools' hashes are not interchangeable: a container created by docker
//     compose is recreated once by tscompose, and the other way round.
//   - `service:x` references are hashed as written. docker compose first
//     resolves them to container ids; we recreate namespace-sharing
//     dependents explicitly in the planner instead (same effect, see
//     reconcile.ts).

import { createHash } from 'node:crypto';
import type { NetworkConfig, ServiceConfig, VolumeConfig } from '../types.js';

/** Top-level service keys that never force a recreate. */
export const HASH_EXCLUDED_KEYS: readonly string[] = ['build', 'pull_policy', 'scale', 'depends_on', 'profiles', 'name'];

/** SHA-256 (hex) of the canonical JSON of `service` minus the fields above. */
export function configHash(service: ServiceConfig): string {
  return createHash('sha256').update(canonicalJson(hashedView(service))).digest('hex');
}

/** The part of the service that the hash covers. */
export function hashedView(service: ServiceConfig): Record<string, unknown> {
  const view: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(service)) {
    if (HASH_EXCLUDED_KEYS.includes(key) || key.startsWith('x-')) continue;
    view[key] = value;
  }
  if (service.deploy !== undefined && service.deploy !== null) {
    const { replicas: _replicas, ...deploy } = service.deploy;
    view.deploy = deploy;
  }
  return view;
}

/**
 * JSON with object keys sorted at every level. `undefined` members are left
 * out, as JSON.stringify does, so `{a: undefined}` and `{}` hash the same.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    return text === undefined ? 'null' : text;
  }
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.keys(value)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}

/**
 * Hash of a network's configuration, stored in its config-hash label so a
 * later `up` can tell that the file changed under an existing network.
 */
export function networkConfigHash(config: NetworkConfig): string {
  return createHash('sha256').update(canonicalJson(config)).digest('hex');
}

/** Like networkConfigHash; an unset driver counts as `local` (as docker compose does). */
export function volumeConfigHash(config: VolumeConfig): string {
  return createHash('sha256').update(canonicalJson({ ...config, driver: config.driver ?? 'local' })).digest('hex');
}

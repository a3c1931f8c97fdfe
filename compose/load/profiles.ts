// Profiles: services that name profiles run only when one of them is active.
// Applied to the merged model, so a profile added by an override file counts.

import { ProjectError } from '../errors.js';
import { isPlainObject } from './merge.js';

/** `--profile` values, else COMPOSE_PROFILES (comma separated); `*` enables every profile. */
export function activeProfiles(flags: readonly string[] | undefined, environment: Readonly<Record<string, string>>): string[] {
  if (flags && flags.length > 0) return [...flags];
  return (environment['COMPOSE_PROFILES'] ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

function profilesOf(service: unknown): string[] {
  return isPlainObject(service) && Array.isArray(service['profiles']) ? service['profiles'].map(String) : [];
}

function isEnabled(service: unknown, profiles: readonly string[]): boolean {
  const own = profilesOf(service);
  return own.length === 0 || profiles.includes('*') || own.some((p) => profiles.includes(p));
}

export interface ProfilesResult {
  /** The model with only the enabled services. */
  readonly model: Record<string, unknown>;
  /** Services the active profiles leave out, by name. */
  readonly disabledServices: Record<string, unknown>;
  /** The profiles in effect, including those of services named on the command line. */
  readonly profiles: readonly string[];
}

/**
 * Splits services into enabled and disabled. A service named in `selected`
 * activates its own profiles (docker compose does this so `run debug` works
 * without `--profile debug`). An enabled service that needs a disabled one is
 * an error unless the dependency says `required: false`, in which case the
 * dependency is dropped.
 */
export function applyProfiles(model: Record<string, unknown>, requested: readonly string[], selected: readonly string[] = []): ProfilesResult {
  const services = isPlainObject(model['services']) ? model['services'] : {};
  const profiles = [...requested];
  for (const name of selected) {
    const service = services[name];
    if (service !== undefined && !isEnabled(service, profiles)) profiles.push(...profilesOf(service).filter((p) => !profiles.includes(p)));
  }
  const enabled: Record<string, unknown> = {};
  const disabled: Record<string, unknown> = {};
  for (const [name, service] of Object.entries(services)) {
    if (isEnabled(service, profiles)) enabled[name] = service;
    else disabled[name] = service;
  }
  for (const [name, service] of Object.entries(enabled)) {
    if (!isPlainObject(service)) continue;
    const dependsOn = service['depends_on'];
    const entries: [string, unknown][] = Array.isArray(dependsOn)
      ? dependsOn.map((d) => [String(d), null])
      : isPlainObject(dependsOn) ? Object.entries(dependsOn) : [];
    const dropped: string[] = [];
    for (const [dependency, config] of entries) {
      if (!(dependency in disabled)) continue;
      const required = !(isPlainObject(config) && config['required'] === false);
      if (required) {
        const needed = profilesOf(disabled[dependency]);
        throw new ProjectError(
          `service ${JSON.stringify(name)} depends on service ${JSON.stringify(dependency)}, which is disabled by profiles: ` +
            `enable it with ${needed.map((p) => `--profile ${p}`).join(' or ')}, or mark the dependency required: false`,
        );
      }
      dropped.push(dependency);
    }
    if (dropped.length > 0 && isPlainObject(dependsOn)) {
      enabled[name] = { ...service, depends_on: Object.fromEntries(Object.entries(dependsOn).filter(([d]) => !dropped.includes(d))) };
    }
  }
  return { model: { ...model, services: enabled }, disabledServices: disabled, profiles };
}

// Cross-references a valid file can still get wrong: an undefined service,
// network, volume, secret or config; contradicting values. Texts follow
// compose-go's so people find them in docker's docs and issues.

import { isDict, type Dict } from './values.js';

const INVALID = 'invalid compose project';

export interface ConsistencyInput {
  readonly services: Readonly<Record<string, Dict>>;
  readonly networks: Readonly<Record<string, Dict>>;
  readonly volumes: Readonly<Record<string, Dict>>;
  readonly secrets: Readonly<Record<string, Dict>>;
  readonly configs: Readonly<Record<string, Dict>>;
  readonly models: Readonly<Record<string, unknown>>;
  /** Services switched off by profiles: an optional dependency on them is fine. */
  readonly disabledServices: ReadonlySet<string>;
}

export type DataPath = (string | number)[];

/** One inconsistency and the place in the model it is about (for file:line). */
export interface Problem {
  readonly message: string;
  readonly path: DataPath;
}

export function checkConsistency(p: ConsistencyInput): Problem[] {
  const errors: Problem[] = [];
  const report = (path: DataPath, message: string) => errors.push({ message, path });
  for (const name of Object.keys(p.services).sort()) {
    const s = p.services[name];
    if (s.build === undefined && s.image === undefined && s.provider === undefined) {
      report(['services', name], `service "${name}" has neither an image nor a build context specified: ${INVALID}`);
    }
    const build = s.build as Dict | undefined;
    if (build && build.dockerfile_inline !== undefined && build.dockerfile !== undefined) {
      report(['services', name, 'build'], `service "${name}" declares mutually exclusive dockerfile and dockerfile_inline: ${INVALID}`);
    }
    const exclusive = s.network_mode !== undefined && isDict(s.networks) && Object.keys(s.networks).length > 0;
    if (exclusive) report(['services', name, 'network_mode'], `service ${name} declares mutually exclusive \`network_mode\` and \`networks\`: ${INVALID}`);
    // With network_mode set the networks are not used: one error about them is enough.
    for (const network of exclusive ? [] : Object.keys((s.networks as Dict | undefined) ?? {})) {
      if (!(network in p.networks)) report(['services', name, 'networks', network], `service "${name}" refers to undefined network ${network}: ${INVALID}`);
    }
    const test = (s.healthcheck as Dict | undefined)?.test;
    if (Array.isArray(test) && test.length > 0 && !['CMD', 'CMD-SHELL', 'NONE'].includes(String(test[0]))) {
      report(['services', name, 'healthcheck', 'test'], `services.${name}.healthcheck.test must start either by "CMD", "CMD-SHELL" or "NONE"`);
    }
    for (const [dep, cfg] of Object.entries((s.depends_on as Record<string, Dict> | undefined) ?? {})) {
      if (dep in p.services) continue;
      if (p.disabledServices.has(dep) && cfg.required === false) continue;
      report(['services', name, 'depends_on', dep], `service "${name}" depends on undefined service "${dep}": ${INVALID}`);
    }
    const mode = typeof s.network_mode === 'string' ? s.network_mode : '';
    if (mode.startsWith('service:')) {
      const target = mode.slice('service:'.length);
      if (!(target in p.services)) report(['services', name, 'network_mode'], `service "${target}" not found for network_mode 'service:${target}'`);
    }
    for (const mount of (s.volumes as Dict[] | undefined) ?? []) {
      if (mount.type === 'volume' && typeof mount.source === 'string' && mount.source !== '' && !(mount.source in p.volumes)) {
        report(['services', name, 'volumes'], `service "${name}" refers to undefined volume ${mount.source}: ${INVALID}`);
      }
    }
    for (const secret of ((build?.secrets as Dict[] | undefined) ?? [])) {
      if (!(String(secret.source) in p.secrets)) report(['services', name, 'build', 'secrets'], `service "${name}" refers to undefined build secret ${String(secret.source)}: ${INVALID}`);
    }
    for (const config of (s.configs as Dict[] | undefined) ?? []) {
      if (!(String(config.source) in p.configs)) report(['services', name, 'configs'], `service "${name}" refers to undefined config ${String(config.source)}: ${INVALID}`);
    }
    for (const secret of (s.secrets as Dict[] | undefined) ?? []) {
      if (!(String(secret.source) in p.secrets)) report(['services', name, 'secrets'], `service "${name}" refers to undefined secret ${String(secret.source)}: ${INVALID}`);
    }
    const models = s.models;
    for (const model of Array.isArray(models) ? models.map(String) : Object.keys((models as Dict | undefined) ?? {})) {
      if (!(model in p.models)) report(['services', name, 'models'], `service "${name}" refers to undefined model ${model}: ${INVALID}`);
    }
    const deploy = s.deploy as Dict | undefined;
    const replicas = deploy?.replicas as number | undefined;
    const scale = s.scale as number | undefined;
    if (scale !== undefined && replicas !== undefined && scale !== replicas) {
      report(['services', name, 'scale'], `services.${name}: can't set distinct values on 'scale' and 'deploy.replicas': ${INVALID}`);
    }
    if (scale !== undefined && scale < 0) report(['services', name, 'scale'], `services.${name}.scale: must be greater than or equal to 0`);
    if (replicas !== undefined && replicas < 0) report(['services', name, 'deploy', 'replicas'], `services.${name}.deploy.replicas: must be greater than or equal to 0`);
    const limits = ((deploy?.resources as Dict | undefined)?.limits ?? undefined) as Dict | undefined;
    const reservations = ((deploy?.resources as Dict | undefined)?.reservations ?? undefined) as Dict | undefined;
    const same = (attr: string, value: unknown, other: unknown, otherName: string) => {
      if (value !== undefined && value !== 0 && other !== undefined && value !== other) {
        report(['services', name, attr], `services.${name}: can't set distinct values on '${attr}' and '${otherName}': ${INVALID}`);
      }
    };
    same('cpus', s.cpus, limits?.cpus, 'deploy.resources.limits.cpus');
    same('mem_limit', s.mem_limit, limits?.memory, 'deploy.resources.limits.memory');
    same('mem_reservation', s.mem_reservation, reservations?.memory, 'deploy.resources.reservations.memory');
    same('pids_limit', s.pids_limit, limits?.pids, 'deploy.resources.limits.pids');
    const effectiveScale = scale ?? replicas ?? 1;
    if (effectiveScale > 1 && s.container_name !== undefined) {
      report(['services', name, 'container_name'], `services.${name}: can't set container_name and ${scale !== undefined ? 'scale' : 'deploy.replicas'} as container name must be unique: ${INVALID}`);
    }
    const mounts = new Map<string, string>();
    ((s.tmpfs as string[] | undefined) ?? []).forEach((tmpfs, i) => {
      const target = tmpfs.split(':')[0];
      const where = `services.${name}.tmpfs[${i}]`;
      const previous = mounts.get(target);
      if (previous) report(['services', name, 'tmpfs', i], `${where}: target ${target} already mounted as ${previous}`);
      else mounts.set(target, where);
    });
    ((s.volumes as Dict[] | undefined) ?? []).forEach((mount, i) => {
      const target = String(mount.target);
      const where = `services.${name}.volumes[${i}]`;
      const previous = mounts.get(target);
      if (previous) report(['services', name, 'volumes', i], `${where}: target ${target} already mounted as ${previous}`);
      else mounts.set(target, where);
    });
  }
  for (const name of Object.keys(p.secrets).sort()) {
    const secret = p.secrets[name];
    if (secret.external === true || secret.driver !== undefined) continue;
    if (secret.file === undefined && secret.environment === undefined) {
      report(['secrets', name], `secret "${name}" must declare either \`file\` or \`environment\`: ${INVALID}`);
    }
  }
  return errors;
}

// Valid compose keys the tscompose engine does not act on yet. They stay in
// the project (and in `config` output) but each use is announced, so nothing
// is dropped silently. One row per key; remove the row when support lands.

export const UNSUPPORTED_SERVICE_KEYS: Readonly<Record<string, string>> = {
  gpus: 'no GPU support',
  develop: 'no watch mode',
  provider: 'no provider services',
  models: 'no model runner',
  credential_spec: 'Windows only',
  isolation: 'Windows only',
  cpu_count: 'Windows only',
  cpu_percent: 'Windows only',
  blkio_config: 'no block I/O limits',
  cpu_rt_period: 'no real-time scheduling limits',
  cpu_rt_runtime: 'no real-time scheduling limits',
  device_cgroup_rules: 'no device cgroup rules',
  storage_opt: 'no storage driver options',
  runtime: 'one runtime per engine',
  userns_mode: 'no user namespace remapping',
  post_start: 'no lifecycle hooks',
  pre_stop: 'no lifecycle hooks',
  use_api_socket: 'no API socket in containers',
  pull_refresh_after: 'no scheduled pulls',
  volume_driver: 'only the local volume driver',
};

/** Keys under `deploy` that a single-host engine does not apply. */
export const UNSUPPORTED_DEPLOY_KEYS: Readonly<Record<string, string>> = {
  placement: 'single host',
  update_config: 'no rolling updates',
  rollback_config: 'no rolling updates',
  endpoint_mode: 'no swarm load balancing',
};

export function unsupportedWarnings(serviceName: string, service: Readonly<Record<string, unknown>>): string[] {
  const warnings: string[] = [];
  for (const key of Object.keys(service)) {
    if (key in UNSUPPORTED_SERVICE_KEYS) warnings.push(`service ${serviceName}: '${key}' is not supported yet, ignored`);
  }
  const deploy = service.deploy;
  if (deploy && typeof deploy === 'object') {
    for (const key of Object.keys(deploy)) {
      if (key in UNSUPPORTED_DEPLOY_KEYS) warnings.push(`service ${serviceName}: 'deploy.${key}' is not supported yet, ignored`);
    }
    const devices = (deploy as { resources?: { reservations?: { devices?: unknown } } }).resources?.reservations?.devices;
    if (devices !== undefined) warnings.push(`service ${serviceName}: 'deploy.resources.reservations.devices' is not supported yet, ignored`);
  }
  return warnings;
}

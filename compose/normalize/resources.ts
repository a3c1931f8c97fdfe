// Top-level networks, volumes, secrets and configs: the name each gets on
// the engine (`<project>_<key>` unless `name:` is set or the resource is
// external, then the key itself), and their scalar fields in one form.

import { absolutePath } from './services.js';
import { isDict, toBool, toStringMap, type Dict } from './values.js';

export type ResourceKind = 'networks' | 'volumes' | 'secrets' | 'configs';

export interface ResourceScope {
  readonly projectName: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly workingDir: string;
  readonly homeDir: string;
}

function external(item: Dict): void {
  if (item.external === undefined) return;
  if (isDict(item.external)) {
    // Legacy `external: {name: x}` names the resource and marks it external.
    const legacyName = item.external.name;
    if (legacyName !== undefined && item.name === undefined) item.name = String(legacyName);
    item.external = true;
    return;
  }
  item.external = toBool(item.external);
}

export function normalizeResource(kind: ResourceKind, key: string, value: unknown, scope: ResourceScope): Dict {
  const item: Dict = isDict(value) ? { ...value } : {};
  external(item);
  if (item.name === undefined) item.name = item.external === true ? key : `${scope.projectName}_${key}`;
  if (item.labels !== undefined) item.labels = toStringMap(item.labels);
  if (item.driver_opts !== undefined) item.driver_opts = toStringMap(item.driver_opts);
  if (kind === 'networks') {
    for (const flag of ['internal', 'attachable', 'enable_ipv4', 'enable_ipv6']) if (item[flag] !== undefined) item[flag] = toBool(item[flag]);
    // compose-go always prints `ipam`, empty or not.
    item.ipam = isDict(item.ipam) ? { ...item.ipam } : {};
  }
  const opts = item.driver_opts as Record<string, string> | undefined;
  if (kind === 'volumes' && item.driver === 'local' && opts?.o === 'bind' && opts.device !== undefined) {
    // A local volume with `o: bind` is a bind mount in disguise: its device is a host path.
    item.driver_opts = { ...opts, device: absolutePath(opts.device, scope) };
  }
  if ((kind === 'secrets' || kind === 'configs') && typeof item.file === 'string') item.file = absolutePath(item.file, scope);
  // `environment: VAR` takes the value from the project environment now, so the engine needs no environment later.
  if ((kind === 'secrets' || kind === 'configs') && typeof item.environment === 'string' && Object.prototype.hasOwnProperty.call(scope.environment, item.environment)) {
    item.content = scope.environment[item.environment];
  }
  return item;
}

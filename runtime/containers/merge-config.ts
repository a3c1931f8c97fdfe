// Create-time merge of the request's Config with the image's, by Docker's
// rules (daemon/commit.go merge): what the user gave wins, the image fills
// the gaps, and a user Entrypoint cancels the image's Cmd.

import type { ContainerConfig } from '../client/types.js';
import { InvalidContainerConfigError } from './errors.js';

/** The part of an image config a container inherits. */
export interface ImageRuntimeConfig {
  User?: string;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Entrypoint?: string[] | null;
  WorkingDir?: string;
  ExposedPorts?: Record<string, object> | null;
  Volumes?: Record<string, object> | null;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  Healthcheck?: ContainerConfig['Healthcheck'];
  Shell?: string[] | null;
}

function envKey(entry: string): string {
  const i = entry.indexOf('=');
  return i < 0 ? entry : entry.slice(0, i);
}

/** Image Env first, then the user's; a user entry replaces the image's of the same key. */
export function mergeEnv(imageEnv: readonly string[] | null | undefined, userEnv: readonly string[] | null | undefined): string[] {
  const user = userEnv ?? [];
  const userKeys = new Set(user.map(envKey));
  return [...(imageEnv ?? []).filter((e) => !userKeys.has(envKey(e))), ...user];
}

export function mergeImageConfig(user: ContainerConfig, image: ImageRuntimeConfig): ContainerConfig {
  const merged: ContainerConfig = { ...user };
  // `--entrypoint ""` arrives as [""]: it means "no entrypoint", not the image's.
  const userEntrypoint = user.Entrypoint && user.Entrypoint.length === 1 && user.Entrypoint[0] === '' ? [] : user.Entrypoint;
  merged.Entrypoint = userEntrypoint ?? null;
  merged.Cmd = user.Cmd ?? null;
  if (!userEntrypoint || userEntrypoint.length === 0) {
    if (!user.Cmd || user.Cmd.length === 0) merged.Cmd = image.Cmd ?? null;
    if (userEntrypoint === undefined || userEntrypoint === null) merged.Entrypoint = image.Entrypoint ?? null;
  }
  merged.Env = mergeEnv(image.Env, user.Env);
  if (!merged.WorkingDir) merged.WorkingDir = image.WorkingDir ?? '';
  if (!merged.User) merged.User = image.User ?? '';
  merged.Labels = { ...(image.Labels ?? {}), ...(user.Labels ?? {}) };
  if (image.ExposedPorts || user.ExposedPorts) merged.ExposedPorts = { ...(image.ExposedPorts ?? {}), ...(user.ExposedPorts ?? {}) };
  if (image.Volumes || user.Volumes) merged.Volumes = { ...(image.Volumes ?? {}), ...(user.Volumes ?? {}) };
  if (!merged.StopSignal && image.StopSignal) merged.StopSignal = image.StopSignal;
  if (!merged.Healthcheck && image.Healthcheck) merged.Healthcheck = image.Healthcheck;
  if (!merged.Shell && image.Shell) merged.Shell = image.Shell;
  return merged;
}

/** Path and Args as inspect shows them: entrypoint then cmd. */
export function commandOf(config: ContainerConfig): { path: string; args: string[] } {
  const argv = [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])];
  if (argv.length === 0 || argv[0] === '') throw new InvalidContainerConfigError('No command specified');
  return { path: argv[0], args: argv.slice(1) };
}

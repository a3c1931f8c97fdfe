// A service's `build:` section → the engine's POST /build, as docker
// compose v2 sends it: the context folder tarred (.dockerignore honoured),
// the Dockerfile, args (`--build-arg` over `build.args`), target, labels
// (the section's plus the project and service labels, which `down --rmi
// local` looks for), the tags (`<project>-<service>` or `image:`, plus
// `build.tags`), no_cache/pull from the section or the command line. Keys
// the classic builder cannot honour are named in warnings, never dropped
// silently.

import type { BuildImageOptions } from '../../../runtime/client/index.js';
import { LABEL_PROJECT, LABEL_SERVICE, LABEL_VERSION } from '../../plan/labels.js';
import type { BuildImageOp } from '../../plan/plan.js';
import { ComposeRunError } from './errors.js';

/** What the command line adds to every build (`build`/`up --build` flags). */
export interface BuildSettings {
  readonly noCache?: boolean;
  readonly pull?: boolean;
  /** `--build-arg KEY=VALUE` (a bare KEY takes the environment's value). */
  readonly args?: Readonly<Record<string, string>>;
  /** Report the build's own output (RUN output) as log lines: plain and json progress. */
  readonly showOutput?: boolean;
}

export interface BuildPlan {
  readonly context: string;
  readonly dockerfile?: string;
  readonly dockerfileInline?: string;
  readonly options: BuildImageOptions;
  readonly warnings: readonly string[];
}

/** Section keys that BuildKit honours and the classic builder cannot: warned about. */
const UNSUPPORTED = ['ssh', 'secrets', 'cache_from', 'cache_to', 'additional_contexts', 'extra_hosts', 'isolation', 'privileged', 'shm_size', 'ulimits', 'entitlements'] as const;

/** `--build-arg` values: `KEY=VALUE`, or `KEY` from the environment (left out when unset). */
export function parseBuildArgs(values: readonly string[], env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq === 0) throw new ComposeRunError(`invalid --build-arg "${v}": expected KEY=VALUE`);
    if (eq < 0) {
      if (env[v] !== undefined) out[v] = env[v]!;
    } else out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

export function buildPlanOf(op: BuildImageOp, projectName: string, version: string, settings: BuildSettings = {}): BuildPlan {
  const b = op.build;
  if (/^(https?:\/\/|git@|git:\/\/|github\.com\/)/.test(b.context)) {
    throw new ComposeRunError(`service "${op.service}": build context ${b.context} is remote; this engine builds from a local folder only: clone it and point build.context at the folder`);
  }
  const warnings = UNSUPPORTED.filter((k) => b[k] !== undefined).map((k) => `service "${op.service}": build.${k} is not supported by the classic builder and is ignored`);
  const platforms = Array.isArray(b.platforms) ? (b.platforms as string[]) : [];
  if (platforms.length > 1) warnings.push(`service "${op.service}": build.platforms lists several platforms; building only for ${platforms[0]}`);
  const extraTags = Array.isArray(b.tags) ? (b.tags as string[]) : [];
  const args: Record<string, string> = {};
  for (const [k, v] of Object.entries(b.args ?? {})) if (v !== null && v !== undefined) args[k] = String(v);
  Object.assign(args, settings.args ?? {});
  const labels: Record<string, string> = { ...(b.labels ?? {}), [LABEL_PROJECT]: projectName, [LABEL_SERVICE]: op.service, [LABEL_VERSION]: version };
  return {
    context: b.context,
    ...(b.dockerfile_inline !== undefined ? { dockerfileInline: b.dockerfile_inline } : { dockerfile: b.dockerfile ?? 'Dockerfile' }),
    options: {
      tags: [op.image, ...extraTags.filter((t) => t !== op.image)],
      buildArgs: args,
      labels,
      ...(b.target ? { target: b.target } : {}),
      ...(settings.noCache || b.no_cache === true ? { noCache: true } : {}),
      ...(settings.pull || b.pull === true ? { pull: true } : {}),
      ...(typeof b.network === 'string' && b.network ? { networkMode: b.network } : {}),
      ...(op.platform ?? platforms[0] ? { platform: op.platform ?? platforms[0] } : {}),
      rm: true,
      forceRm: true,
    },
    warnings,
  };
}

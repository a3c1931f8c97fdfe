// Interpolation of one parsed file, before any merge: each file is
// interpolated with the same environment, and errors point at the line of the
// file the value came from. Only values are interpolated, never mapping keys
// (as compose-go). After substitution, strings at paths where the schema wants
// a number or boolean are cast, so `replicas: ${N}` validates as an integer.

import { ComposeFileError, throwIfAny } from '../errors.js';
import { setOwn, TaggedValue, type Locator } from './parse.js';
import { InvalidTemplateError, MissingVariableError, substitute, type Lookup } from './template.js';

type Cast = (value: string) => { value: unknown; warning?: string } | { error: string };

const toInt: Cast = (v) => (/^[+-]?\d+$/.test(v) ? { value: Number(v) } : { error: `${JSON.stringify(v)} is not an integer` });
const toFloat: Cast = (v) =>
  /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v) ? { value: Number(v) } : { error: `${JSON.stringify(v)} is not a number` };
const toBoolean: Cast = (v) => {
  const lower = v.toLowerCase();
  if (lower === 'true') return { value: true };
  if (lower === 'false') return { value: false };
  // YAML 1.1 spellings: accepted like compose-go, with its warning.
  if (['y', 'yes', 'on'].includes(lower)) return { value: true, warning: `"${v}" for boolean is not supported by YAML 1.2, please use \`true\`` };
  if (['n', 'no', 'off'].includes(lower)) return { value: false, warning: `"${v}" for boolean is not supported by YAML 1.2, please use \`false\`` };
  return { error: `${JSON.stringify(v)} is not a boolean (use true or false)` };
};

/** compose-go's interpolateTypeCastMapping: `*` is any mapping key or list index. */
export const CAST_PATHS: Readonly<Record<string, Cast>> = {
  'services.*.cpu_count': toInt,
  'services.*.cpu_percent': toFloat,
  'services.*.cpu_period': toInt,
  'services.*.cpu_quota': toInt,
  'services.*.cpu_rt_period': toInt,
  'services.*.cpu_rt_runtime': toInt,
  'services.*.cpus': toFloat,
  'services.*.cpu_shares': toInt,
  'services.*.init': toBoolean,
  'services.*.depends_on.*.required': toBoolean,
  'services.*.depends_on.*.restart': toBoolean,
  'services.*.deploy.replicas': toInt,
  'services.*.deploy.update_config.parallelism': toInt,
  'services.*.deploy.update_config.max_failure_ratio': toFloat,
  'services.*.deploy.rollback_config.parallelism': toInt,
  'services.*.deploy.rollback_config.max_failure_ratio': toFloat,
  'services.*.deploy.restart_policy.max_attempts': toInt,
  'services.*.deploy.placement.max_replicas_per_node': toInt,
  'services.*.healthcheck.retries': toInt,
  'services.*.healthcheck.disable': toBoolean,
  'services.*.oom_kill_disable': toBoolean,
  'services.*.oom_score_adj': toInt,
  'services.*.pids_limit': toInt,
  'services.*.ports.*.target': toInt,
  'services.*.privileged': toBoolean,
  'services.*.read_only': toBoolean,
  'services.*.scale': toInt,
  'services.*.stdin_open': toBoolean,
  'services.*.tty': toBoolean,
  'services.*.ulimits.*': toInt,
  'services.*.ulimits.*.hard': toInt,
  'services.*.ulimits.*.soft': toInt,
  'services.*.volumes.*.read_only': toBoolean,
  'services.*.volumes.*.volume.nocopy': toBoolean,
  'networks.*.external': toBoolean,
  'networks.*.internal': toBoolean,
  'networks.*.attachable': toBoolean,
  'networks.*.enable_ipv4': toBoolean,
  'networks.*.enable_ipv6': toBoolean,
  'volumes.*.external': toBoolean,
  'secrets.*.external': toBoolean,
  'configs.*.external': toBoolean,
};

const CAST_PATTERNS = Object.entries(CAST_PATHS).map(([pattern, cast]) => ({ segments: pattern.split('.'), cast }));

function castFor(path: readonly (string | number)[]): Cast | undefined {
  for (const { segments, cast } of CAST_PATTERNS) {
    if (segments.length === path.length && segments.every((s, i) => s === '*' || s === String(path[i]))) return cast;
  }
  return undefined;
}

export interface InterpolateOptions {
  readonly lookup: Lookup;
  /** File name for errors. */
  readonly file: string;
  readonly baseDir?: string;
  /** Maps a path to the position of its value. */
  readonly locate?: Locator;
}

export interface InterpolateResult {
  readonly data: Record<string, unknown>;
  readonly warnings: readonly string[];
}

export function unsetVariableWarning(name: string): string {
  return `The "${name}" variable is not set. Defaulting to a blank string.`;
}

/** Substitutes variables in every string value; all errors are reported together. */
export function interpolateDocument(data: Record<string, unknown>, options: InterpolateOptions): InterpolateResult {
  const warnings: string[] = [];
  const errors: ComposeFileError[] = [];
  const fail = (path: (string | number)[], detail: string) => {
    const position = options.locate?.(path);
    errors.push(
      new ComposeFileError(detail, { file: options.file, line: position?.line, column: position?.column, path: path.join('.'), baseDir: options.baseDir }),
    );
  };

  const walk = (value: unknown, path: (string | number)[]): unknown => {
    if (typeof value === 'string') {
      let result: string;
      try {
        const substituted = substitute(value, options.lookup);
        warnings.push(...substituted.unset.map(unsetVariableWarning));
        result = substituted.value;
      } catch (err) {
        if (err instanceof MissingVariableError) fail(path, err.message);
        else if (err instanceof InvalidTemplateError) {
          fail(path, `invalid interpolation format for ${path.join('.')}: ${JSON.stringify(value)}; you may need to escape any $ with another $`);
        } else throw err;
        return value;
      }
      const cast = castFor(path);
      if (!cast) return result;
      const casted = cast(result);
      if ('error' in casted) {
        fail(path, `${path.join('.')}: ${casted.error}`);
        return result;
      }
      if (casted.warning) warnings.push(casted.warning);
      return casted.value;
    }
    if (Array.isArray(value)) return value.map((item, i) => walk(item, [...path, i]));
    if (value instanceof TaggedValue) return new TaggedValue(value.tag, walk(value.value, path));
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) setOwn(out, key, walk(item, [...path, key]));
      return out;
    }
    return value;
  };

  const interpolated = walk(data, []) as Record<string, unknown>;
  throwIfAny(errors);
  return { data: interpolated, warnings };
}

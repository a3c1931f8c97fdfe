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

/** Patterns by path length, as only those of the same length can match; the order of the table is kept. */
const CAST_BY_LENGTH = new Map<number, { segments: string[]; cast: Cast }[]>();
for (const pattern of CAST_PATTERNS) CAST_BY_LENGTH.set(pattern.segments.length, [...(CAST_BY_LENGTH.get(pattern.segments.length) ?? []), pattern]);

function castFor(path: readonly (string | number)[]): Cast | undefined {
  const candidates = CAST_BY_LENGTH.get(path.length);
  if (!candidates) return undefined;
  // From the last segment back, where patterns differ most.
  next: for (const { segments, cast } of candidates) {
    for (let i = segments.length - 1; i >= 0; i--) {
      const s = segments[i]!;
      if (s !== '*' && s !== String(path[i])) continue next;
    }
    return cast;
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
      let result = value;
      if (value.includes('$')) {
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
    // Containers are copied only when something inside them changed: the
    // later phases never modify their input (with --no-interpolate they get
    // the parsed data itself), and most of a file has no variables.
    if (Array.isArray(value)) {
      let out: unknown[] | undefined;
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        const next = walk(item, [...path, i]);
        if (out) out.push(next);
        else if (next !== item) {
          out = value.slice(0, i);
          out.push(next);
        }
      }
      return out ?? value;
    }
    if (value instanceof TaggedValue) {
      const inner = walk(value.value, path);
      return inner === value.value ? value : new TaggedValue(value.tag, inner);
    }
    if (value !== null && typeof value === 'object') {
      const record = value as Record<string, unknown>;
      let out: Record<string, unknown> | undefined;
      const keys = Object.keys(record);
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        const item = record[key];
        const next = walk(item, [...path, key]);
        if (out) setOwn(out, key, next);
        else if (next !== item) {
          out = {};
          for (let j = 0; j < i; j++) setOwn(out, keys[j]!, record[keys[j]!]);
          setOwn(out, key, next);
        }
      }
      return out ?? value;
    }
    return value;
  };

  const interpolated = walk(data, []) as Record<string, unknown>;
  throwIfAny(errors);
  return { data: interpolated, warnings };
}

// A container's health check as the monitor runs it: the request's
// Config.Healthcheck merged over the image's (Docker's daemon/commit.go
// rules: what the user set wins field by field, an empty Test inherits the
// image's), Docker's defaults filled in, and the probe's argv built.

import { InvalidContainerConfigError } from '../errors.js';
import type { HealthConfig } from '../../client/types.js';

export const DEFAULT_INTERVAL_MS = 30_000;
export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_START_PERIOD_MS = 0;
export const DEFAULT_START_INTERVAL_MS = 5_000;
export const DEFAULT_RETRIES = 3;
/** Docker's MinimumDuration for every health-check duration that is set. */
const MINIMUM_NS = 1_000_000;

export interface ResolvedHealthCheck {
  /** The Test as configured (`["CMD-SHELL", "pg_isready"]`). */
  test: string[];
  /** What is executed in the container. */
  argv: string[];
  intervalMs: number;
  timeoutMs: number;
  startPeriodMs: number;
  startIntervalMs: number;
  retries: number;
  /** The timeout in nanoseconds, kept for the log message (`exceeded timeout (30s)`). */
  timeoutNs: number;
}

/** A 400 at create: it is an InvalidContainerConfigError, so the API answers with its message as is. */
export class HealthConfigError extends InvalidContainerConfigError {}

/** Docker's create-time checks (daemon/container.go validateHealthCheck); the message is the API's 400 text. */
export function validateHealthConfig(config: HealthConfig | undefined | null): void {
  if (!config) return;
  const durations: Array<[keyof HealthConfig, string]> = [
    ['Interval', 'Interval'], ['Timeout', 'Timeout'], ['StartPeriod', 'StartPeriod'], ['StartInterval', 'StartInterval'],
  ];
  for (const [key, label] of durations) {
    const v = config[key] as number | undefined;
    if (v !== undefined && v !== null && typeof v !== 'number') throw new HealthConfigError(`${label} in Healthcheck must be a number of nanoseconds`);
    if (v && v < MINIMUM_NS) throw new HealthConfigError(`${label} in Healthcheck cannot be less than 1ms`);
  }
  if ((config.Retries ?? 0) < 0) throw new HealthConfigError('Retries in Healthcheck cannot be negative');
}

/** Docker's merge of the request's health check over the image's. */
export function mergeHealthConfig(user: HealthConfig | undefined | null, image: HealthConfig | undefined | null): HealthConfig | undefined {
  if (!user) return image ? { ...image } : undefined;
  if (!image) return { ...user };
  return {
    Test: user.Test && user.Test.length ? user.Test : image.Test,
    Interval: user.Interval || image.Interval,
    Timeout: user.Timeout || image.Timeout,
    StartPeriod: user.StartPeriod || image.StartPeriod,
    StartInterval: user.StartInterval || image.StartInterval,
    Retries: user.Retries || image.Retries,
  };
}

const nsToMs = (ns: number | undefined, dflt: number): number => (ns ? ns / 1e6 : dflt);

/**
 * The check to run, or undefined when there is none: no config, an empty
 * Test, `["NONE"]`, or an unknown kind (Docker only warns about those).
 * `shell` is the container's Config.Shell, used by CMD-SHELL like Docker.
 */
export function resolveHealthCheck(config: HealthConfig | undefined | null, shell?: string[] | null): ResolvedHealthCheck | undefined {
  const test = config?.Test ?? [];
  if (!config || test.length === 0) return undefined;
  let argv: string[];
  switch (test[0]) {
    case 'CMD': argv = test.slice(1); break;
    case 'CMD-SHELL': argv = [...(shell && shell.length ? shell : ['/bin/sh', '-c']), ...test.slice(1)]; break;
    default: return undefined; // NONE, or a kind Docker does not run either
  }
  if (test.length < 2) return undefined;
  return {
    test: [...test],
    argv,
    intervalMs: nsToMs(config.Interval, DEFAULT_INTERVAL_MS),
    timeoutMs: nsToMs(config.Timeout, DEFAULT_TIMEOUT_MS),
    startPeriodMs: nsToMs(config.StartPeriod, DEFAULT_START_PERIOD_MS),
    startIntervalMs: nsToMs(config.StartInterval, DEFAULT_START_INTERVAL_MS),
    retries: config.Retries && config.Retries > 0 ? config.Retries : DEFAULT_RETRIES,
    timeoutNs: config.Timeout || DEFAULT_TIMEOUT_MS * 1e6,
  };
}

/** Go's time.Duration.String(), which Docker prints in probe messages: `30s`, `1m30s`, `1.5s`, `500ms`. */
export function goDuration(ns: number): string {
  if (ns === 0) return '0s';
  const neg = ns < 0;
  let n = Math.round(Math.abs(ns));
  const sign = neg ? '-' : '';
  const frac = (v: number, digits: number): string => {
    const whole = Math.floor(v / 10 ** digits);
    const rest = (v % 10 ** digits).toString().padStart(digits, '0').replace(/0+$/, '');
    return rest ? `${whole}.${rest}` : `${whole}`;
  };
  if (n < 1_000) return `${sign}${n}ns`;
  if (n < 1_000_000) return `${sign}${frac(n, 3)}µs`;
  if (n < 1_000_000_000) return `${sign}${frac(n, 6)}ms`;
  const h = Math.floor(n / 3_600e9);
  n -= h * 3_600e9;
  const m = Math.floor(n / 60e9);
  n -= m * 60e9;
  const s = frac(n, 9);
  if (h) return `${sign}${h}h${m}m${s}s`;
  if (m) return `${sign}${m}m${s}s`;
  return `${sign}${s}s`;
}

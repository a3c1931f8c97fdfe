// Option parsers shared by the commands, with errors that name the flag.

import type { Command } from 'commander';
import { UsageError } from '../context.js';

export const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

export function intOption(flag: string): (value: string) => number {
  return (value) => {
    if (!/^-?\d+$/.test(value.trim())) throw new UsageError(`${flag} takes a whole number, not "${value}"`);
    return Number.parseInt(value, 10);
  };
}

/** Whether the user typed the flag (a `--x`/`--no-x` pair has a default either way). */
export function optionGiven(cmd: Command, key: string): boolean {
  return cmd.getOptionValueSource(key) === 'cli';
}

/** `--scale web=3` (repeatable) -> {web: 3}. */
export function parseScale(values: readonly string[] | undefined): Record<string, number> | undefined {
  if (!values || values.length === 0) return undefined;
  const out: Record<string, number> = {};
  for (const v of values) {
    const m = /^([^=]+)=(\d+)$/.exec(v);
    if (!m) throw new UsageError(`--scale takes SERVICE=NUMBER, like --scale web=3, not "${v}"`);
    out[m[1]] = Number(m[2]);
  }
  return out;
}

export function pullPolicy(value: string | undefined): 'always' | 'missing' | 'never' | 'build' | 'policy' | undefined {
  if (value === undefined) return undefined;
  if (value === 'always' || value === 'missing' || value === 'never' || value === 'build') return value;
  if (value === 'policy') return 'policy';
  throw new UsageError(`--pull takes always, missing or never, not "${value}"`);
}

/** `-e KEY=VALUE` / `-e KEY` (from the environment) -> map. */
export function parseEnvFlags(values: readonly string[] | undefined, env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values ?? []) {
    const at = v.indexOf('=');
    if (at < 0) {
      const fromEnv = env[v];
      if (fromEnv !== undefined) out[v] = fromEnv;
    } else out[v.slice(0, at)] = v.slice(at + 1);
  }
  return out;
}

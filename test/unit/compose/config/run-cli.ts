// Runs the real CLI in-process on a temporary project directory.

import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { main } from '../../../../compose/cli/main.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  written: Record<string, string>;
}

export function projectDir(files: Record<string, string>): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'tsct-config-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function runCli(args: string[], options: { cwd: string; env?: Record<string, string>; stdin?: string }): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const written: Record<string, string> = {};
  const code = await main(['node', 'tscompose', ...args], {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    cwd: options.cwd,
    env: options.env ?? { PATH: '/usr/bin' },
    readStdin: () => options.stdin ?? '',
    writeFile: (path, text) => (written[path] = text),
  });
  return { code, stdout, stderr, written };
}

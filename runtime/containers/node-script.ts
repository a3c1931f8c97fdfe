// How to run one of our own modules as a separate node process: compiled
// JavaScript runs as is; TypeScript (tests, development) runs under tsx,
// found from this checkout rather than from the caller's working directory.

import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

export function nodeScriptArgs(scriptPath: string): string[] {
  if (!scriptPath.endsWith('.ts')) return [scriptPath];
  const loader = createRequire(import.meta.url).resolve('tsx');
  return ['--import', pathToFileURL(loader).href, scriptPath];
}

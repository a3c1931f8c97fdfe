// The loader's only window on the file system. Kept tiny and synchronous so
// tests can swap in an in-memory tree and the pure passes stay pure.

import { readFileSync, statSync } from 'node:fs';
import { dirname, posix } from 'node:path';
import { ComposeFileError } from '../errors.js';

export interface LoaderFs {
  /** The file's text; throws an Error with `code` ENOENT/EACCES/EISDIR like node's fs. */
  readFile(path: string): string;
  /** What is at `path`, or undefined when nothing is (or it cannot be seen). */
  kind(path: string): 'file' | 'dir' | undefined;
}

export const nodeFs: LoaderFs = {
  readFile: (path) => readFileSync(path, 'utf8'),
  kind(path) {
    try {
      const st = statSync(path);
      return st.isDirectory() ? 'dir' : 'file';
    } catch {
      return undefined;
    }
  },
};

/** An in-memory tree of absolute posix paths to file contents; parent directories exist implicitly. */
export function memoryFs(files: Readonly<Record<string, string>>): LoaderFs {
  const dirs = new Set<string>();
  for (const file of Object.keys(files)) {
    for (let dir = dirname(file); ; dir = dirname(dir)) {
      dirs.add(dir);
      if (dir === dirname(dir)) break;
    }
  }
  return {
    readFile(path) {
      const normalized = posix.normalize(path);
      const content = files[normalized];
      if (content !== undefined) return content;
      const code = dirs.has(normalized) ? 'EISDIR' : 'ENOENT';
      throw Object.assign(new Error(`${code}: ${path}`), { code });
    },
    kind(path) {
      const normalized = posix.normalize(path);
      if (files[normalized] !== undefined) return 'file';
      return dirs.has(normalized) ? 'dir' : undefined;
    },
  };
}

/** Reads a file, turning node's error codes into a sentence a person can act on. */
export function readTextFile(fs: LoaderFs, path: string, baseDir?: string): string {
  try {
    return fs.readFile(path);
  } catch (err) {
    const code = err instanceof Error && 'code' in err ? String((err as { code: unknown }).code) : '';
    const detail =
      code === 'ENOENT' ? 'no such file or directory'
      : code === 'EACCES' || code === 'EPERM' ? 'permission denied'
      : code === 'EISDIR' ? 'is a directory, not a file'
      : `cannot be read: ${err instanceof Error ? err.message : String(err)}`;
    throw new ComposeFileError(detail, { file: path, baseDir });
  }
}

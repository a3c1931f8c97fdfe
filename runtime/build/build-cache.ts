// The build cache: the state after a step, by a key made of the state
// before it and what the step does (its instruction with variables
// substituted, the build args a RUN sees, the content hash of what a COPY
// copies). A hit gives the very same layers and config, so a rebuild of an
// unchanged Dockerfile yields the same image id. Entries are checked on use:
// one whose layers the image store has since removed is a miss.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../images/content-store.js';
import type { ImageConfig } from '../images/index.js';

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  comment?: string;
  empty_layer?: boolean;
  author?: string;
}

/** What a build stage is at one point: the image it would be. */
export interface BuildState {
  architecture: string;
  os: string;
  variant?: string;
  diffIds: string[];
  config: ImageConfig;
  history: HistoryEntry[];
  created: string;
  author?: string;
}

interface CacheFile {
  version: 1;
  entries: Record<string, { state: BuildState; used: string }>;
}

const MAX_ENTRIES = 5000;

export class BuildCache {
  private file: CacheFile = { version: 1, entries: {} };
  private saving: Promise<void> = Promise.resolve();

  constructor(private readonly path: string) {
    if (existsSync(path)) {
      try {
        const parsed = JSON.parse(readFileSync(path, 'utf8')) as CacheFile;
        if (parsed.version === 1 && parsed.entries) this.file = parsed;
      } catch {
        /* a broken cache is an empty one */
      }
    }
  }

  static at(dir: string): BuildCache {
    return new BuildCache(join(dir, 'cache.json'));
  }

  get(key: string, valid: (s: BuildState) => boolean): BuildState | undefined {
    const e = this.file.entries[key];
    if (!e) return undefined;
    if (!valid(e.state)) {
      delete this.file.entries[key];
      return undefined;
    }
    e.used = new Date().toISOString();
    return structuredClone(e.state);
  }

  /** Every cached state (to keep their layers from the store's GC). */
  states(): BuildState[] {
    return Object.values(this.file.entries).map((e) => e.state);
  }

  put(key: string, state: BuildState): void {
    this.file.entries[key] = { state: structuredClone(state), used: new Date().toISOString() };
  }

  /** Writes the cache (oldest entries dropped beyond the limit). */
  save(): Promise<void> {
    const keys = Object.keys(this.file.entries);
    if (keys.length > MAX_ENTRIES) {
      keys.sort((a, b) => this.file.entries[a].used.localeCompare(this.file.entries[b].used));
      for (const k of keys.slice(0, keys.length - MAX_ENTRIES)) delete this.file.entries[k];
    }
    const text = JSON.stringify(this.file);
    this.saving = this.saving.catch(() => undefined).then(() => writeFileAtomic(this.path, text));
    return this.saving;
  }

  /** `docker builder prune`: forget everything. */
  async clear(): Promise<number> {
    const n = Object.keys(this.file.entries).length;
    this.file.entries = {};
    await this.save();
    return n;
  }
}

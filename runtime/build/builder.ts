// The builder behind `POST /build`: Docker's classic builder, step by step.
//
//   context tar ──tsc-unpack──▶ <root>/build/ctx-*/      (chrooted, like a layer)
//   Dockerfile ──parse──▶ stages ──▶ for each instruction of each stage:
//       cache key = state key + what the step does ──hit──▶ the cached state
//       config-only (ENV, CMD, LABEL, ...)  → new config + history entry
//       RUN  → a container of the engine on the current state (a temporary
//              untagged image), its output streamed; its upper dir → a layer
//       COPY/ADD/WORKDIR → an overlay of the current layers mounted here,
//              files written into it; its upper dir → a layer
//   last stage (or --target) ──▶ config blob ──▶ image store, tagged
//
// A state is the image a stage would be at that point (build-cache.ts); its
// id, shown after each step, is the digest of that image's config blob, so
// a fully cached rebuild gives the same image id. Every layer made or used
// is pinned against the store's GC until the image that uses it is recorded.

import { createHash, randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { createReadStream, mkdirSync, promises as fsp, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, posix } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import type { ContainerCreateRequest } from '../client/types.js';
import { parseDockerignore, type IgnorePattern } from '../client/dockerignore.js';
import type { ContainerManager } from '../containers/container-manager.js';
import type { ImageConfig, ImageStore, PullProgress, RegistryAuth } from '../images/index.js';
import { chainIds, detectCompression, runUnpacker } from '../images/layer-store.js';
import { hostPlatform, parsePlatform } from '../images/manifest.js';
import { parseReference, tagKey } from '../images/reference.js';
import { peek } from '../images/stream-util.js';
import { resolveInRoot } from '../volumes/in-root.js';
import { BuildCache, type BuildState } from './build-cache.js';
import { planSources, writeSources, type CopyPlan, type SourceRoot } from './copy.js';
import { parseDockerfile, type Dockerfile, type Instruction } from './dockerfile-parser.js';
import { BuildError, DockerfileError, InvalidBuildRequestError, RunStepFailedError } from './errors.js';
import { commitUpperDir } from './layer-diff.js';
import { openRootfsSession, type RootfsSession } from './rootfs-session.js';
import { expandWord, expandWords, ExpansionError, splitRawWords } from './shell-lex.js';
import { blobOf, envValue, exposedPorts, healthcheckOf, stateId } from './image-config.js';

export type BuildContainers = Pick<ContainerManager, 'create' | 'start' | 'wait' | 'remove' | 'attachOutput' | 'dirOf'>;

/** One line of the build's JSON stream. */
export interface BuildMessage {
  stream?: string;
  aux?: { ID: string };
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
}

export interface BuildRequest {
  /** The body: a tar of the context (plain, gzip or zstd), or a bare Dockerfile. */
  context: Readable;
  /** Path of the Dockerfile in the context; default `Dockerfile`. */
  dockerfile?: string;
  tags?: string[];
  buildArgs?: Record<string, string | null>;
  labels?: Record<string, string>;
  target?: string;
  noCache?: boolean;
  pull?: boolean;
  /** Remove the containers of RUN steps that succeeded (default true). */
  rm?: boolean;
  /** Remove them whatever happened. */
  forceRm?: boolean;
  quiet?: boolean;
  /** Network of RUN steps: `bridge` (default), `none`, `host`. */
  networkMode?: string;
  platform?: string;
  /** Credentials by registry host (X-Registry-Config). */
  auth?: Record<string, RegistryAuth>;
  signal?: AbortSignal;
  output: (msg: BuildMessage) => void;
}

export interface BuildResult {
  id: string;
  tags: string[];
}

interface Stage {
  index: number;
  name?: string;
  from: Instruction;
  instructions: Instruction[];
}

interface StageResult {
  state: BuildState;
  key: string;
}

/** Per-stage mutable build status. */
interface StageRun {
  state: BuildState;
  key: string;
  /** ARGs declared in this stage: name → value (undefined: declared without a value). */
  args: Map<string, string | undefined>;
  cmdSet: boolean;
}

const sha256 = (s: string | Buffer): string => createHash('sha256').update(s).digest('hex');
const short = (id: string): string => id.replace(/^sha256:/, '').slice(0, 12);
const DEFAULT_SHELL = ['/bin/sh', '-c'];
const NOP = '/bin/sh -c #(nop) ';

export interface BuilderOptions {
  store: ImageStore;
  containers: BuildContainers;
  /** The engine's state root: the builder works under <root>/build. */
  root: string;
  /** Engine events (image tag). */
  emit?: (action: string, id: string, attrs: Record<string, string>) => void;
}

export class Builder {
  readonly dir: string;
  private readonly cache: BuildCache;

  constructor(private readonly opts: BuilderOptions) {
    this.dir = join(opts.root, 'build');
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    this.sweep();
    this.cache = BuildCache.at(this.dir);
    for (const state of this.cache.states()) this.hold(state);
  }

  /**
   * The layers of cached states stay while the engine runs even when no
   * image uses them (the stages before the last of a multi-stage build), as
   * Docker's build cache does until `docker builder prune`. The store's GC
   * at open knows nothing of them: after a restart such entries are misses.
   */
  private readonly held = new Map<string, () => void>();
  private hold(state: BuildState): void {
    for (const c of chainIds(state.diffIds)) if (!this.held.has(c)) this.held.set(c, this.opts.store.pin([c]));
  }

  /** Debris of a build cut short by a crash: contexts, archives, and mounted states (unmounted first). */
  private sweep(): void {
    for (const name of readdirSync(this.dir)) {
      if (!/^(ctx|fs|arc)-/.test(name)) continue;
      const p = join(this.dir, name);
      if (name.startsWith('fs-')) spawnSync('umount', ['-l', join(p, 'merged')], { stdio: 'ignore' });
      try {
        rmSync(p, { recursive: true, force: true });
      } catch {
        /* still busy: the next start tries again */
      }
    }
  }

  /** `docker builder prune`: forgets the cache (layers go with the store's next GC). */
  async pruneCache(): Promise<number> {
    for (const unpin of this.held.values()) unpin();
    this.held.clear();
    const n = await this.cache.clear();
    await this.opts.store.gc();
    return n;
  }

  async build(req: BuildRequest): Promise<BuildResult> {
    return new BuildRun(this.opts, this.dir, this.cache, req, (s) => this.hold(s)).run();
  }
}

class BuildRun {
  private readonly store: ImageStore;
  private readonly unpins: Array<() => void> = [];
  private readonly cleanups: Array<() => Promise<void>> = [];
  private readonly stageResults: StageResult[] = [];
  private readonly stageNames = new Map<string, number>();
  private readonly usedArgs = new Set<string>();
  private metaArgs = new Map<string, string | undefined>();
  private ctxDir = '';
  private ignore: IgnorePattern[] = [];
  private step = 0;
  private totalSteps = 0;
  private dockerfile!: Dockerfile;
  private readonly platform;

  constructor(
    private readonly opts: BuilderOptions,
    private readonly dir: string,
    private readonly cache: BuildCache,
    private readonly req: BuildRequest,
    private readonly hold: (state: BuildState) => void,
  ) {
    this.store = opts.store;
    this.platform = req.platform ? parsePlatform(req.platform) : hostPlatform();
  }

  private out(text: string): void {
    if (!this.req.quiet) this.req.output({ stream: text });
  }

  private pin(keys: string[]): void {
    this.unpins.push(this.store.pin(keys));
  }

  private fail(ins: Instruction | undefined, reason: string): never {
    throw new DockerfileError(this.req.dockerfile ?? 'Dockerfile', ins?.line, reason);
  }

  async run(): Promise<BuildResult> {
    const tags = (this.req.tags ?? []).filter(Boolean).map((t) => {
      try {
        const ref = parseReference(t);
        if (ref.digest) throw new Error('a digest');
        return tagKey(ref);
      } catch {
        throw new InvalidBuildRequestError(`invalid tag "${t}": expected name[:tag] (lowercase letters, digits, separators)`);
      }
    });
    // BuildKit's automatic platform args, which Dockerfiles use in `FROM --platform=$BUILDPLATFORM` and `ARG TARGETARCH`.
    const host = hostPlatform();
    const plat = (p: { os: string; architecture: string; variant?: string }): string => `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
    for (const [k, v] of Object.entries({
      TARGETPLATFORM: plat(this.platform), TARGETOS: this.platform.os, TARGETARCH: this.platform.architecture, TARGETVARIANT: this.platform.variant ?? '',
      BUILDPLATFORM: plat(host), BUILDOS: host.os, BUILDARCH: host.architecture, BUILDVARIANT: host.variant ?? '',
    })) this.metaArgs.set(k, v);
    try {
      await this.receiveContext();
      const stages = this.stages();
      const last = this.targetStage(stages);
      this.totalSteps = stages.slice(0, last + 1).reduce((n, s) => n + 1 + s.instructions.length, 0);
      let result: StageResult | undefined;
      for (const stage of stages.slice(0, last + 1)) {
        if (this.req.signal?.aborted) throw new BuildError('the build was cancelled');
        result = await this.buildStage(stage);
        this.stageResults[stage.index] = result;
        if (stage.name) this.stageNames.set(stage.name.toLowerCase(), stage.index);
      }
      const unused = Object.keys(this.req.buildArgs ?? {}).filter((a) => !this.usedArgs.has(a) && !PREDEFINED_ARGS.has(a));
      if (unused.length) this.out(`[Warning] One or more build-args [${unused.join(' ')}] were not consumed\n`);
      const final = structuredClone(result!.state);
      if (this.req.labels && Object.keys(this.req.labels).length) final.config.Labels = { ...(final.config.Labels ?? {}), ...this.req.labels };
      const blob = Buffer.from(JSON.stringify(blobOf(final)));
      const id = await this.store.content.putBuffer(blob);
      this.pin([id]);
      await this.store.layers.sync();
      await this.store.registerImage(id, { tags });
      for (const t of tags) this.opts.emit?.('tag', id, { name: t });
      this.req.output({ aux: { ID: id } });
      // Quiet: the id is all the output, as dockerd's (the docker CLI prints that stream).
      if (this.req.quiet) this.req.output({ stream: `${id}\n` });
      this.out(`Successfully built ${short(id)}\n`);
      for (const t of tags) this.out(`Successfully tagged ${t}\n`);
      return { id, tags };
    } finally {
      await this.cache.save().catch(() => undefined);
      for (const c of this.cleanups.reverse()) await c().catch(() => undefined);
      if (this.ctxDir) await fsp.rm(this.ctxDir, { recursive: true, force: true }).catch(() => undefined);
      for (const u of this.unpins) u();
    }
  }

  // ---- context and Dockerfile ----

  private async receiveContext(): Promise<void> {
    this.ctxDir = join(this.dir, `ctx-${randomBytes(6).toString('hex')}`);
    await fsp.mkdir(this.ctxDir, { mode: 0o700 });
    const { head, stream } = await peek(this.req.context, 512);
    if (head.length === 0) throw new InvalidBuildRequestError('the build context is empty: send a tar of the context folder (or a Dockerfile) as the body');
    const compression = detectCompression(head);
    const isTar = compression !== 'none' || (head.length >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar');
    const name = this.req.dockerfile || 'Dockerfile';
    if (!isTar) {
      // `docker build - < Dockerfile`: the body is the Dockerfile itself, with an empty context.
      const chunks: Buffer[] = [];
      for await (const c of stream) chunks.push(c as Buffer);
      await fsp.writeFile(join(this.ctxDir, 'Dockerfile'), Buffer.concat(chunks));
      this.dockerfile = parseDockerfile(Buffer.concat(chunks).toString('utf8'), 'Dockerfile');
      return;
    }
    await runUnpacker(this.store.layers.unpackBinary, this.ctxDir, false, stream, compression, new PassThrough(), 'build context');
    const ignoreFile = resolveInRoot(this.ctxDir, '/.dockerignore');
    try {
      if (ignoreFile.kind === 'file') this.ignore = parseDockerignore(readFileSync(ignoreFile.path!, 'utf8'));
    } finally {
      ignoreFile.close();
    }
    const entry = resolveInRoot(this.ctxDir, `/${name}`);
    let text: string;
    try {
      if (entry.kind !== 'file') throw new InvalidBuildRequestError(`Cannot locate specified Dockerfile: ${name}`);
      text = readFileSync(entry.path!, 'utf8');
    } finally {
      entry.close();
    }
    this.dockerfile = parseDockerfile(text, name);
  }

  private stages(): Stage[] {
    const stages: Stage[] = [];
    for (const ins of this.dockerfile.instructions) {
      if (ins.keyword === 'FROM') {
        const words = ins.args.split(/\s+/).filter(Boolean);
        const name = words.length === 3 ? words[2].toLowerCase() : undefined;
        if (name && stages.some((s) => s.name === name)) this.fail(ins, `duplicate name for build stage: "${name}"`);
        stages.push({ index: stages.length, name, from: ins, instructions: [] });
        continue;
      }
      if (stages.length === 0) {
        if (ins.keyword !== 'ARG') this.fail(ins, `no build stage in current context: ${ins.keyword} must come after FROM (only ARG may come before the first FROM)`);
        for (const [k, v] of this.argPairs(ins, (n) => this.metaArgs.get(n))) {
          const given = this.req.buildArgs?.[k];
          this.metaArgs.set(k, given !== undefined && given !== null ? given : v);
          this.usedArgs.add(k);
        }
        continue;
      }
      stages[stages.length - 1].instructions.push(ins);
    }
    if (stages.length === 0) this.fail(undefined, 'no FROM instruction: a Dockerfile starts with FROM (after ARGs)');
    return stages;
  }

  private targetStage(stages: Stage[]): number {
    if (!this.req.target) return stages.length - 1;
    const i = stages.findIndex((s) => s.name === this.req.target!.toLowerCase());
    if (i < 0) throw new InvalidBuildRequestError(`failed to reach build target ${this.req.target} in Dockerfile (stages: ${stages.map((s) => s.name ?? s.index).join(', ')})`);
    return i;
  }

  // ---- stages ----

  private header(ins: Instruction): void {
    this.step++;
    this.out(`Step ${this.step}/${this.totalSteps} : ${ins.original}\n`);
  }

  private async buildStage(stage: Stage): Promise<StageResult> {
    this.header(stage.from);
    const run = await this.from(stage.from);
    for (const ins of stage.instructions) {
      if (this.req.signal?.aborted) throw new BuildError('the build was cancelled');
      this.header(ins);
      await this.instruction(run, ins);
    }
    return { state: run.state, key: run.key };
  }

  private async from(ins: Instruction): Promise<StageRun> {
    const lookup = (n: string): string | undefined => this.metaArgs.get(n);
    const source = this.expand(ins, ins.args.split(/\s+/)[0], lookup);
    const platformFlag = ins.flags.platform ? this.expand(ins, ins.flags.platform, lookup) : undefined;
    const fresh = (state: BuildState, key: string): StageRun => ({ state, key, args: new Map(), cmdSet: false });
    if (source.toLowerCase() === 'scratch') {
      const p = platformFlag ? parsePlatform(platformFlag) : this.platform;
      const state: BuildState = {
        architecture: p.architecture, os: p.os, ...(p.variant ? { variant: p.variant } : {}), diffIds: [], config: {}, history: [], created: new Date().toISOString(),
      };
      this.out(' ---> \n');
      return fresh(state, sha256(`scratch ${p.os}/${p.architecture}`));
    }
    const stageIndex = this.stageNames.get(source.toLowerCase());
    if (stageIndex !== undefined) {
      const prev = this.stageResults[stageIndex];
      this.out(` ---> ${short(stateId(prev.state))}\n`);
      return fresh(structuredClone(prev.state), prev.key);
    }
    const id = await this.baseImage(ins, source, platformFlag);
    const state = this.stateOfImage(id);
    this.out(` ---> ${short(id)}\n`);
    return fresh(state, sha256(`image ${id}`));
  }

  /** The id of image `ref`, pulled when missing or when asked to. */
  private async baseImage(ins: Instruction, ref: string, platform?: string): Promise<string> {
    let present = this.store.inspect(ref);
    if (!present || this.req.pull) {
      try {
        const host = safeHost(ref);
        const img = await this.store.pull(ref, {
          auth: host ? this.req.auth?.[host] : undefined,
          platform: platform ?? this.req.platform,
          signal: this.req.signal,
          onProgress: (ev: PullProgress) => { if (!this.req.quiet) this.req.output(ev); },
        });
        present = img;
      } catch (err) {
        if (!present) throw new BuildError(`${this.req.dockerfile ?? 'Dockerfile'}:${ins.line}: base image ${ref} is not in the engine and could not be pulled: ${(err as Error).message}`);
      }
    }
    const id = present!.Id;
    this.pin([id, ...chainIds(present!.RootFS.Layers)]);
    return id;
  }

  private stateOfImage(id: string): BuildState {
    const blob = this.store.loadConfig(id);
    return {
      architecture: blob.architecture, os: blob.os, ...(blob.variant ? { variant: blob.variant } : {}),
      diffIds: [...blob.rootfs.diff_ids], config: structuredClone(blob.config ?? {}), history: structuredClone(blob.history ?? []),
      created: blob.created ?? new Date().toISOString(), ...(blob.author ? { author: blob.author } : {}),
    };
  }

  // ---- one instruction ----

  private lookupOf(run: StageRun): (n: string) => string | undefined {
    return (n) => {
      const env = envValue(run.state.config.Env, n);
      if (env !== undefined) return env;
      if (run.args.has(n)) {
        this.usedArgs.add(n);
        return run.args.get(n);
      }
      return undefined;
    };
  }

  private expand(ins: Instruction, text: string, lookup: (n: string) => string | undefined): string {
    try {
      return expandWord(text, lookup, this.dockerfile.escape);
    } catch (err) {
      if (err instanceof ExpansionError) this.fail(ins, err.message);
      throw err;
    }
  }

  private expandAll(ins: Instruction, text: string, lookup: (n: string) => string | undefined): string[] {
    try {
      return expandWords(text, lookup, this.dockerfile.escape);
    } catch (err) {
      if (err instanceof ExpansionError) this.fail(ins, err.message);
      throw err;
    }
  }

  /** `NAME=value` pairs of ENV/LABEL/ARG, values (and names) expanded with the state before the instruction. */
  private pairs(ins: Instruction, lookup: (n: string) => string | undefined, legacy: boolean): Array<[string, string]> {
    let words: string[];
    try {
      words = splitRawWords(ins.args, this.dockerfile.escape);
    } catch (err) {
      return this.fail(ins, (err as Error).message);
    }
    if (legacy && words.length > 0 && !words[0].includes('=')) {
      // `ENV NAME value with spaces`
      const m = /^(\S+)\s+([\s\S]*)$/.exec(ins.args.trim());
      if (!m) this.fail(ins, `${ins.keyword} ${words[0]} needs a value: ${ins.keyword} ${words[0]}=value`);
      return [[m![1], this.expand(ins, m![2], lookup)]];
    }
    return words.map((w) => {
      const eq = w.indexOf('=');
      if (eq <= 0) this.fail(ins, `Syntax error - can't find = in "${w}". Must be of the form: name=value`);
      const name = this.expand(ins, w.slice(0, eq), lookup);
      if (!name) this.fail(ins, `${ins.keyword} names can not be blank`);
      return [name, this.expand(ins, w.slice(eq + 1), lookup)];
    });
  }

  private argPairs(ins: Instruction, lookup: (n: string) => string | undefined): Array<[string, string | undefined]> {
    let words: string[];
    try {
      words = splitRawWords(ins.args, this.dockerfile.escape);
    } catch (err) {
      return this.fail(ins, (err as Error).message);
    }
    return words.map((w) => {
      const eq = w.indexOf('=');
      const name = eq < 0 ? w : w.slice(0, eq);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) this.fail(ins, `invalid ARG name "${name}"`);
      return [name, eq < 0 ? undefined : this.expand(ins, w.slice(eq + 1), lookup)];
    });
  }

  private async instruction(run: StageRun, ins: Instruction): Promise<void> {
    const lookup = this.lookupOf(run);
    const cfg = (text: string, change: (c: ImageConfig, s: BuildState) => void): Promise<void> =>
      this.step$(run, `config ${text}`, async (state) => {
        change(state.config, state);
        state.history.push({ created: state.created, created_by: `${NOP} ${text}`, empty_layer: true });
      });
    switch (ins.keyword) {
      case 'ARG': {
        const pairs = this.argPairs(ins, lookup);
        for (const [name, dflt] of pairs) {
          this.usedArgs.add(name);
          const given = this.req.buildArgs?.[name];
          const value = given !== undefined && given !== null ? given : dflt !== undefined ? dflt : this.metaArgs.get(name);
          run.args.set(name, value);
        }
        return cfg(`ARG ${pairs.map(([k, v]) => (v === undefined ? k : `${k}=${v}`)).join(' ')}`, () => {});
      }
      case 'ENV': {
        const pairs = this.pairs(ins, lookup, true);
        return cfg(`ENV ${pairs.map(([k, v]) => `${k}=${v}`).join(' ')}`, (c) => {
          let env = [...(c.Env ?? [])];
          for (const [k, v] of pairs) env = [...env.filter((e) => e.split('=')[0] !== k), `${k}=${v}`];
          c.Env = env;
        });
      }
      case 'LABEL': {
        const pairs = this.pairs(ins, lookup, false);
        return cfg(`LABEL ${pairs.map(([k, v]) => `${k}=${v}`).join(' ')}`, (c) => {
          c.Labels = { ...(c.Labels ?? {}), ...Object.fromEntries(pairs) };
        });
      }
      case 'MAINTAINER': {
        const who = this.expand(ins, ins.args, lookup);
        return cfg(`MAINTAINER ${who}`, (_c, s) => { s.author = who; });
      }
      case 'USER': {
        const user = this.expand(ins, ins.args.trim(), lookup);
        return cfg(`USER ${user}`, (c) => { c.User = user; });
      }
      case 'EXPOSE': {
        const ports = this.expandAll(ins, ins.args, lookup).flatMap((p) => exposedPorts(p, (r) => this.fail(ins, r)));
        return cfg(`EXPOSE ${ports.join(' ')}`, (c) => {
          c.ExposedPorts = { ...(c.ExposedPorts ?? {}), ...Object.fromEntries(ports.map((p) => [p, {}])) };
        });
      }
      case 'VOLUME': {
        const vols = ins.json ? ins.json.map((v) => this.expand(ins, v, lookup)) : this.expandAll(ins, ins.args, lookup);
        if (vols.some((v) => v.trim() === '')) this.fail(ins, 'VOLUME specified can not be an empty string');
        return cfg(`VOLUME ${JSON.stringify(vols)}`, (c) => {
          c.Volumes = { ...(c.Volumes ?? {}), ...Object.fromEntries(vols.map((v) => [v, {}])) };
        });
      }
      case 'STOPSIGNAL': {
        const sig = this.expand(ins, ins.args.trim(), lookup);
        if (!/^(SIG)?[A-Z0-9+-]+$|^\d+$/i.test(sig)) this.fail(ins, `invalid signal: ${sig}`);
        return cfg(`STOPSIGNAL ${sig}`, (c) => { c.StopSignal = sig; });
      }
      case 'SHELL':
        return cfg(`SHELL ${JSON.stringify(ins.json)}`, (c) => { c.Shell = [...ins.json!]; });
      case 'CMD': {
        const cmd = ins.json ?? [...(run.state.config.Shell ?? DEFAULT_SHELL), ins.args];
        run.cmdSet = true;
        return cfg(`CMD ${JSON.stringify(cmd)}`, (c) => { c.Cmd = cmd; });
      }
      case 'ENTRYPOINT': {
        const ep = ins.json ?? [...(run.state.config.Shell ?? DEFAULT_SHELL), ins.args];
        const resetCmd = !run.cmdSet;
        return cfg(`ENTRYPOINT ${JSON.stringify(ep)}`, (c) => {
          c.Entrypoint = ep.length ? ep : null;
          // As Docker: an ENTRYPOINT drops the CMD inherited from the base image.
          if (resetCmd) c.Cmd = null;
        });
      }
      case 'HEALTHCHECK': {
        const hc = healthcheckOf(ins, (r) => this.fail(ins, r));
        return cfg(`HEALTHCHECK ${JSON.stringify(hc)}`, (c) => { c.Healthcheck = hc; });
      }
      case 'WORKDIR':
        return this.workdir(run, ins, lookup);
      case 'RUN':
        return this.runStep(run, ins);
      case 'COPY':
      case 'ADD':
        return this.copyStep(run, ins, lookup);
      default:
        this.fail(ins, `${ins.keyword} is not supported by this builder`);
    }
  }

  /**
   * One step through the cache: `what` names what it does; `apply` makes the
   * new state from a copy of the current one when the cache has none.
   */
  private async step$(run: StageRun, what: string, apply: (state: BuildState) => Promise<void>): Promise<void> {
    const key = sha256(`${run.key}\n${what}`);
    const cached = this.req.noCache ? undefined : this.cache.get(key, (s) => chainIds(s.diffIds).every((c) => this.store.layers.has(c)));
    if (cached) {
      this.pin(chainIds(cached.diffIds));
      this.out(' ---> Using cache\n');
      run.state = cached;
    } else {
      const next = structuredClone(run.state);
      next.created = new Date().toISOString();
      await apply(next);
      run.state = next;
      this.cache.put(key, next);
      this.hold(next);
    }
    run.key = key;
    this.out(` ---> ${short(stateId(run.state))}\n`);
  }

  private async session(state: BuildState): Promise<RootfsSession> {
    const s = await openRootfsSession(this.store, chainIds(state.diffIds), this.dir);
    this.cleanups.push(() => s.dispose());
    return s;
  }

  /** Commits the upper dir of a finished session as the state's next layer. */
  private async commit(state: BuildState, upper: string, createdBy: string): Promise<void> {
    const chain = chainIds(state.diffIds);
    const layer = await commitUpperDir(this.store, upper, chain[chain.length - 1] ?? null, (k) => this.pin(k));
    state.diffIds.push(layer.diffId);
    state.history.push({ created: state.created, created_by: createdBy });
  }

  private async workdir(run: StageRun, ins: Instruction, lookup: (n: string) => string | undefined): Promise<void> {
    const given = this.expand(ins, ins.args.trim(), lookup);
    const path = posix.resolve(run.state.config.WorkingDir || '/', given);
    await this.step$(run, `WORKDIR ${path}`, async (state) => {
      state.config.WorkingDir = path;
      // Created now (a layer) when missing: the runtime does not make a missing working directory.
      const s = await this.session(state);
      const e = resolveInRoot(s.merged, path);
      const kind = e.kind;
      e.close();
      if (kind === 'missing') {
        resolveInRoot(s.merged, path, { create: 'directory' }).close();
        await s.unmount();
        await this.commit(state, s.upper, `${NOP} WORKDIR ${path}`);
      } else {
        if (kind !== 'directory') this.fail(ins, `WORKDIR ${path}: it exists in the image and is not a folder`);
        state.history.push({ created: state.created, created_by: `${NOP} WORKDIR ${path}`, empty_layer: true });
      }
      await s.dispose();
    });
  }

  // ---- RUN ----

  private async runStep(run: StageRun, ins: Instruction): Promise<void> {
    if (ins.flags.network && !['default', 'none', 'host'].includes(ins.flags.network)) this.fail(ins, `RUN --network=${ins.flags.network}: use default, none or host`);
    const argv = ins.json ?? [...(run.state.config.Shell ?? DEFAULT_SHELL), ins.args];
    if (argv.length === 0) this.fail(ins, 'RUN needs a command');
    // Build args are in the command's environment, after ENV (which wins), as Docker does.
    const envKeys = new Set((run.state.config.Env ?? []).map((e) => e.split('=')[0]));
    const argEnv = [...run.args].filter(([k, v]) => v !== undefined && !envKeys.has(k)).map(([k, v]) => `${k}=${v}`).sort();
    for (const [k] of run.args) this.usedArgs.add(k);
    const shown = ins.json ? ins.json.join(' ') : `${(run.state.config.Shell ?? DEFAULT_SHELL).join(' ')} ${ins.args}`;
    const createdBy = argEnv.length ? `|${argEnv.length} ${argEnv.join(' ')} ${shown}` : shown;
    const network = ins.flags.network === 'none' ? 'none' : ins.flags.network === 'host' ? 'host' : this.req.networkMode || 'bridge';
    await this.step$(run, `RUN ${JSON.stringify(argv)} ${JSON.stringify(argEnv)}`, async (state) => {
      await this.runContainer(state, argv, argEnv, network, shown);
      state.history.push({ created: state.created, created_by: createdBy });
    });
  }

  /** Runs `argv` in a container of the engine on `state`, then adds what it changed as a layer. */
  private async runContainer(state: BuildState, argv: string[], argEnv: string[], network: string, shown: string): Promise<void> {
    const containers = this.opts.containers;
    // The container is made from an image: the current state, recorded untagged for the step.
    const tmpBlob = Buffer.from(JSON.stringify(blobOf({ ...state, config: { Volumes: state.config.Volumes } })));
    const tmpId = await this.store.content.putBuffer(tmpBlob);
    this.pin([tmpId]);
    const tmpNew = await this.store.registerImage(tmpId, {});
    const body: ContainerCreateRequest = {
      Image: tmpId,
      Cmd: argv,
      Entrypoint: [''],
      Env: [...(state.config.Env ?? []), ...argEnv],
      WorkingDir: state.config.WorkingDir ?? '',
      User: state.config.User ?? '',
      Healthcheck: { Test: ['NONE'] },
      Labels: {},
      HostConfig: { NetworkMode: network },
    };
    let containerId: string | undefined;
    let ok = false;
    try {
      const created = await containers.create(undefined, body);
      containerId = created.Id;
      this.out(` ---> Running in ${short(containerId)}\n`);
      // The output follows the container's log until it stops; stopped for good when the step ends (a start that failed never stops).
      const following = new AbortController();
      const output = containers.attachOutput(containerId, { stdout: true, stderr: true }, following.signal);
      const pump = (async () => {
        for await (const chunk of output) this.out(chunk.data.toString('utf8'));
      })().catch(() => undefined);
      const onAbort = (): void => {
        following.abort();
        void containers.remove(containerId!, { force: true }).catch(() => {});
      };
      this.req.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        await containers.start(containerId);
        const { StatusCode } = await containers.wait(containerId, 'not-running', this.req.signal);
        await pump;
        if (StatusCode !== 0) throw new RunStepFailedError(shown, StatusCode);
      } finally {
        following.abort();
        this.req.signal?.removeEventListener('abort', onAbort);
      }
      await this.commit$(state, join(containers.dirOf(containerId), 'upper'));
      ok = true;
    } finally {
      const remove = containerId && (this.req.forceRm || (ok && this.req.rm !== false));
      if (remove) {
        await containers.remove(containerId!, { force: true, volumes: true }).catch(() => {});
        if (ok) this.out(`Removing intermediate container ${short(containerId!)}\n`);
      }
      if (tmpNew && (remove || !containerId)) await this.store.remove(tmpId).catch(() => {});
    }
  }

  /** Adds the layer of a RUN container's upper dir (history is the caller's). */
  private async commit$(state: BuildState, upper: string): Promise<void> {
    const chain = chainIds(state.diffIds);
    const layer = await commitUpperDir(this.store, upper, chain[chain.length - 1] ?? null, (k) => this.pin(k));
    state.diffIds.push(layer.diffId);
  }

  // ---- COPY / ADD ----

  private async copyStep(run: StageRun, ins: Instruction, lookup: (n: string) => string | undefined): Promise<void> {
    const words = ins.json ? ins.json.map((w) => this.expand(ins, w, lookup)) : this.expandAll(ins, ins.args, lookup);
    if (words.length < 2) this.fail(ins, `${ins.keyword} requires at least two arguments, but only one was provided. Destination could not be determined`);
    const sources = words.slice(0, -1);
    let dest = words[words.length - 1];
    for (const s of sources) {
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s) || /^git@/.test(s)) {
        this.fail(ins, `${ins.keyword} ${s}: remote sources are not supported by this builder; download the file into the build context and COPY it`);
      }
    }
    if (!dest.startsWith('/')) {
      const trailing = dest.endsWith('/') || dest === '.' ? '/' : '';
      dest = posix.join(run.state.config.WorkingDir || '/', dest) + trailing;
      dest = dest.replace(/\/+$/, '/') || '/';
    }
    const chown = ins.flags.chown ? this.expand(ins, ins.flags.chown, lookup) : undefined;
    let chmod: number | undefined;
    if (ins.flags.chmod) {
      if (!/^[0-7]{3,4}$/.test(ins.flags.chmod)) this.fail(ins, `invalid --chmod=${ins.flags.chmod}: give octal permissions like 755 or 0644`);
      chmod = parseInt(ins.flags.chmod, 8);
    }
    const { root, fromKey } = await this.sourceRoot(ins, lookup);
    let plan: CopyPlan | undefined;
    try {
      try {
        plan = await planSources(root, sources, ins.keyword);
      } catch (err) {
        if (err instanceof BuildError) this.fail(ins, err.message);
        throw err;
      }
      if (ins.keyword === 'ADD') plan = await this.expandArchives(plan, ins);
      const kind = plan.sources.length === 1 && plan.sources[0].kind === 'file' ? 'file' : 'dir';
      const createdBy = `${NOP}${ins.keyword} ${kind}:${plan.digest} in ${dest} `;
      const thePlan = plan;
      await this.step$(run, `${ins.keyword} ${fromKey} ${thePlan.digest} ${dest} ${chown ?? ''} ${chmod ?? ''}`, async (state) => {
        const s = await this.session(state);
        const owner = chown ? this.chownOf(ins, chown, s.merged) : undefined;
        try {
          await writeSources(s.merged, thePlan, dest, { chown: owner, chmod, keepOwners: !root.isContext || root.keepOwners }, ins.keyword);
        } catch (err) {
          if (err instanceof BuildError && !(err instanceof DockerfileError)) this.fail(ins, err.message);
          throw err;
        }
        await s.unmount();
        await this.commit(state, s.upper, createdBy);
        await s.dispose();
      });
    } finally {
      plan?.close();
    }
  }

  /** Where COPY reads: the context, another stage (`--from=name|index`), or an image (`--from=busybox`). */
  private async sourceRoot(ins: Instruction, lookup: (n: string) => string | undefined): Promise<{ root: SourceRoot; fromKey: string }> {
    const from = ins.flags.from ? this.expand(ins, ins.flags.from, lookup) : undefined;
    if (from === undefined) return { root: { dir: this.ctxDir, ignore: this.ignore, isContext: true, keepOwners: false }, fromKey: 'context' };
    if (ins.keyword === 'ADD') this.fail(ins, 'ADD does not take --from; use COPY --from');
    let result: StageResult | undefined;
    const byName = this.stageNames.get(from.toLowerCase());
    if (byName !== undefined) result = this.stageResults[byName];
    else if (/^\d+$/.test(from)) {
      result = this.stageResults[Number(from)];
      if (!result) this.fail(ins, `COPY --from=${from}: there is no earlier stage ${from}`);
    }
    if (!result) {
      const id = await this.baseImage(ins, from);
      result = { state: this.stateOfImage(id), key: sha256(`image ${id}`) };
    }
    const s = await this.session(result.state);
    return { root: { dir: s.merged, isContext: false, keepOwners: true }, fromKey: `from ${result.key}` };
  }

  /** ADD: local tar archives (plain, gzip, zstd) become folders to copy, unpacked with the layer unpacker. */
  private async expandArchives(plan: CopyPlan, ins: Instruction): Promise<CopyPlan> {
    const sources = [];
    for (const source of plan.sources) {
      if (source.kind !== 'file') { sources.push(source); continue; }
      const fh = await fsp.open(source.items[0].src, 'r');
      const head = Buffer.alloc(512);
      const { bytesRead } = await fh.read(head, 0, 512, 0);
      await fh.close();
      const compression = detectCompression(head.subarray(0, bytesRead));
      const plainTar = bytesRead >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar';
      const compressedTar = compression !== 'none' && /\.(tar\.(gz|zst)|tgz|tzst)$/i.test(source.name);
      if (!plainTar && !compressedTar) { sources.push(source); continue; }
      const dir = join(this.dir, `arc-${randomBytes(6).toString('hex')}`);
      await fsp.mkdir(dir, { mode: 0o755 });
      this.cleanups.push(() => fsp.rm(dir, { recursive: true, force: true }));
      try {
        await runUnpacker(this.store.layers.unpackBinary, dir, false, createReadStream(source.items[0].src), compression, new PassThrough(), source.name);
      } catch (err) {
        this.fail(ins, `ADD ${source.name}: cannot unpack the archive: ${(err as Error).message}`);
      }
      const sub = await planSources({ dir, isContext: true, keepOwners: true }, ['.'], 'ADD');
      this.cleanups.push(async () => sub.close());
      sources.push({ ...sub.sources[0], name: source.name });
    }
    return { sources, digest: plan.digest, close: plan.close };
  }

  /** `--chown=user[:group]` against the files of the state being written (numbers need no files). */
  private chownOf(ins: Instruction, spec: string, merged: string): { uid: number; gid: number } {
    const [u, g] = spec.split(':', 2);
    const read = (file: string): string[][] => {
      const e = resolveInRoot(merged, file);
      try {
        return e.kind === 'file' ? readFileSync(e.path!, 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':')) : [];
      } finally {
        e.close();
      }
    };
    const idOf = (name: string, file: string, what: string): number => {
      if (/^\d+$/.test(name)) return Number(name);
      const hit = read(file).find((f) => f[0] === name);
      if (!hit) this.fail(ins, `unable to convert uid/gid chown string to host mapping: no such ${what} "${name}" in ${file} of the image`);
      return Number(hit![2]);
    };
    const uid = idOf(u, '/etc/passwd', 'user');
    const gid = g !== undefined && g !== '' ? idOf(g, '/etc/group', 'group') : uid;
    return { uid, gid };
  }
}

/** Build args every Docker builder knows without an ARG (proxies): never reported unused. */
const PREDEFINED_ARGS = new Set(['TARGETPLATFORM', 'TARGETOS', 'TARGETARCH', 'TARGETVARIANT', 'BUILDPLATFORM', 'BUILDOS', 'BUILDARCH', 'BUILDVARIANT', 'HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy']);

function safeHost(ref: string): string | undefined {
  try {
    const name = parseReference(ref).name;
    return name.split('/')[0];
  } catch {
    return undefined;
  }
}

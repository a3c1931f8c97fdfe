// `tscompose cp`: files between a service's container and the local
// filesystem, through the engine's archive API (HEAD/GET/PUT
// /containers/{id}/archive), with `docker compose cp`'s arguments and the
// docker CLI's copy rules:
//   SERVICE:SRC DEST   DEST a directory: SRC goes inside it; DEST a file or
//                      missing (its parent existing): SRC becomes DEST.
//                      `SRC/.` copies a directory's content; DEST `-` writes
//                      the tar to stdout.
//   SRC SERVICE:DEST   the same rules inside the container; SRC `-` reads a
//                      tar from stdin (DEST must be a directory). Without
//                      --index every container of the service gets the copy.

import { existsSync, lstatSync, mkdirSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import type { ContainerSummary, HttpEngineClient } from '../../../runtime/client/index.js';
import { EngineApiError } from '../../../runtime/client/index.js';
import { ComposeRunError } from '../executor/errors.js';
import { UsageError } from '../context.js';
import { extractLocal, packLocal } from '../local-archive.js';
import { checkServices, containerNameOf, listProjectContainers, numberOf } from '../project-containers.js';
import { withProject } from '../session.js';
import type { CommandContext, CommandSetup } from './index.js';
import { intOption } from './options.js';

type ArchiveEngine = Pick<HttpEngineClient, 'statContainerPath' | 'getContainerArchive' | 'putContainerArchive'>;

interface CpOptions { archive?: boolean; followLink?: boolean; index?: number; all?: boolean }

/** One side of the copy: `SERVICE:PATH`, or a local path (absolute, `./x`, or without a colon). */
export function splitCpArg(arg: string): { service?: string; path: string } {
  if (arg.startsWith('/') || arg.startsWith('.') || arg === '-') return { path: arg };
  const i = arg.indexOf(':');
  if (i <= 0) return { path: arg };
  return { service: arg.slice(0, i), path: arg.slice(i + 1) };
}

const GO_MODE_DIR = 2 ** 31;
const GO_MODE_SYMLINK = 2 ** 27;
const isDirMode = (m: number): boolean => Math.floor(m / GO_MODE_DIR) % 2 === 1;
const isLinkMode = (m: number): boolean => Math.floor(m / GO_MODE_SYMLINK) % 2 === 1;

const endsAsDir = (p: string): boolean => p.endsWith('/') || p.endsWith('/.');

function archiveEngine(engine: unknown): ArchiveEngine {
  const e = engine as Partial<ArchiveEngine>;
  if (typeof e.getContainerArchive !== 'function' || typeof e.putContainerArchive !== 'function' || typeof e.statContainerPath !== 'function') {
    throw new ComposeRunError('this engine connection cannot copy files (no archive API)');
  }
  return e as ArchiveEngine;
}

async function statOrUndefined(engine: ArchiveEngine, id: string, path: string): Promise<Awaited<ReturnType<ArchiveEngine['statContainerPath']>> | undefined> {
  try { return await engine.statContainerPath(id, path); } catch (err) {
    if (err instanceof EngineApiError && err.status === 404) return undefined;
    throw err;
  }
}

/** Container → local (or stdout). */
async function copyFromContainer(engine: ArchiveEngine, c: ContainerSummary, srcPath: string, dest: string, opts: CpOptions, cwd: string): Promise<void> {
  const name = containerNameOf(c);
  let stat = await engine.statContainerPath(c.Id, srcPath).catch((err: unknown) => {
    if (err instanceof EngineApiError && err.status === 404) throw new ComposeRunError(`Could not find the file ${srcPath} in container ${name}`);
    throw err;
  });
  // The name the copy gets: the link's own, even when -L copies what it points to.
  const wantName = srcPath.endsWith('/.') ? '.' : posix.basename(srcPath.replace(/\/+$/, '')) || '/';
  let fetchPath = srcPath;
  if (opts.followLink && isLinkMode(stat.mode)) {
    fetchPath = stat.linkTarget.startsWith('/') ? stat.linkTarget : posix.join(posix.dirname(srcPath), stat.linkTarget);
    stat = await engine.statContainerPath(c.Id, fetchPath);
  }
  const { tar } = await engine.getContainerArchive(c.Id, fetchPath);
  if (dest === '-') {
    await pipeline(tar, process.stdout, { end: false });
    return;
  }
  const tarTop = fetchPath.endsWith('/.') ? '.' : posix.basename(fetchPath.replace(/\/+$/, '')) || '.';
  const destAbs = resolve(cwd, dest);
  const srcIsDir = isDirMode(stat.mode);
  let destIsDir: boolean | undefined;
  try { destIsDir = statSync(destAbs).isDirectory(); } catch { destIsDir = undefined; }
  const keepOwners = !!opts.archive;
  if (destIsDir) {
    if (tarTop === '.') return extractLocal(tar, destAbs, { keepOwners });
    return extractLocal(tar, destAbs, { keepOwners, rebase: { from: tarTop, to: wantName } });
  }
  if (destIsDir === false) {
    if (srcIsDir) { tar.destroy(); throw new ComposeRunError(`cannot copy a directory to a file: ${dest} is not a directory`); }
    return extractLocal(tar, dirname(destAbs), { keepOwners, rebase: { from: tarTop, to: basename(destAbs) } });
  }
  if (endsAsDir(dest)) { tar.destroy(); throw new ComposeRunError(`destination directory ${dest} does not exist`); }
  if (!existsSync(dirname(destAbs))) { tar.destroy(); throw new ComposeRunError(`no such directory: ${dirname(destAbs)} (the parent of ${dest} must exist)`); }
  if (tarTop === '.') {
    mkdirSync(destAbs, { mode: 0o755 });
    return extractLocal(tar, destAbs, { keepOwners });
  }
  return extractLocal(tar, dirname(destAbs), { keepOwners, rebase: { from: tarTop, to: basename(destAbs) } });
}

/** Local (or stdin) → container. */
async function copyToContainer(engine: ArchiveEngine, c: ContainerSummary, src: string, stdinTar: Buffer | undefined, destPath: string, opts: CpOptions, cwd: string): Promise<void> {
  const name = containerNameOf(c);
  let destStat = await statOrUndefined(engine, c.Id, destPath);
  let putDest = destPath;
  if (destStat && isLinkMode(destStat.mode)) {
    putDest = destStat.linkTarget.startsWith('/') ? destStat.linkTarget : posix.join(posix.dirname(destPath), destStat.linkTarget);
    destStat = await statOrUndefined(engine, c.Id, putDest);
  }
  const put = (dir: string, body: Readable | Buffer): Promise<void> =>
    engine.putContainerArchive(c.Id, dir, body, { noOverwriteDirNonDir: true }).catch((err: unknown) => {
      if (err instanceof EngineApiError) throw new ComposeRunError(`copying to ${name}:${destPath}: ${err.message}`);
      throw err;
    });
  if (stdinTar) {
    if (!destStat || !isDirMode(destStat.mode)) throw new ComposeRunError(`destination "${name}:${destPath}" must be a directory`);
    return put(putDest, stdinTar);
  }
  const srcAbs = resolve(cwd, src);
  let st;
  try { st = lstatSync(srcAbs); } catch { throw new ComposeRunError(`could not find ${src}: no such file or directory`); }
  let packPath = srcAbs;
  if (opts.followLink && st.isSymbolicLink()) { packPath = realpathSync(srcAbs); st = statSync(packPath); }
  const contentOnly = src.endsWith('/.') && st.isDirectory();
  const srcName = basename(srcAbs);
  if (destStat && isDirMode(destStat.mode)) {
    return put(putDest, packLocal(packPath, { topName: contentOnly ? '.' : srcName, keepOwners: !!opts.archive }));
  }
  if (destStat) {
    if (st.isDirectory()) throw new ComposeRunError(`cannot copy a directory to a file: ${name}:${destPath} is not a directory`);
    return put(posix.dirname(putDest), packLocal(packPath, { topName: posix.basename(putDest), keepOwners: !!opts.archive }));
  }
  if (endsAsDir(destPath)) throw new ComposeRunError(`destination directory ${name}:${destPath} does not exist`);
  const parent = posix.dirname(posix.normalize(`/${destPath}`));
  const parentStat = await statOrUndefined(engine, c.Id, parent);
  if (!parentStat) throw new ComposeRunError(`Could not find the file ${parent} in container ${name}`);
  return put(parent, packLocal(packPath, { topName: posix.basename(posix.normalize(`/${destPath}`)), keepOwners: !!opts.archive }));
}

async function readAllStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export const cp: CommandSetup = (program: Command, ctx: CommandContext) => {
  program
    .command('cp')
    .description('Copy files/folders between a service container and the local filesystem')
    .argument('<source>', 'SERVICE:SRC_PATH, a local path, or - (a tar on stdin)')
    .argument('<destination>', 'a local path, - (a tar on stdout), or SERVICE:DEST_PATH')
    .option('-a, --archive', 'archive mode (copy all uid/gid information)')
    .option('-L, --follow-link', 'always follow symbol link in SRC_PATH')
    .option('--index <n>', 'index of the container if service has multiple replicas', intOption('--index'))
    .option('--all', 'include containers created by the run command')
    .action(async (source: string, destination: string, options: CpOptions) => {
      const from = splitCpArg(source);
      const to = splitCpArg(destination);
      if (from.service && to.service) throw new UsageError('copying between services is not supported');
      if (!from.service && !to.service) throw new UsageError('must specify at least one container source (SERVICE:PATH)');
      const service = (from.service ?? to.service)!;
      const containerPath = from.service ? from.path : to.path;
      if (!containerPath) throw new UsageError(`no path after "${service}:"; give the path inside the container`);
      await withProject(ctx, [service], async (session) => {
        const project = session.loaded.project;
        checkServices(project, [service]);
        const all = await listProjectContainers(session.engine, project.name, { services: [service], all: true, oneOff: !!options.all });
        let targets: ContainerSummary[];
        if (options.index !== undefined) {
          targets = all.filter((c) => numberOf(c) === options.index);
          if (!targets.length) throw new ComposeRunError(`service "${service}" has no container number ${options.index}`);
        } else if (from.service) {
          const running = all.filter((c) => c.State === 'running');
          targets = (running.length ? running : all).slice(0, 1);
        } else {
          targets = all;
        }
        if (!targets.length) throw new ComposeRunError(`no container found for service "${service}"; create it first (tscompose up -d ${service})`);
        const engine = archiveEngine(session.engine);
        const cwd = session.io.cwd;
        if (from.service) {
          await copyFromContainer(engine, targets[0], from.path, to.path, options, cwd);
          if (to.path !== '-') session.io.stderr(`Copied ${containerNameOf(targets[0])}:${from.path} to ${to.path}\n`);
          return;
        }
        const stdinTar = from.path === '-' ? await readAllStdin() : undefined;
        for (const c of targets) {
          await copyToContainer(engine, c, from.path, stdinTar, to.path, options, cwd);
          session.io.stderr(`Copied ${from.path === '-' ? 'stdin' : from.path} to ${containerNameOf(c)}:${to.path}\n`);
        }
      });
    });
};

// The volume steps of a container's life, for the engine to call:
//   create  → attachVolumes      create/reference the plan's volumes
//   start   → prepareMounts      mount volume backings, copy-up, mount points,
//                                the OCI mounts for config.json
//   stop    → unmountVolumes     the last user of a tmpfs/bind volume unmounts it
//   remove  → detachVolumes      drop references; with v=1 remove anonymous ones

import { existsSync, mkdirSync, readlinkSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { copyUp, type CopyUpResult } from './copy-up.js';
import { InvalidVolumeConfigError, VolumeInUseError, VolumeMountError } from './errors.js';
import { ensureMountpoint, resolveInRoot } from './in-root.js';
import { toOciMount, type MountPlan, type OciMount, type PlannedMount } from './mount-plan.js';
import type { VolumeStore } from './volume-store.js';

/**
 * References (creating where needed) every volume of the plan for the
 * container. All or nothing: on error, what this call did is undone.
 */
export async function attachVolumes(store: VolumeStore, plan: Pick<MountPlan, 'volumes'>, containerId: string): Promise<void> {
  const done: Array<{ name: string; created: boolean }> = [];
  try {
    for (const v of plan.volumes) {
      const existed = store.has(v.name);
      if (v.create) {
        store.create({ Name: v.name, Anonymous: v.anonymous, Driver: v.driver, Labels: v.labels, DriverOpts: v.driverOpts }, containerId);
      } else {
        store.use(v.name, containerId);
      }
      done.push({ name: v.name, created: !existed });
    }
  } catch (err) {
    for (const d of done.reverse()) {
      store.release(d.name, containerId);
      if (d.created) await store.remove(d.name).catch(() => {});
    }
    throw err;
  }
}

export interface PreparedMounts {
  /** User mounts for config.json, in mount order. */
  oci: OciMount[];
  /**
   * The container's mounts to keep for its next start: copy-up turned off
   * where it ran, so that (as with Docker, which copies at create) a volume
   * the application emptied is not refilled on restart.
   */
  mounts: PlannedMount[];
  /** What copy-up did, by destination (for logs and tests). */
  copyUp: Record<string, CopyUpResult>;
}

function under(parent: string, child: string): boolean {
  return child !== parent && child.startsWith(parent === '/' ? '/' : `${parent}/`);
}

/**
 * At start, after the container's rootfs is mounted at `rootfs` and before
 * the runtime runs: mounts tmpfs/bind-backed volumes, fills new volumes from
 * the image (copy-up), creates missing bind sources (Binds) and mount points
 * (resolved inside the rootfs), and returns the OCI mounts.
 */
export async function prepareMounts(store: VolumeStore, mounts: readonly PlannedMount[], containerId: string, rootfs: string): Promise<PreparedMounts> {
  const out: PreparedMounts = { oci: [], mounts: [], copyUp: {} };
  const mounted: string[] = [];
  try {
    for (const m of mounts) {
      let pm = m;
      // A mount point under another user mount lives in that mount, not in the rootfs: the runtime creates it.
      const nested = mounts.some((p) => p !== m && under(p.destination, m.destination));
      if (m.type === 'volume' && m.volumeName) {
        const data = await store.mount(m.volumeName, containerId);
        mounted.push(m.volumeName);
        // From the image's rootfs even under another user mount, as dockerd copies from the container's base filesystem.
        if (m.copyUp) out.copyUp[m.destination] = await copyUp(rootfs, m.destination, data);
        if (m.subpath) pm = { ...m, source: resolveSubpath(data, m.subpath, m.volumeName) };
        if (!nested) ensureMountpoint(rootfs, m.destination, 'directory');
      } else if (m.type === 'bind') {
        if (!existsSync(m.source)) {
          if (!m.createHostPath) throw new InvalidVolumeConfigError(`invalid mount config for type "bind": bind source path does not exist: ${m.source}`);
          // Docker's -v creates a missing host directory.
          mkdirSync(m.source, { recursive: true, mode: 0o755 });
        }
        if (!nested) ensureMountpoint(rootfs, m.destination, statSync(m.source).isDirectory() ? 'directory' : 'file');
      } else if (!nested && m.origin !== 'shm') {
        ensureMountpoint(rootfs, m.destination, 'directory');
      }
      out.oci.push(toOciMount(pm));
      out.mounts.push(m.copyUp && out.copyUp[m.destination] ? { ...m, copyUp: false } : m);
    }
  } catch (err) {
    for (const name of mounted) await store.unmount(name, containerId).catch(() => {});
    throw err;
  }
  return out;
}

/** A Subpath of a volume, resolved inside it (a symlink in the volume cannot lead out), which must exist. */
function resolveSubpath(data: string, subpath: string, volumeName: string): string {
  const e = resolveInRoot(data, subpath);
  try {
    if (e.kind === 'missing') throw new InvalidVolumeConfigError(`cannot access path ${posix.join(data, subpath)}: subpath ${subpath} does not exist in volume ${volumeName}`);
    const real = readlinkSync(e.path!);
    if (real !== data && !real.startsWith(`${data}/`)) throw new InvalidVolumeConfigError(`subpath ${subpath} leads out of volume ${volumeName}`);
    return real;
  } finally {
    e.close();
  }
}

/** At stop: the container no longer holds its volumes mounted. */
export async function unmountVolumes(store: VolumeStore, mounts: readonly PlannedMount[], containerId: string): Promise<void> {
  const errors: string[] = [];
  for (const name of new Set(mounts.map((m) => m.volumeName).filter((n): n is string => !!n))) {
    try { await store.unmount(name, containerId); } catch (err) { errors.push((err as Error).message); }
  }
  if (errors.length) throw new VolumeMountError(errors.join('; '));
}

/**
 * At container removal: drops the container's references; with
 * `removeAnonymous` (`DELETE /containers/{id}?v=1`) removes its anonymous
 * volumes that nothing else uses, as Docker does. Named volumes always stay.
 */
export async function detachVolumes(store: VolumeStore, mounts: readonly PlannedMount[], containerId: string, opts: { removeAnonymous?: boolean } = {}): Promise<string[]> {
  const removed: string[] = [];
  for (const name of new Set(mounts.map((m) => m.volumeName).filter((n): n is string => !!n))) {
    if (!store.has(name)) continue;
    await store.unmount(name, containerId).catch(() => {});
    store.release(name, containerId);
    if (!opts.removeAnonymous || !store.isAnonymous(name)) continue;
    // Inherited with VolumesFrom: the volume belongs to the other container.
    if (mounts.some((m) => m.volumeName === name && m.origin === 'volumes-from')) continue;
    try {
      await store.remove(name);
      removed.push(name);
    } catch (err) {
      if (!(err instanceof VolumeInUseError)) throw err;
    }
  }
  return removed;
}

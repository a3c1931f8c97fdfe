/**
 * Volumes: Docker's `local` volume driver, and the mounts of a container.
 *
 * How the engine uses it:
 *
 *   const volumes = VolumeStore.open({ stateRoot });            // at engine start
 *   await volumes.reconcile(allContainerIds, runningIds);       // once containers are loaded
 *
 *   // routes: POST /volumes/create → volumes.create(body)
 *   //         GET /volumes → volumes.list({ filters }); GET /volumes/{name} → volumes.inspect(name)
 *   //         DELETE /volumes/{name}?force → volumes.remove(name, { force })
 *   //         POST /volumes/prune → volumes.prune({ filters })  (add all=['true'] for API < 1.42, like dockerd)
 *   //         GET /system/df → volumes.list({ usage: true })
 *   // Errors carry `statusCode` (400/404/409/500) and Docker's message.
 *
 *   // container create (after merging the image config):
 *   const plan = planMounts({ hostConfig, imageVolumes: mergedConfig.Volumes }, {
 *     volumePath: (n) => volumes.path(n),
 *     hostPathExists: existsSync,
 *     containerMounts: (ref) => { const c = containers.find(ref); return { id: c.Id, mounts: c.Mounts }; },
 *   });
 *   await attachVolumes(volumes, plan, containerId);                  // creates/references; all or nothing
 *   // keep plan.mounts in the container record; plan.inspect is inspect's `Mounts`
 *
 *   // container start, after mountRootfs(), before the runtime's create:
 *   const { oci, mounts } = await prepareMounts(volumes, record.mounts, containerId, rootfsPath);
 *   record.mounts = mounts;                                       // copy-up done: not again on restart
 *   // oci → config.json `mounts` (replacing default mounts on the same destination,
 *   // after /proc, /dev, … and the etc files); plan.rootfsPropagation → linux.rootfsPropagation
 *
 *   // container exit/stop:   await unmountVolumes(volumes, record.mounts, containerId)
 *   // container remove:      await detachVolumes(volumes, record.mounts, containerId, { removeAnonymous: v })
 */

export { VolumeStore, treeSize, type Volume, type VolumeCreateOptions, type VolumeFilters, type VolumeStoreOptions, type VolumeEventAction } from './volume-store.js';
export {
  planMounts, toOciMount, DEFAULT_SHM_SIZE,
  type InspectMount, type MountPlan, type MountPlanEnv, type MountPlanInput, type OciMount, type PlannedMount, type VolumeUse,
} from './mount-plan.js';
export { parseBind, parseVolumesFrom, mergeTmpfsOptions, validateMountRequest, type MountRequest, type ParsedBind } from './mount-spec.js';
export { attachVolumes, prepareMounts, unmountVolumes, detachVolumes, type PreparedMounts } from './container-volumes.js';
export { copyUp, type CopyUpResult } from './copy-up.js';
export { resolveInRoot, ensureMountpoint, type RootEntry } from './in-root.js';
export { parseDriverOpts, type VolumeBacking } from './driver-opts.js';
export { kernelMountHost, type MountHost } from './host-mount.js';
export { ANONYMOUS_LABEL, randomVolumeName, validateVolumeName } from './names.js';
export {
  VolumeError, VolumeNotFoundError, VolumeInUseError, InvalidVolumeConfigError, VolumeMountError, VolumeConflictError, VolumeDriverNotFoundError,
} from './errors.js';

export { reconcile } from './reconcile.js';
export type { OneOffOptions, ReconcileOptions, RecreatePolicy } from './reconcile.js';
export { planDown } from './down.js';
export type { DownOptions } from './down.js';
export { Plan, kindSlug, operationId } from './plan.js';
export type * from './plan.js';
export { configHash, canonicalJson, hashedView, HASH_EXCLUDED_KEYS } from './hash.js';
export * from './labels.js';
export * from './observed.js';
export {
  containerName,
  oneOffName,
  serviceImage,
  desiredScale,
  serviceNetworkKeys,
  normalizeImageRef,
  durationSeconds,
  stopSettings,
} from './resources.js';

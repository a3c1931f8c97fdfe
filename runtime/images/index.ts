// Public API of the image store (runtime/images). The engine uses only what
// is exported here.
//
//   const store = await ImageStore.open('/var/lib/tscompose', { imageInUse });
//   const img = await store.pull('nginx', { onProgress: (ev) => res.write(JSON.stringify(ev) + '\r\n') });
//   await store.fetch('nginx');         // blobs only, each verified, nothing unpacked (a later pull unpacks them)
//   TLS: CAs from Docker's certs.d (`certsDir` option, env TSCOMPOSE_CERTS_D, /etc/docker/certs.d)
//   store.list();                       // ImageRecord[]  → toImageSummary() for GET /images/json
//   store.inspect('nginx');             // by name[:tag], name@digest, full or short id (sha256:... or hex prefix)
//   await store.rootfsLayers(img.Id);   // unpacked layer dirs (short links images/l/<16hex>), lowest first (overlay lowerdir reversed!)
//   store.config(img.Id);               // Env, Cmd, Entrypoint, WorkingDir, User, ...
//
// Layout under <root>/images/ (OCI image-layout style):
//   oci-layout, blobs/sha256/<hex>          content-addressed blobs (manifests, configs, compressed layers)
//   ingest/<random>                         partial downloads; discarded at open
//   layers/<chainid hex>/diff/              an unpacked layer, shared by every image with that chain
//   layers/<chainid hex>/layer.json         {chainId, diffId, parent, size}; written last: its presence marks the layer complete
//   l/<short>                               short symlinks to layers/<chainid>/diff (keeps overlay lowerdir under a page)
//   repositories.json                       names → image ids, image metadata (atomic temp+fsync+rename)
//
// Errors are classes from ./errors.js with `statusCode` for the HTTP answer.
export { ImageStore, type ImageHistoryEntry } from './image-store.js';
export type {
  ImageConfig,
  ImageConfigBlob,
  ImageRecord,
  ImageSummary,
  PullProgress,
  PullOptions,
  RegistryAuth,
  RemoveOptions,
  RemoveResult,
  PruneOptions,
  PruneResult,
  ImportOptions,
  StoreOptions,
  FetchResult,
} from './types.js';
export {
  ImageError,
  InvalidReferenceError,
  ImageNotFoundError,
  ImageConflictError,
  RegistryError,
  DigestMismatchError,
  LayerUnpackError,
  InvalidImageError,
  NoMatchingPlatformError,
} from './errors.js';
export { parseReference, familiarName, familiarString, referenceString } from './reference.js';
export type { ImageReference } from './reference.js';
export { toImageSummary, toImageInspect } from './record.js';
export { decodeRegistryAuthHeader } from './docker-config.js';

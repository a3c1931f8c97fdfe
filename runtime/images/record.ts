// Conversions from the store's record to Docker's two image JSON shapes.
import type { ImageRecord, ImageSummary } from './types.js';

/** `GET /images/json` row. `containers` is the number of containers using it (-1 when unknown, as Docker). */
export function toImageSummary(r: ImageRecord, containers = -1): ImageSummary {
  const created = r.Created ? Math.floor(Date.parse(r.Created) / 1000) : 0;
  return {
    Id: r.Id,
    ParentId: r.Parent,
    RepoTags: r.RepoTags,
    RepoDigests: r.RepoDigests,
    Created: Number.isFinite(created) ? created : 0,
    Size: r.Size,
    SharedSize: -1,
    VirtualSize: r.Size,
    Labels: (r.Config.Labels ?? {}) as Record<string, string>,
    Containers: containers,
  };
}

/** `GET /images/{name}/json` body (Docker 20.10 shape; GraphDriver names our layer dirs). */
export function toImageInspect(r: ImageRecord, layerDirs: string[] = []): Record<string, unknown> {
  const { ManifestDigest: _m, ...rest } = r;
  const upper = layerDirs[layerDirs.length - 1];
  return {
    ...rest,
    Container: '',
    ContainerConfig: {},
    GraphDriver: {
      Name: 'overlay2',
      Data: upper ? { LowerDir: layerDirs.slice(0, -1).reverse().join(':') || undefined, UpperDir: upper } : {},
    },
  };
}

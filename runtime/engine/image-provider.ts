// The image store seen from the container manager: resolve a reference to
// an id and its config, and the unpacked layer dirs of an id.

import type { ImageProvider } from '../containers/container-manager.js';
import { notFound } from './api-error.js';
import type { ImageBackend } from './services.js';

export function imageProviderOf(store: ImageBackend): ImageProvider {
  return {
    async resolve(ref: string) {
      const img = store.inspect(ref);
      if (!img) throw notFound(`No such image: ${ref.includes(':') || ref.includes('@') ? ref : `${ref}:latest`}`);
      return { id: img.Id, config: img.Config };
    },
    layers: (id: string) => store.rootfsLayers(id),
  };
}

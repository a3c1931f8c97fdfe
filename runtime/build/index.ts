// Public API of the builder (runtime/build): Dockerfiles → images in the
// image store, for the engine's `POST /build`.
//
//   const builder = new Builder({ store, containers, root });
//   await builder.build({ context: req, dockerfile: 'Dockerfile', tags: ['app:1'], output: (msg) => res.write(...) });
//
// Files: dockerfile-parser.ts (text → instructions), shell-lex.ts (variable
// substitution), copy.ts (COPY/ADD), rootfs-session.ts (overlay of a build
// state), layer-diff.ts (upper dir → layer), build-cache.ts, builder.ts (the
// steps). .dockerignore matching is runtime/client/dockerignore.ts, shared
// with the client that packs the context.
export { Builder, type BuildContainers, type BuildMessage, type BuildRequest, type BuildResult } from './builder.js';
export { parseDockerfile, type Dockerfile, type Instruction, type Keyword } from './dockerfile-parser.js';
export { BuildError, DockerfileError, InvalidBuildRequestError, RunStepFailedError } from './errors.js';

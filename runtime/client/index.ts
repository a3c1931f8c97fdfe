export * from './types.js';
export * from './stats-types.js';
export * from './errors.js';
export * from './host.js';
export * from './streams.js';
export * from './http-engine-client.js';
export * from './dockerignore.js';
export * from './build-context.js';

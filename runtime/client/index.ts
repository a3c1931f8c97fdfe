export * from './types.js';
export * from './errors.js';
export * from './host.js';
export * from './streams.js';
export * from './http-engine-client.js';

export { buildGraph, findCycle, serviceReferences, serviceModeTarget, volumesFromService, ServiceGraph } from './graph.js';
export type { BuildGraphResult, DependencyCondition, DependencyEdge, EdgeSource } from './graph.js';
export { walk } from './walk.js';
export type { Walkable, WalkDirection, WalkOptions } from './walk.js';
export { DependencyCycleError, MissingDependencyError } from './errors.js';

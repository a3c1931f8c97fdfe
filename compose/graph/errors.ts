// Errors of the dependency graph. Both are ProjectErrors: they are about how
// services relate, not about one line of one file.

import { ProjectError } from '../errors.js';

/** Services that depend on each other in a loop: nothing could start first. */
export class DependencyCycleError extends ProjectError {
  /** The cycle from its lexicographically smallest service, ending where it started. */
  readonly cycle: readonly string[];

  constructor(cycle: readonly string[]) {
    super(
      `dependency cycle between services: ${cycle.join(' -> ')}; ` +
        `remove one of these depends_on/links/volumes_from/network_mode references`,
    );
    this.cycle = cycle;
  }
}

/** A required dependency names a service that is not in the project (or is disabled by profiles). */
export class MissingDependencyError extends ProjectError {
  readonly service: string;
  readonly dependency: string;

  constructor(service: string, dependency: string, via: string, disabledProfiles?: readonly string[]) {
    if (disabledProfiles !== undefined) {
      const fix = disabledProfiles.length > 0 ? `enable it with --profile ${disabledProfiles.join(' or --profile ')}` : 'enable it';
      super(`service "${dependency}" is required by "${service}" (${via}) but is disabled; ${fix}`);
    } else {
      const optional = via === 'depends_on' ? ' (or mark the dependency `required: false`)' : '';
      super(`service "${service}" depends on undefined service "${dependency}" (${via}); define it or remove the reference${optional}`);
    }
    this.service = service;
    this.dependency = dependency;
  }
}

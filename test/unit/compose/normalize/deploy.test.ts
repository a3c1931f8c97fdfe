import { describe, expect, it } from 'vitest';
import { errorsOf, normalizeYaml, web } from './helpers.js';

describe('deploy, scale and resources', () => {
  it('resources parsed; empty structs printed like compose-go', () => {
    expect(web('deploy:\n  replicas: "2"\n  resources:\n    limits:\n      cpus: "0.50"\n      memory: 512M\n      pids: 100\n    reservations:\n      memory: 1g\n  restart_policy:\n    condition: on-failure\n    delay: 5s\n    max_attempts: 3\n    window: 120s').deploy).toEqual({
      replicas: 2,
      resources: { limits: { cpus: 0.5, memory: '536870912', pids: 100 }, reservations: { memory: '1073741824' } },
      restart_policy: { condition: 'on-failure', delay: '5s', max_attempts: 3, window: '2m0s' },
      placement: {},
    });
  });

  it('the project keeps byte sizes as numbers for the engine', () => {
    const { project } = normalizeYaml('services:\n  web:\n    image: x\n    mem_limit: 1g\n    deploy:\n      resources:\n        limits:\n          memory: 1g\n');
    expect(project.services.web.mem_limit).toBe(1073741824);
    expect(project.services.web.deploy?.resources?.limits?.memory).toBe(1073741824);
  });

  it('scale sets deploy.replicas when deploy exists', () => {
    const service = web('scale: 3\ndeploy:\n  labels: [a=b]');
    expect(service.scale).toBe(3);
    expect(service.deploy).toMatchObject({ replicas: 3, labels: { a: 'b' } });
  });

  it('scale and replicas must agree', () => {
    expect(errorsOf('services:\n  web:\n    image: x\n    scale: 2\n    deploy:\n      replicas: 3\n')).toEqual([
      "services.web: can't set distinct values on 'scale' and 'deploy.replicas': invalid compose project",
    ]);
  });

  it('container_name with several replicas', () => {
    expect(errorsOf('services:\n  web:\n    image: x\n    container_name: web1\n    scale: 2\n')).toEqual([
      "services.web: can't set container_name and scale as container name must be unique: invalid compose project",
    ]);
  });

  it('mem_limit and deploy limit must agree', () => {
    expect(errorsOf('services:\n  web:\n    image: x\n    mem_limit: 1g\n    deploy:\n      resources:\n        limits:\n          memory: 2g\n')).toEqual([
      "services.web: can't set distinct values on 'mem_limit' and 'deploy.resources.limits.memory': invalid compose project",
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { normalizeYaml, printed, web } from './helpers.js';

describe('names and simple attributes', () => {
  it('volumes named <project>_<key> unless name or external', () => {
    expect(printed('services: {}\nvolumes:\n  a: {}\n  b:\n    name: bee\n  c:\n    external: true\n  d:\n').volumes).toEqual({
      a: { name: 'demo_a' },
      b: { name: 'bee' },
      c: { name: 'c', external: true },
      d: { name: 'demo_d' },
    });
  });

  it('container_name, restart, expose as strings, pull_policy if_not_present', () => {
    expect(web('container_name: my-web\nrestart: unless-stopped\nexpose: [80, "443"]\npull_policy: if_not_present')).toMatchObject({
      container_name: 'my-web',
      restart: 'unless-stopped',
      expose: ['80', '443'],
      pull_policy: 'missing',
    });
  });

  it('dns and tmpfs strings become lists', () => {
    expect(web('dns: 8.8.8.8\ntmpfs: /run')).toMatchObject({ dns: ['8.8.8.8'], tmpfs: ['/run'] });
  });

  it('devices short syntax', () => {
    expect(web('devices: ["/dev/fuse", "/dev/sda:/dev/xvda:r"]').devices).toEqual([
      { source: '/dev/fuse', target: '/dev/fuse', permissions: 'rwm' },
      { source: '/dev/sda', target: '/dev/xvda', permissions: 'r' },
    ]);
  });

  it('the project keeps its working directory (not printed)', () => {
    const { project } = normalizeYaml('services:\n  web:\n    image: x\n');
    expect(project.workingDir).toBe('/proj');
    expect(printed('services:\n  web:\n    image: x\n').workingDir).toBeUndefined();
  });

  it('services print in sorted order', () => {
    expect(Object.keys(printed('services:\n  b: {image: x}\n  a: {image: x}\n').services)).toEqual(['a', 'b']);
  });
});

describe('unsupported keys', () => {
  it('warn with the service and key, and keep the value', () => {
    const { project, warnings } = normalizeYaml('services:\n  web:\n    image: x\n    gpus: all\n    runtime: nvidia\n    deploy:\n      placement:\n        constraints: [a]\n');
    expect(warnings).toEqual([
      "service web: 'gpus' is not supported yet, ignored",
      "service web: 'runtime' is not supported yet, ignored",
      "service web: 'deploy.placement' is not supported yet, ignored",
    ]);
    expect(project.services.web.gpus).toEqual([{ count: -1 }]);
  });

  it('no warnings for supported keys', () => {
    expect(normalizeYaml('services:\n  web:\n    image: x\n    ports: ["80"]\n    deploy:\n      resources: {}\n').warnings).toEqual([]);
  });
});

describe('device requests, develop, label files, ssh', () => {
  it('gpus: all is a request for every device', () => {
    expect(web('gpus: all').gpus).toEqual([{ count: -1 }]);
    expect(web('gpus:\n  - driver: nvidia\n    count: 2\n    capabilities: [gpu]').gpus).toEqual([{ capabilities: ['gpu'], driver: 'nvidia', count: 2 }]);
  });

  it('deploy device reservations default to all devices', () => {
    expect(web('deploy:\n  resources:\n    reservations:\n      devices:\n        - capabilities: [gpu]').deploy.resources.reservations.devices).toEqual([
      { capabilities: ['gpu'], count: -1 },
    ]);
  });

  it('develop watch ignore as a list', () => {
    expect(web('develop:\n  watch:\n    - path: ./src\n      action: sync\n      target: /app\n      ignore: node_modules').develop).toEqual({
      watch: [{ path: './src', action: 'sync', target: '/app', ignore: ['node_modules'] }],
    });
  });

  it('label files are merged under labels', () => {
    const files = { '/proj/labels.txt': 'team=core\nowner=me\n' };
    expect(web('label_file: labels.txt\nlabels:\n  owner: you', { files }).labels).toEqual({ team: 'core', owner: 'you' });
  });

  it('build ssh keys', () => {
    expect(printed('services:\n  a:\n    build:\n      context: .\n      ssh: [default, "key=./id_rsa"]\n').services.a.build.ssh).toEqual(['default', 'key=/proj/id_rsa']);
  });
});

describe('top-level models', () => {
  it('are kept, referenced by services, and announced as unsupported', () => {
    const { project, warnings } = normalizeYaml('services:\n  app:\n    image: x\n    models: [llm]\nmodels:\n  llm:\n    model: ai/smollm2\n');
    expect(project.models).toEqual({ llm: { model: 'ai/smollm2' } });
    expect(project.services.app.models).toEqual({ llm: null });
    expect(warnings).toEqual(["service app: 'models' is not supported yet, ignored", "'models' is not supported yet, ignored"]);
  });
});

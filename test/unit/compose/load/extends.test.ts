import { describe, expect, it } from 'vitest';
import { applyExtends } from '../../../../compose/load/extends.js';
import { memoryFs } from '../../../../compose/load/fs.js';
import { parseComposeYaml } from '../../../../compose/load/parse.js';
import { loadProject } from '../../../../compose/load/index.js';
import { rejected, tempProject, thrown, yaml } from './helpers.js';

function extend(files: Record<string, string>, main = '/p/compose.yaml') {
  const fs = memoryFs(files);
  const load = (path: string) => parseComposeYaml(fs.readFile(path), path)[0]!.data;
  const [doc] = parseComposeYaml(files[main]!, main);
  const out = applyExtends(doc!.data, { file: main, baseDir: '/p', loadFile: load, locate: doc!.locate, displayDir: '/p' });
  return out['services'] as Record<string, Record<string, unknown>>;
}

describe('extends', () => {
  it('same file: the service overrides its base with the merge rules', () => {
    const services = extend({
      '/p/compose.yaml': yaml`
        services:
          base:
            image: busybox
            environment: [A=1]
            ports: ["80:80"]
            command: [base]
          web:
            extends: base
            environment: {B: "2"}
            ports: ["443:443"]
            command: [web]
      `,
    });
    expect(services['web']).toEqual({ image: 'busybox', environment: { A: '1', B: '2' }, ports: ['80:80', '443:443'], command: ['web'] });
    expect(services['base']).toEqual({ image: 'busybox', environment: ['A=1'], ports: ['80:80'], command: ['base'] });
  });

  it('long form with service only', () => {
    const services = extend({ '/p/compose.yaml': 'services:\n  a: {image: x, user: u}\n  b:\n    extends: {service: a}\n    user: v\n' });
    expect(services['b']).toEqual({ image: 'x', user: 'v' });
  });

  it('chains are followed to their end', () => {
    const services = extend({
      '/p/compose.yaml': 'services:\n  a: {image: x, labels: [a=1]}\n  b: {extends: a, labels: [b=1]}\n  c: {extends: b, labels: [c=1]}\n',
    });
    expect(services['c']).toEqual({ image: 'x', labels: { a: '1', b: '1', c: '1' } });
  });

  it('another file: relative paths of the base are made absolute against its directory', () => {
    const services = extend({
      '/p/compose.yaml': 'services:\n  web:\n    extends: {file: common/base.yaml, service: app}\n    volumes: ["./mine:/mine"]\n',
      '/p/common/base.yaml': yaml`
        services:
          app:
            build: {context: ./src}
            env_file: [app.env, {path: ../shared.env, required: false}]
            volumes: ["./data:/data", "named:/named", {type: bind, source: ./cfg, target: /cfg}]
      `,
    });
    expect(services['web']).toEqual({
      build: { context: '/p/common/src' },
      env_file: ['/p/common/app.env', { path: '/p/shared.env', required: false }],
      volumes: ['/p/common/data:/data', 'named:/named', { type: 'bind', source: '/p/common/cfg', target: '/cfg' }, './mine:/mine'],
    });
  });

  it('a base in another file may extend a service of its own file, and another file relative to itself', () => {
    const services = extend({
      '/p/compose.yaml': 'services:\n  web:\n    extends: {file: lib/mid.yaml, service: mid}\n',
      '/p/lib/mid.yaml': 'services:\n  mid:\n    extends: {file: deep/root.yaml, service: root}\n    user: mid\n',
      '/p/lib/deep/root.yaml': 'services:\n  root:\n    image: root\n    build: .\n',
    });
    expect(services['web']).toEqual({ image: 'root', build: '/p/lib/deep', user: 'mid' });
  });

  it('a build without context in a base from another file builds that file\'s directory', () => {
    const services = extend({
      '/p/compose.yaml': 'services:\n  web:\n    extends: {file: sub/base.yaml, service: app}\n',
      '/p/sub/base.yaml': 'services:\n  app:\n    build: {dockerfile: Dockerfile.dev}\n',
    });
    expect(services['web']).toEqual({ build: { dockerfile: 'Dockerfile.dev', context: '/p/sub' } });
  });

  it('!reset in the extending service removes what the base set', () => {
    const services = extend({ '/p/compose.yaml': 'services:\n  a: {image: x, ports: ["80:80"]}\n  b:\n    extends: a\n    ports: !reset []\n' });
    expect(services['b']).toEqual({ image: 'x' });
  });

  it('a cycle is an error naming it', () => {
    const err = thrown(() => extend({ '/p/compose.yaml': 'services:\n  a: {extends: b}\n  b: {extends: c}\n  c: {extends: a}\n' }));
    expect(err.message).toBe('compose.yaml:2:7: extends cycle: a (compose.yaml) -> b (compose.yaml) -> c (compose.yaml) -> a (compose.yaml)');
  });

  it('a service extending itself is a cycle', () => {
    expect(thrown(() => extend({ '/p/compose.yaml': 'services:\n  a:\n    extends: a\n' })).message).toBe(
      'compose.yaml:3:5: extends cycle: a (compose.yaml) -> a (compose.yaml)',
    );
  });

  it('an unknown base service is an error', () => {
    expect(thrown(() => extend({ '/p/compose.yaml': 'services:\n  a:\n    extends: nope\n' })).message).toBe(
      'compose.yaml:3:5: cannot extend service "a": service "nope" not found in compose.yaml',
    );
  });

  it('an unknown service in another file is an error', () => {
    const err = thrown(() => extend({ '/p/compose.yaml': 'services:\n  a:\n    extends: {file: b.yaml, service: x}\n', '/p/b.yaml': 'services: {y: {image: y}}\n' }));
    expect(err.message).toBe('compose.yaml:3:5: cannot extend service "a": service "x" not found in b.yaml');
  });

  it('through loadProject: a missing extended file names it', async () => {
    const dir = tempProject({ 'compose.yaml': 'services:\n  a:\n    extends: {file: missing.yaml, service: x}\n' });
    const err = await rejected(loadProject({ workingDir: dir, environment: {}, skip: { normalize: true } }));
    expect(err.message).toBe('compose.yaml:3:5: cannot extend service "a": missing.yaml: no such file or directory');
  });

  it('through loadProject: the extended file is interpolated with the project environment', async () => {
    const dir = tempProject({
      'compose.yaml': 'services:\n  a:\n    extends: {file: base.yaml, service: b}\n',
      'base.yaml': 'services:\n  b:\n    image: "busybox:${TAG}"\n',
      '.env': 'TAG=1.36',
    });
    const { model } = await loadProject({ workingDir: dir, environment: {}, skip: { normalize: true } });
    expect(model['services']).toEqual({ a: { image: 'busybox:1.36' } });
  });
});

describe('extends through loadProject', () => {
  it('a file read for extends is validated with its own lines', async () => {
    const dir = tempProject({
      'compose.yaml': 'services:\n  a:\n    extends: {file: base.yaml, service: b}\n',
      'base.yaml': 'services:\n  b:\n    image: x\n    ports: "80"\n',
    });
    const err = await rejected(loadProject({ workingDir: dir, environment: {}, skip: { normalize: true } }));
    expect(err.message).toBe('base.yaml:4:5: services.b.ports must be a list');
  });
});

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LoaderFs } from '../../../../compose/load/fs.js';
import { loadProject, type LoadOptions } from '../../../../compose/load/index.js';
import { rejected, tempProject, yaml } from './helpers.js';

const load = (dir: string, extra: Partial<LoadOptions> = {}) => loadProject({ workingDir: dir, environment: {}, ...extra });
const raw = (dir: string, extra: Partial<LoadOptions> = {}) => load(dir, { ...extra, skip: { normalize: true, ...extra.skip } });

describe('loadProject', () => {
  it('reads compose.yaml and compose.override.yaml, interpolates, merges and normalizes', async () => {
    const dir = tempProject({
      'compose.yaml': 'services:\n  web:\n    image: "nginx:${TAG}"\n    environment: [A=1]\n',
      'compose.override.yaml': 'services:\n  web:\n    environment: {B: "2"}\n',
      '.env': 'TAG=1.25\n',
    });
    const { project, warnings, files } = await load(dir);
    expect(files).toEqual([join(dir, 'compose.yaml'), join(dir, 'compose.override.yaml')]);
    expect(project.name).toBe('app');
    expect(project.workingDir).toBe(dir);
    expect(project.services['web']?.image).toBe('nginx:1.25');
    expect(project.services['web']?.environment).toEqual({ A: '1', B: '2' });
    expect(warnings).toEqual([]);
  });

  it('.env may set COMPOSE_FILE and COMPOSE_PROJECT_NAME', async () => {
    const dir = tempProject({
      'base.yml': 'services: {a: {image: a}}\n',
      'extra.yml': 'services: {b: {image: b}}\n',
      '.env': 'COMPOSE_FILE=base.yml:extra.yml\nCOMPOSE_PROJECT_NAME=fromenv\n',
    });
    const { project } = await load(dir);
    expect(project.name).toBe('fromenv');
    expect(Object.keys(project.services)).toEqual(['a', 'b']);
  });

  it('the OS environment wins over .env', async () => {
    const dir = tempProject({ 'compose.yaml': 'services: {a: {image: "x:${TAG}"}}\n', '.env': 'TAG=dotenv' });
    const { model } = await raw(dir, { environment: { TAG: 'os' } });
    expect(model['services']).toEqual({ a: { image: 'x:os' } });
  });

  it('--env-file replaces .env', async () => {
    const dir = tempProject({ 'compose.yaml': 'services: {a: {image: "x:${TAG}"}}\n', '.env': 'TAG=dotenv', 'prod.env': 'TAG=prod' });
    const { model, envFiles } = await raw(dir, { envFiles: ['prod.env'] });
    expect(model['services']).toEqual({ a: { image: 'x:prod' } });
    expect(envFiles).toEqual([join(dir, 'prod.env')]);
  });

  it('reads a compose file from stdin with -f -', async () => {
    const dir = tempProject({});
    const { project } = await load(dir, { files: ['-'], stdin: 'name: piped\nservices: {a: {image: a}}\n' });
    expect(project.name).toBe('piped');
    expect(Object.keys(project.services)).toEqual(['a']);
  });

  it('${COMPOSE_PROJECT_NAME} can be used in files', async () => {
    const dir = tempProject({ 'compose.yaml': 'services: {a: {image: a, container_name: "${COMPOSE_PROJECT_NAME}-main"}}\n' });
    const { model } = await raw(dir, { projectName: 'demo' });
    expect(model['services']).toEqual({ a: { image: 'a', container_name: 'demo-main' } });
  });

  it('name: is interpolated', async () => {
    const dir = tempProject({ 'compose.yaml': 'name: "${STACK}-x"\nservices: {a: {image: a}}\n' });
    expect((await load(dir, { environment: { STACK: 'Blue' } })).project.name).toBe('blue-x');
  });

  it('collects warnings once each: unset variables and the obsolete version', async () => {
    const dir = tempProject({ 'compose.yaml': 'version: "3.8"\nservices:\n  a: {image: "${IMG}", user: "${IMG}"}\n' });
    const { warnings } = await raw(dir);
    expect(warnings).toEqual([
      'compose.yaml: the attribute `version` is obsolete, it will be ignored, please remove it to avoid potential confusion',
      'The "IMG" variable is not set. Defaulting to a blank string.',
    ]);
  });

  it('profiles from COMPOSE_PROFILES; disabled services are kept aside', async () => {
    const dir = tempProject({
      'compose.yaml': 'services:\n  a: {image: a}\n  b: {image: b, profiles: [x]}\n  c: {image: c, profiles: [y]}\n',
      '.env': 'COMPOSE_PROFILES=x',
    });
    const { project, activeProfiles } = await load(dir);
    expect(Object.keys(project.services)).toEqual(['a', 'b']);
    expect(Object.keys(project.disabledServices ?? {})).toEqual(['c']);
    expect(activeProfiles).toEqual(['x']);
  });

  it('the project is immutable', async () => {
    const dir = tempProject({ 'compose.yaml': 'services: {a: {image: a}}\n' });
    const { project } = await load(dir);
    expect(Object.isFrozen(project)).toBe(true);
    expect(Object.isFrozen(project.services['a'])).toBe(true);
  });

  it('skip.interpolate leaves variables as written', async () => {
    const dir = tempProject({ 'compose.yaml': 'services: {a: {image: "${IMG:?required}"}}\n' });
    const { model } = await raw(dir, { skip: { interpolate: true } });
    expect(model['services']).toEqual({ a: { image: '${IMG:?required}' } });
  });

  it('--project-directory moves where relative paths resolve', async () => {
    const dir = tempProject({ 'conf/compose.yaml': 'services: {a: {image: a, env_file: [x.env]}}\n', 'root/x.env': 'K=v' });
    const { project } = await load(dir, { files: ['conf/compose.yaml'], projectDirectory: 'root' });
    expect(project.workingDir).toBe(join(dir, 'root'));
    expect(project.services['a']?.environment).toEqual({ K: 'v' });
  });
});

describe('loadProject errors', () => {
  it('an empty file', async () => {
    const dir = tempProject({ 'compose.yaml': '' });
    expect((await rejected(load(dir))).message).toBe('compose.yaml: empty compose file');
  });

  it('invalid YAML points at the line', async () => {
    const dir = tempProject({ 'compose.yaml': 'services:\n  web:\n   image: a\n  bad\n' });
    expect((await rejected(load(dir))).message).toMatch(/^compose\.yaml:\d+:\d+: /);
  });

  it('a missing required variable names file, line and column', async () => {
    const dir = tempProject({ 'compose.yaml': yaml`
      services:
        db:
          image: postgres
          environment:
            POSTGRES_PASSWORD: \${DB_PASSWORD:?set it in .env}
    ` });
    expect((await rejected(load(dir))).message).toBe('compose.yaml:5:26: required variable DB_PASSWORD is missing a value: set it in .env');
  });

  it('schema errors of every file are reported together', async () => {
    const dir = tempProject({ 'a.yaml': 'services:\n  web:\n    image: x\n    ports: "80:80"\n', 'b.yaml': 'services:\n  web:\n    restart: 5\n' });
    expect((await rejected(load(dir, { files: ['a.yaml', 'b.yaml'] }))).message).toBe(
      'a.yaml:4:5: services.web.ports must be a list\nb.yaml:3:5: services.web.restart must be a string',
    );
  });

  it('an invalid -p', async () => {
    const dir = tempProject({ 'compose.yaml': 'services: {a: {image: a}}\n' });
    expect((await rejected(load(dir, { projectName: 'My App' }))).message).toBe(
      'invalid project name "My App": must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as start with a letter or number',
    );
  });

  it('no compose file anywhere', async () => {
    const dir = tempProject({});
    expect((await rejected(load(dir, { files: ['missing.yaml'] }))).message).toBe(`open ${dir}/missing.yaml: no such file or directory`);
  });

  it('an unreadable file', async () => {
    const denied: LoaderFs = {
      kind: (path) => (path === '/p/compose.yaml' ? 'file' : path === '/p' ? 'dir' : undefined),
      readFile: () => {
        throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
      },
    };
    expect((await rejected(loadProject({ workingDir: '/p', environment: {}, fs: denied }))).message).toBe('compose.yaml: permission denied');
  });

  it('a malformed .env names its line', async () => {
    const dir = tempProject({ 'compose.yaml': 'services: {a: {image: a}}\n', '.env': 'OK=1\nNOT OK=2\n' });
    expect((await rejected(load(dir))).message).toBe('.env:2: key "NOT OK" cannot contain a space');
  });
});

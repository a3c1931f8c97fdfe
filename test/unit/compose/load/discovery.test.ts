import { describe, expect, it } from 'vitest';
import { discoverComposeFiles, envDirectory } from '../../../../compose/load/discovery.js';
import { memoryFs, nodeFs } from '../../../../compose/load/fs.js';
import { tempProject, thrown } from './helpers.js';

describe('discoverComposeFiles', () => {
  const tree = memoryFs({
    '/repo/compose.yaml': '',
    '/repo/compose.override.yaml': '',
    '/repo/sub/deeper/readme.txt': '',
    '/other/docker-compose.yml': '',
    '/other/docker-compose.yaml': '',
    '/other/docker-compose.override.yml': '',
    '/multi/compose.yml': '',
    '/multi/docker-compose.yml': '',
    '/files/a.yaml': '',
    '/files/b.yaml': '',
  });
  const discover = (workingDir: string, extra: Partial<Parameters<typeof discoverComposeFiles>[0]> = {}) =>
    discoverComposeFiles({ workingDir, environment: {}, ...extra }, tree);

  it('finds compose.yaml and its override in the working directory', () => {
    expect(discover('/repo')).toEqual({ files: ['/repo/compose.yaml', '/repo/compose.override.yaml'], projectDirectory: '/repo', warnings: [] });
  });

  it('searches parent directories; the project directory is where the file is', () => {
    const found = discover('/repo/sub/deeper');
    expect(found.files).toEqual(['/repo/compose.yaml', '/repo/compose.override.yaml']);
    expect(found.projectDirectory).toBe('/repo');
  });

  it('prefers names in docker compose order and warns about the others', () => {
    const found = discover('/other');
    expect(found.files).toEqual(['/other/docker-compose.yml', '/other/docker-compose.override.yml']);
    expect(found.warnings).toEqual([
      'Found multiple config files with supported names: /other/docker-compose.yml, /other/docker-compose.yaml',
      'Using /other/docker-compose.yml',
    ]);
  });

  it('compose.yml wins over docker-compose.yml', () => {
    expect(discover('/multi').files).toEqual(['/multi/compose.yml']);
  });

  it('-f files are taken as given, relative to the working directory, with no override file', () => {
    expect(discover('/repo', { files: ['../files/b.yaml', '/files/a.yaml'] })).toEqual({
      files: ['/files/b.yaml', '/files/a.yaml'],
      projectDirectory: '/files',
      warnings: [],
    });
  });

  it('-f - is stdin; the project directory is then the working directory', () => {
    expect(discover('/repo', { files: ['-'] })).toEqual({ files: ['-'], projectDirectory: '/repo', warnings: [] });
  });

  it('COMPOSE_FILE lists files with the path separator', () => {
    expect(discover('/files', { environment: { COMPOSE_FILE: 'a.yaml:b.yaml' } }).files).toEqual(['/files/a.yaml', '/files/b.yaml']);
  });

  it('COMPOSE_PATH_SEPARATOR changes the separator', () => {
    const env = { COMPOSE_FILE: 'a.yaml;/files/b.yaml', COMPOSE_PATH_SEPARATOR: ';' };
    expect(discover('/files', { environment: env }).files).toEqual(['/files/a.yaml', '/files/b.yaml']);
  });

  it('-f wins over COMPOSE_FILE', () => {
    expect(discover('/files', { files: ['b.yaml'], environment: { COMPOSE_FILE: 'a.yaml' } }).files).toEqual(['/files/b.yaml']);
  });

  it('--project-directory is where default files are searched and the project lives', () => {
    expect(discover('/', { projectDirectory: 'repo' })).toEqual({
      files: ['/repo/compose.yaml', '/repo/compose.override.yaml'],
      projectDirectory: '/repo',
      warnings: [],
    });
    expect(discover('/files', { files: ['a.yaml'], projectDirectory: '/repo' }).projectDirectory).toBe('/repo');
  });

  it('nothing found is an error that says where it looked', () => {
    expect(thrown(() => discover('/files')).message).toBe(
      'no configuration file provided: not found (looked for compose.yaml, compose.yml, docker-compose.yml, docker-compose.yaml in /files and its parents)',
    );
  });

  it('a missing -f file is an error', () => {
    expect(thrown(() => discover('/files', { files: ['nope.yaml'] })).message).toBe('open /files/nope.yaml: no such file or directory');
  });

  it('works on a real directory tree', () => {
    const dir = tempProject({ 'docker-compose.yaml': 'services: {}', 'docker-compose.override.yaml': '', 'src/x': '' });
    expect(discoverComposeFiles({ workingDir: `${dir}/src`, environment: {} }, nodeFs)).toEqual({
      files: [`${dir}/docker-compose.yaml`, `${dir}/docker-compose.override.yaml`],
      projectDirectory: dir,
      warnings: [],
    });
  });
});

describe('envDirectory', () => {
  it.each([
    [{ workingDir: '/w' }, '/w'],
    [{ workingDir: '/w', files: ['sub/c.yaml'] }, '/w/sub'],
    [{ workingDir: '/w', files: ['-', '/x/c.yaml'] }, '/x'],
    [{ workingDir: '/w', files: ['sub/c.yaml'], projectDirectory: '../p' }, '/p'],
  ])('%j → %s', (options, expected) => {
    expect(envDirectory(options)).toBe(expected);
  });
});

import { describe, expect, it } from 'vitest';
import { normalizeProjectName, resolveProjectName } from '../../../../compose/load/project-name.js';
import { thrown } from './helpers.js';

describe('project name', () => {
  it.each([
    ['My App', 'myapp'],
    ['_hidden-dir', 'hidden-dir'],
    ['web.v2', 'webv2'],
    ['ÄÖÜ-x', 'x'],
    ['already_fine-1', 'already_fine-1'],
  ])('normalizes %j to %j', (input, expected) => {
    expect(normalizeProjectName(input)).toBe(expected);
  });

  const dir = '/home/u/My Project';
  it('-p wins over everything', () => {
    expect(resolveProjectName({ flag: 'cli', environment: { COMPOSE_PROJECT_NAME: 'env' }, nameInFiles: 'file', projectDirectory: dir })).toBe('cli');
  });
  it('COMPOSE_PROJECT_NAME wins over name: and the directory', () => {
    expect(resolveProjectName({ environment: { COMPOSE_PROJECT_NAME: 'env' }, nameInFiles: 'file', projectDirectory: dir })).toBe('env');
  });
  it('name: in the files wins over the directory, normalized', () => {
    expect(resolveProjectName({ environment: {}, nameInFiles: 'From_File', projectDirectory: dir })).toBe('from_file');
  });
  it('else the directory name, normalized', () => {
    expect(resolveProjectName({ environment: {}, projectDirectory: dir })).toBe('myproject');
  });
  it.each([
    [{ flag: 'My App' }, 'My App'],
    [{ environment: { COMPOSE_PROJECT_NAME: '-dash' } }, '-dash'],
  ])('an invalid explicit name is rejected: %j', (sources, name) => {
    expect(thrown(() => resolveProjectName({ environment: {}, projectDirectory: dir, ...sources })).message).toBe(
      `invalid project name "${name}": must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as start with a letter or number`,
    );
  });
  it('a directory name with nothing usable asks for a name', () => {
    expect(thrown(() => resolveProjectName({ environment: {}, projectDirectory: '/tmp/___' })).message).toBe(
      'cannot derive a project name from the directory "___": set one with -p, COMPOSE_PROJECT_NAME or a top-level name:',
    );
  });
});

import { describe, expect, it } from 'vitest';
import { ComposeErrors, ComposeFileError, displayPath, ProjectError, throwIfAny } from '../../../../compose/errors.js';
import { thrown } from './helpers.js';

describe('compose errors', () => {
  it('a file error reads file:line:column: detail, the file relative to the base directory', () => {
    const err = new ComposeFileError('services.web.ports must be a list', { file: '/w/app/compose.yaml', line: 12, column: 7, baseDir: '/w/app', path: 'services.web.ports' });
    expect(err.message).toBe('compose.yaml:12:7: services.web.ports must be a list');
    expect([err.file, err.line, err.column, err.path, err.detail]).toEqual(['/w/app/compose.yaml', 12, 7, 'services.web.ports', 'services.web.ports must be a list']);
  });

  it('only the known parts of the location are shown', () => {
    expect(new ComposeFileError('empty compose file', { file: 'compose.yaml' }).message).toBe('compose.yaml: empty compose file');
    expect(new ComposeFileError('bad', { file: '.env', line: 3 }).message).toBe('.env:3: bad');
    expect(new ComposeFileError('no file at all').message).toBe('no file at all');
  });

  it('a file outside the base directory stays absolute', () => {
    expect(displayPath('/elsewhere/c.yaml', '/w/app')).toBe('/elsewhere/c.yaml');
    expect(displayPath('/w/app/sub/c.yaml', '/w/app')).toBe('sub/c.yaml');
  });

  it('several errors are one error with one line each', () => {
    const errors = [new ComposeFileError('a', { file: 'x', line: 1 }), new ComposeFileError('b', { file: 'y', line: 2 })];
    const err = thrown(() => throwIfAny(errors));
    expect(err).toBeInstanceOf(ComposeErrors);
    expect(err.message).toBe('x:1: a\ny:2: b');
    expect((err as ComposeErrors).errors).toHaveLength(2);
    expect(thrown(() => throwIfAny(errors.slice(0, 1)))).toBe(errors[0]);
    expect(() => throwIfAny([])).not.toThrow();
  });

  it('ProjectError names its class', () => {
    expect(new ProjectError('cycle').name).toBe('ProjectError');
  });
});
